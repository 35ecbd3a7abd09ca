from django.apps import AppConfig
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _
from wagtail.signals import page_published, page_unpublished


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("门户与账户")

    def ready(self) -> None:
        from . import sockets  # noqa: PLC0415,F401 (AppConfig.ready; closes a person's sockets at logout)
        from .models import HOME_PAGE_CACHE_KEY, HomePage  # noqa: PLC0415 (apps-not-ready: AppConfig.ready)

        def home_page_changed(**kwargs) -> None:
            cache.delete(HOME_PAGE_CACHE_KEY)

        for signal in (post_save, post_delete, page_published, page_unpublished):
            signal.connect(home_page_changed, sender=HomePage, weak=False,
                           dispatch_uid=f"jy-home-page-{id(signal)}")
