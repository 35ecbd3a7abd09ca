from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "community.open311"
    label = "open311"
    verbose_name = _("外部平台接口 (Open311)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from community.models import CaseEvent

        from .receivers import on_case_event

        # CaseEvent rows are written in the case's transaction by every step
        # (community.services): the one place to hear of all of them.
        post_save.connect(on_case_event, sender=CaseEvent, dispatch_uid="open311.case_event",
                          weak=False)
