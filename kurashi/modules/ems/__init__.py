"""Emergency medical information sharing (plan 1.2): hospitals' acceptance status, the ambulance
tablet (cases, ranked hospitals, inquiries, parallel requests, timeline), the hospital screen, the
live board with escalation, FDMA KPIs and FHIR R4 interoperability."""
