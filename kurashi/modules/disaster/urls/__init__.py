"""URLs of the disaster module (app_name "disaster"), one list per area."""

from kurashi.modules.disaster.urls import evacuation, jma, outputs, portal, reports, shelters

app_name = "disaster"

urlpatterns = [
    *portal.urlpatterns,
    *jma.urlpatterns,
    *evacuation.urlpatterns,
    *shelters.urlpatterns,
    *reports.urlpatterns,
    *outputs.urlpatterns,
]
