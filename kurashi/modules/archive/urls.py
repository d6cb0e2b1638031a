"""URLs of the archive module (app_name "archive"). IIIF and OAI-PMH URLs are published on the
unprefixed (Japanese) path so their identifiers never change with the UI language."""

from django.urls import path, re_path

from kurashi.modules.archive.views import iiif, oai, public, staff

app_name = "archive"

urlpatterns = [
    path("", public.index_view, name="index"),
    path("search/", public.search_view, name="search"),
    path("collections/<slug:slug>/", public.collection_view, name="collection"),
    path("items/<int:pk>/", public.item_view, name="item"),
    path("items/<int:pk>/read/", public.read_view, name="read"),
    path("items/<int:pk>/manifest.json", iiif.manifest_view, name="manifest"),
    path("items/<int:pk>/thumbnail.jpg", iiif.thumbnail_view, name="thumbnail"),
    path("items/<int:pk>/tracks/<int:track_id>.vtt", iiif.track_view, name="track"),
    path("map.geojson", public.map_geojson_view, name="map-geojson"),
    path("oai", oai.oai_view, name="oai"),
    path("iiif/<str:sha256>", iiif.image_base_view, name="iiif-base"),
    path("iiif/<str:sha256>/info.json", iiif.info_view, name="iiif-info"),
    re_path(
        r"^iiif/(?P<sha256>[0-9a-f]{64})/(?P<region>[^/]+)/(?P<size>[^/]+)/(?P<rotation>[^/]+)/(?P<quality>[a-z]+)\.jpg$",
        iiif.image_view,
        name="iiif-image",
    ),
    path("files/<str:sha256>", iiif.media_file_view, name="media-file"),
    path("staff/", staff.staff_list_view, name="staff"),
    path("staff/items/new/", staff.item_create_view, name="staff-create"),
    path("staff/items/<int:pk>/", staff.item_edit_view, name="staff-edit"),
    path("staff/items/<int:pk>/status/", staff.item_status_view, name="staff-status"),
    path("staff/bulk/", staff.bulk_edit_view, name="staff-bulk"),
]
