"""URLs of the ems module (app_name "ems")."""

from django.urls import path
from django.views.decorators.cache import never_cache

from kurashi.modules.ems.views import board, hospital, live, mci, tablet

app_name = "ems"

urlpatterns = [
    path("", live.index_view, name="index"),
    path("events/", live.events_view, name="events"),
    path("sw.js", live.service_worker_view, name="service-worker"),
    path("manifest.webmanifest", live.manifest_view, name="manifest"),
    path("tablet/", tablet.tablet_home_view, name="tablet"),
    path("tablet/cases/<uuid:public_id>/", tablet.case_view, name="case"),
    path("tablet/cases/<uuid:public_id>/timeline/", tablet.timeline_view, name="case-timeline"),
    path("tablet/cases/<uuid:public_id>/inquiries/", tablet.inquiry_view, name="case-inquiry"),
    path("tablet/cases/<uuid:public_id>/requests/", tablet.request_view, name="case-request"),
    path("tablet/cases/<uuid:public_id>/cancel/", tablet.cancel_view, name="case-cancel"),
    path("tablet/cases/<uuid:public_id>/findings/", tablet.findings_view, name="case-findings"),
    path(
        "tablet/cases/<uuid:public_id>/attachments/",
        tablet.attachment_view,
        name="case-attachments",
    ),
    path(
        "cases/<uuid:public_id>/attachments/<int:pk>/",
        tablet.attachment_file_view,
        name="case-attachment",
    ),
    path("mci/", mci.incidents_view, name="mci-list"),
    path("mci/<uuid:public_id>/", mci.incident_view, name="mci"),
    path("mci/<uuid:public_id>/allocate/", mci.allocate_view, name="mci-allocate"),
    path("mci/<uuid:public_id>/end/", mci.end_view, name="mci-end"),
    path("mci/<uuid:public_id>/scene/", mci.scene_view, name="mci-scene"),
    path("hospital/", hospital.hospital_choose_view, name="hospital-choose"),
    path("hospital/<slug:slug>/", hospital.hospital_view, name="hospital"),
    path(
        "hospital/<slug:slug>/cases/<uuid:public_id>/",
        hospital.hospital_case_view,
        name="hospital-case",
    ),
    path(
        "hospital/<slug:slug>/acknowledge/", hospital.acknowledge_view, name="hospital-acknowledge"
    ),
    path("hospital/<slug:slug>/devices/", hospital.device_register_view, name="hospital-devices"),
    path(
        "hospital/<slug:slug>/devices/<int:pk>/remove/",
        hospital.device_remove_view,
        name="hospital-device-remove",
    ),
    path("hospital/<slug:slug>/capacity/", hospital.capacity_view, name="hospital-capacity"),
    path("hospital/<slug:slug>/diversion/", hospital.diversion_view, name="hospital-diversion"),
    path(
        "hospital/<slug:slug>/mci/acknowledge/",
        hospital.mci_acknowledge_view,
        name="hospital-mci-acknowledge",
    ),
    path("hospital/<slug:slug>/status/", hospital.status_view, name="hospital-status"),
    path("hospital/<slug:slug>/answer/", hospital.answer_view, name="hospital-answer"),
    path("hospital/<slug:slug>/outcome/", hospital.outcome_view, name="hospital-outcome"),
    path("board/", board.board_view, name="board"),
    path("kpis/", board.kpi_view, name="kpis"),
    path("kpis.csv", board.kpi_csv_view, name="kpis-csv"),
]

# Patient details must not linger on shared tablets and hospital PCs after handover: no EMS page
# may be stored by the browser or any cache (the service worker keeps only the app shell).
for _pattern in urlpatterns:
    if _pattern.name not in {"service-worker", "manifest"}:
        _pattern.callback = never_cache(_pattern.callback)
