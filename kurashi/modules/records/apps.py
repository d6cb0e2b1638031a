from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "kurashi.modules.records"
    label = "records"
    verbose_name = _("Regional clinical records")

    def ready(self) -> None:
        from kurashi.modules.records import hooks_registration

        hooks_registration.register()
