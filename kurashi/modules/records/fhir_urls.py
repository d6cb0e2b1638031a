"""The FHIR R4 endpoint of the records module, mounted outside the language prefix at /fhir/R4/."""

from django.urls import URLPattern, path, re_path

from kurashi.modules.records.views import fhir

app_name = "records-fhir"

urlpatterns: list[URLPattern] = [
    path("", fhir.upload, name="upload"),
    path("metadata", fhir.metadata, name="metadata"),
    re_path(
        r"^Patient/(?P<fhir_id>[A-Za-z0-9\-.]{1,64})/\$everything$",
        fhir.everything,
        name="everything",
    ),
    re_path(r"^(?P<resource_type>[A-Z][A-Za-z]{1,39})$", fhir.search, name="search"),
    re_path(
        r"^(?P<resource_type>[A-Z][A-Za-z]{1,39})/(?P<fhir_id>[A-Za-z0-9\-.]{1,64})$",
        fhir.read,
        name="read",
    ),
]
