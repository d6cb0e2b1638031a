from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "kurashi.modules.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from kurashi.modules.notify import hooks_registration

        hooks_registration.register()
