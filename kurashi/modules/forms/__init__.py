"""Online services (plan 4.1, 4.3, 3.1): shared forms and case workflow for the prefecture and its
20 municipalities — a no-code form builder with Japanese field types and immutable versions,
filling in with save-and-resume, identity levels and fees, case processing with documents,
registration to the back office, retention, the procedure catalogue, and SME ICT support. Every
row belongs to a tenant (kurashi/core/tenancy.py)."""
