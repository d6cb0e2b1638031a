"""URLs of the records module (app_name "records")."""

from django.urls import URLPattern

app_name = "records"

urlpatterns: list[URLPattern] = []
