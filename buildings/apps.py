from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BuildingsConfig(AppConfig):
    name = "buildings"
    verbose_name = _("住户登记")

    def ready(self) -> None:
        from . import signals  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        signals.connect()
