"""URLs of the disaster module: evacuation information (staff pages)."""

from django.urls import URLPattern, path

from kurashi.modules.disaster.views import evacuation

urlpatterns: list[URLPattern] = [
    path("evacuation/", evacuation.order_list_view, name="evacuation-list"),
    path("evacuation/new/", evacuation.order_new_view, name="evacuation-new"),
    path("evacuation/<int:order_id>/", evacuation.order_detail_view, name="evacuation-detail"),
    path("evacuation/<int:order_id>/edit/", evacuation.order_edit_view, name="evacuation-edit"),
    path(
        "evacuation/<int:order_id>/<slug:step>/",
        evacuation.order_step_view,
        name="evacuation-step",
    ),
]
