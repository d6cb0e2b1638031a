from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    name = "kurashi.modules.forms"
    label = "forms"
    verbose_name = _("Online services")

    def ready(self) -> None:
        from kurashi.modules.forms import hooks_registration

        hooks_registration.register()
