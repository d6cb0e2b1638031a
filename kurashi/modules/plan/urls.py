from django.urls import path

from kurashi.modules.plan import views

app_name = "plan"

urlpatterns = [
    path("", views.index_view, name="index"),
    path("measures/<str:measure_id>/", views.measure_view, name="measure"),
    path("measures/<str:measure_id>/progress/", views.progress_view, name="progress"),
]
