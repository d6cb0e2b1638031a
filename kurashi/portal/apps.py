from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "kurashi.portal"
    label = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from kurashi.core import hooks

        hooks.nav_items.register(
            hooks.NavItem(key="home", label=_("Home"), url_name="portal:home", order=0)
        )
        hooks.nav_items.register(
            hooks.NavItem(key="map", label=_("Map"), url_name="portal:map", order=80)
        )
        hooks.map_layers.register(
            hooks.MapLayer(
                key="municipalities",
                title=_("Municipal boundaries"),
                geojson_url_name="api-v1:municipalities_geojson",
                kind="polygons",
                order=0,
                attribution="「国土数値情報（行政区域データ）」（国土交通省）を加工して作成",
            )
        )
