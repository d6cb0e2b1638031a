"""URLs of the disaster module: shelters (public list, detail and GeoJSON; staff status pages)."""

from django.urls import URLPattern, path, re_path

from kurashi.modules.disaster.views import shelters

COMMON_ID = r"(?P<common_id>E[0-9]{12}[0-9A-Za-z])"

urlpatterns: list[URLPattern] = [
    path("shelters/", shelters.shelter_list_view, name="shelters"),
    path("shelters.geojson", shelters.shelters_geojson_view, name="shelters-geojson"),
    path("shelters/staff/", shelters.staff_list_view, name="shelter-staff"),
    re_path(
        rf"^shelters/staff/{COMMON_ID}/$",
        shelters.staff_shelter_view,
        name="shelter-staff-detail",
    ),
    re_path(rf"^shelters/{COMMON_ID}/$", shelters.shelter_detail_view, name="shelter-detail"),
]
