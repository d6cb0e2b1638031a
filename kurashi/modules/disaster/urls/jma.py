"""URLs of the disaster module: jma."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
