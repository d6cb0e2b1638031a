"""URLs of the archive module (app_name "archive")."""

from django.urls import URLPattern

app_name = "archive"

urlpatterns: list[URLPattern] = []
