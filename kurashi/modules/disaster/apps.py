from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterConfig(AppConfig):
    name = "kurashi.modules.disaster"
    label = "disaster"
    verbose_name = _("Disaster information")

    def ready(self) -> None:
        from kurashi.modules.disaster import hooks_registration

        hooks_registration.register()
