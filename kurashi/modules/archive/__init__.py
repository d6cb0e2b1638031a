"""Digital archive and library (plan 2.3 and 2.5): items and collections with Dublin Core / DC-NDL
metadata, IIIF Image (level 0) and Presentation 3.0, Japanese search, Aozora/IIIF/CSV import,
OAI-PMH 2.0 and the public browse, item, reading and player pages."""
