from typing import Any

from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    name = "kurashi.modules.archive"
    label = "archive"
    verbose_name = _("Digital archive and library")

    def ready(self) -> None:
        from kurashi.modules.archive import hooks_registration

        hooks_registration.register()
        pre_delete.connect(
            _forget_deleted_item, sender="archive.Item", dispatch_uid="archive-term-stats"
        )


def _forget_deleted_item(sender: type, instance: Any, **kwargs: Any) -> None:
    from kurashi.modules.archive.services import forget_deleted_item

    forget_deleted_item(instance.pk)
