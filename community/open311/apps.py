from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "community.open311"
    label = "open311"
    verbose_name = _("外部平台接口 (Open311)")
    default_auto_field = "django.db.models.BigAutoField"
