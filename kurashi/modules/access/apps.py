from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "kurashi.modules.access"
    label = "access"
    verbose_name = _("Hearing-impaired support")

    def ready(self) -> None:
        from kurashi.modules.access import hooks_registration

        hooks_registration.register()
