from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanConfig(AppConfig):
    name = "kurashi.modules.plan"
    label = "plan"
    verbose_name = _("Plan")

    def ready(self) -> None:
        from kurashi.core import hooks
        from kurashi.modules.plan.demo import load_departments

        hooks.nav_items.register(
            hooks.NavItem(key="plan", label=_("The plan"), url_name="plan:index", order=90)
        )
        hooks.demo_loaders.register(
            hooks.DemoLoader(
                key="plan-departments",
                label=_("Prefectural departments of the plan"),
                load=load_departments,
                order=20,
            )
        )
