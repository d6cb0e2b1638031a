"""What the archive contributes to the portal: plan measures 2.3 and 2.5, navigation (public
archive; cataloguing for staff), a map layer, indicators and the demo loader."""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    from kurashi.modules.archive.demo import load_demo_archive
    from kurashi.modules.archive.selectors import (
        count_public_items,
        count_searchable_texts,
        is_archive_staff,
    )

    def staff_visible(request: HttpRequest) -> bool:
        return is_archive_staff(request.user)

    for measure_id, label in (
        ("2.3", _("Digital archive of traditional culture and folk performing arts")),
        ("2.5", _("Local materials and folk tales on the web (library)")),
    ):
        hooks.plan_deliveries.register(
            hooks.MeasureDelivery(
                measure_id=measure_id, module="archive", url_name="archive:index", label=label
            )
        )
    hooks.nav_items.register(
        hooks.NavItem(key="archive", label=_("Archive"), url_name="archive:index", order=40)
    )
    hooks.nav_items.register(
        hooks.NavItem(
            key="archive-staff",
            label=_("Cataloguing"),
            url_name="archive:staff",
            order=41,
            visible=staff_visible,
        )
    )
    hooks.map_layers.register(
        hooks.MapLayer(
            key="archive",
            title=_("Archive items"),
            geojson_url_name="archive:map-geojson",
            enabled_by_default=False,
            order=60,
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="archive-public-items",
            measure_id="2.3",
            label=_("Items published in the archive"),
            compute=lambda: hooks.IndicatorValue(count_public_items(), unit=_("items")),
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="archive-texts",
            measure_id="2.5",
            label=_("Local texts and folk tales readable on the web"),
            compute=lambda: hooks.IndicatorValue(count_searchable_texts(), unit=_("texts")),
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="archive",
            label=_("Digital archive: Aozora texts, Saga IIIF listings, a performing art (demo)"),
            load=load_demo_archive,
            order=70,
        )
    )
