"""URLs of the disaster module: the public portal. Each page has a やさしい日本語 twin under easy/
(name + "-easy"), see views/portal_i18n.py."""

from django.urls import URLPattern, path

from kurashi.modules.disaster.views import portal

EASY = {"variant": "easy"}

urlpatterns: list[URLPattern] = [
    path("", portal.portal_view, name="portal"),
    path("easy/", portal.portal_view, EASY, name="portal-easy"),
    path("situation/", portal.situation_view, name="situation"),
    path("easy/situation/", portal.situation_view, EASY, name="situation-easy"),
    path("levels.json", portal.levels_view, name="levels"),
    path("emergency/", portal.emergency_view, name="emergency"),
    path("easy/emergency/", portal.emergency_view, EASY, name="emergency-easy"),
    path("nearest.json", portal.nearest_view, name="nearest"),
    path("easy/nearest.json", portal.nearest_view, EASY, name="nearest-easy"),
    path("m/", portal.choose_view, name="choose"),
    path("easy/m/", portal.choose_view, EASY, name="choose-easy"),
    path("m/<str:code>/", portal.municipality_view, name="municipality"),
    path("easy/m/<str:code>/", portal.municipality_view, EASY, name="municipality-easy"),
]
