from django.urls import URLPattern

app_name = "ems"

urlpatterns: list[URLPattern] = []
