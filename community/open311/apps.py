from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "community.open311"
    label = "open311"
    verbose_name = _("外部平台接口 (Open311)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from community.models import CaseEvent  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        from .receivers import on_case_event  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        # CaseEvent rows are written in the case's transaction by every step
        # (community.services): the one place to hear of all of them.
        post_save.connect(on_case_event, sender=CaseEvent, dispatch_uid="open311.case_event",
                          weak=False)
