from django.apps import AppConfig
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("诉求办理")

    def ready(self) -> None:
        from .models import Category  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        def categories_changed(**kwargs) -> None:
            from .selectors import CATEGORIES_CACHE_KEY  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

            cache.delete(CATEGORIES_CACHE_KEY)

        post_save.connect(categories_changed, sender=Category, dispatch_uid="jy-categories-save",
                          weak=False)
        post_delete.connect(categories_changed, sender=Category, dispatch_uid="jy-categories-del",
                            weak=False)

        # The volunteers app tells us when a task made from a case is finished.
        from volunteers.signals import task_finished  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        from .receivers import on_task_finished  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        task_finished.connect(on_task_finished, dispatch_uid="community.task_finished")
