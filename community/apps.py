from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("诉求办理")

    def ready(self) -> None:
        # The volunteers app tells us when a task made from a case is finished.
        try:
            from volunteers.signals import task_finished
        except ImportError:
            return
        from .receivers import on_task_finished

        task_finished.connect(on_task_finished, dispatch_uid="community.task_finished")
