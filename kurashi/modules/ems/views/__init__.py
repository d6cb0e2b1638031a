"""Pages of the ems module: the ambulance tablet, the hospital screen, the coordinator board and
KPIs, and the live stream (one file per area)."""
