"""What the forms module contributes to the portal: plan measures 4.1, 4.3 and 3.1, navigation,
indicators, the demo loader and the background tick."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kurashi.core import hooks


def register() -> None:
    from kurashi.modules.forms.demo import load_demo
    from kurashi.modules.forms.selectors import count_published_forms, count_submissions_this_month

    for measure_id, url_name, label in (
        ("4.1", "forms:catalogue", _("Online applications (shared forms)")),
        (
            "4.3",
            "forms:catalogue",
            _("Forms and case workflow shared by the prefecture and municipalities"),
        ),
        ("3.1", "forms:sme", _("SME ICT support: consultations, subsidy, IT vendors")),
    ):
        hooks.plan_deliveries.register(
            hooks.MeasureDelivery(
                measure_id=measure_id, module="forms", url_name=url_name, label=label
            )
        )
    hooks.nav_items.register(
        hooks.NavItem(
            key="forms", label=_("Online applications"), url_name="forms:catalogue", order=30
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="forms-published",
            measure_id="4.1",
            label=_("Forms open for online application"),
            compute=lambda: hooks.IndicatorValue(count_published_forms(), unit=_("forms")),
        )
    )
    hooks.plan_indicators.register(
        hooks.Indicator(
            key="forms-submissions-month",
            measure_id="4.3",
            label=_("Applications received this month"),
            compute=lambda: hooks.IndicatorValue(
                count_submissions_this_month(), unit=_("applications")
            ),
        )
    )
    hooks.demo_loaders.register(
        hooks.DemoLoader(
            key="forms",
            label=_("Online services: forms, templates, SME support (demo)"),
            load=load_demo,
            order=97,
        )
    )
    hooks.background_processes.register(
        hooks.BackgroundProcess(
            key="forms-tick",
            argv=("forms_tick", "--loop"),
            enabled=lambda: bool(getattr(settings, "FORMS_TICK_ENABLED", True)),
            order=60,
        )
    )
