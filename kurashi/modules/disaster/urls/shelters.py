"""URLs of the disaster module: shelters."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
