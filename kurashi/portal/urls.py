from django.urls import path

from kurashi.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("map/", views.map_view, name="map"),
]
