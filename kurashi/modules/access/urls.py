"""URLs of the access module (app_name "access")."""

from django.urls import URLPattern

app_name = "access"

urlpatterns: list[URLPattern] = []
