"""URLs of the disaster module: the JMA intake staff pages."""

from django.urls import path

from kurashi.modules.disaster.views import jma

urlpatterns = [
    path("jma/", jma.intake_view, name="jma_intake"),
    path("jma/bulletins/<int:bulletin_id>/", jma.bulletin_view, name="jma_bulletin"),
    path("jma/exercise/", jma.exercise_view, name="jma_exercise"),
]
