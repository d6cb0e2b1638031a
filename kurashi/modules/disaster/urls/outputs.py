"""URLs of the disaster module: outputs."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
