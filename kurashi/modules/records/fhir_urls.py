"""The FHIR R4 endpoint of the records module, mounted outside the language prefix at /fhir/R4/."""

from django.urls import URLPattern

app_name = "records-fhir"

urlpatterns: list[URLPattern] = []
