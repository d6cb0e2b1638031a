"""URLs of the disaster module: outputs (CAP 1.2, Atom feeds, L-Alert downloads)."""

from django.urls import URLPattern, path

from kurashi.modules.disaster.views import outputs

urlpatterns: list[URLPattern] = [
    path("cap/feed.atom", outputs.cap_feed_view, name="cap-feed"),
    path("cap/exercise.atom", outputs.cap_exercise_feed_view, name="cap-exercise-feed"),
    path("cap/<str:identifier>.xml", outputs.cap_alert_view, name="cap-alert"),
    path(
        "lalert/evacuation/<int:order_id>.xml",
        outputs.lalert_evacuation_view,
        name="lalert-evacuation",
    ),
    path(
        "lalert/shelters/<str:municipality_code>.xml",
        outputs.lalert_shelters_view,
        name="lalert-shelters",
    ),
]
