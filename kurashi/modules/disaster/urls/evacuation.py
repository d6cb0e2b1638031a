"""URLs of the disaster module: evacuation."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
