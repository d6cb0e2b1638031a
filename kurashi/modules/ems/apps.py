from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmsConfig(AppConfig):
    name = "kurashi.modules.ems"
    label = "ems"
    verbose_name = _("Emergency medical information")
