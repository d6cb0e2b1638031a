"""URLs of the disaster module: reports."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
