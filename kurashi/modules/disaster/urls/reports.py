"""URLs of the disaster module: field reports."""

from django.urls import URLPattern, path

from kurashi.modules.disaster.views import reports

urlpatterns: list[URLPattern] = [
    path("reports/", reports.report_list_view, name="reports"),
    path("reports.geojson", reports.reports_geojson_view, name="reports-geojson"),
    path("reports/new/", reports.report_new_view, name="report-new"),
    path("reports/receipt/<str:token>/", reports.report_receipt_view, name="report-receipt"),
    path("reports/<int:report_id>/", reports.report_detail_view, name="report-detail"),
    path("reports/<int:report_id>/photo/", reports.report_photo_view, name="report-photo"),
    path("reports/moderation/", reports.moderation_queue_view, name="report-moderation"),
    path(
        "reports/moderation/<int:report_id>/",
        reports.moderation_detail_view,
        name="report-moderate",
    ),
]
