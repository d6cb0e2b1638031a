"""Regional clinical record sharing (plan 1.3): the regional patient index with automatic matching,
consent and break-glass, FHIR-shaped clinical data encrypted at rest, SS-MIX2 and FHIR intake, the
FHIR R4 API, the hash-chained access log and the resident's "who viewed my record" page."""
