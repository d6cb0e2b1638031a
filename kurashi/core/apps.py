from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kurashi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kurashi.core import demo, hooks
        from kurashi.core.health import database_health, task_queue_health
        from kurashi.core.supervisor import supervised_processes_health

        hooks.health_checks.register(
            hooks.HealthCheck(key="database", check=database_health, order=0)
        )
        hooks.health_checks.register(
            hooks.HealthCheck(key="tasks", check=task_queue_health, order=10)
        )
        hooks.health_checks.register(
            hooks.HealthCheck(key="processes", check=supervised_processes_health, order=15)
        )
        from kurashi.core import otp

        hooks.sealed_values.register(
            hooks.SealedValues(
                key="core.totp",
                label=_("Two-factor (TOTP) secrets"),
                count_by_key=otp.count_by_key,
                reseal=otp.reseal_all,
                order=0,
            )
        )
        hooks.demo_loaders.register(
            hooks.DemoLoader(
                key="municipalities",
                label=_("Prefecture and 20 municipalities"),
                load=demo.load_reference,
                order=0,
            )
        )
        hooks.demo_loaders.register(
            hooks.DemoLoader(
                key="organisations",
                label=_("Roles and organisations"),
                load=demo.load_organisations,
                order=10,
            )
        )
        hooks.demo_loaders.register(
            hooks.DemoLoader(
                key="demo-staff",
                label=_("Demo staff accounts"),
                load=demo.load_demo_staff,
                order=90,
            )
        )
