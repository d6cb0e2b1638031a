"""URLs of the disaster module (app_name "disaster"), one list per area."""

from kurashi.modules.disaster.urls import portal

app_name = "disaster"

urlpatterns = [*portal.urlpatterns]
