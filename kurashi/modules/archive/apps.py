from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "kurashi.modules.archive"
    label = "archive"
    verbose_name = _("Digital archive and library")

    def ready(self) -> None:
        from kurashi.modules.archive import hooks_registration

        hooks_registration.register()
