from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmsConfig(AppConfig):
    name = "kurashi.modules.ems"
    label = "ems"
    verbose_name = _("Emergency medical information")

    def ready(self) -> None:
        from kurashi.modules.ems import hooks_registration

        hooks_registration.register()
