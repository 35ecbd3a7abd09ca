from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("门户与账户")

    def ready(self) -> None:
        from django.core.cache import cache
        from django.db.models.signals import post_delete, post_save
        from wagtail.signals import page_published, page_unpublished

        from . import sockets  # noqa: F401  (closes a person's sockets when they log out)
        from .models import HOME_PAGE_CACHE_KEY, HomePage

        def home_page_changed(**kwargs) -> None:
            cache.delete(HOME_PAGE_CACHE_KEY)

        for signal in (post_save, post_delete, page_published, page_unpublished):
            signal.connect(home_page_changed, sender=HomePage, weak=False,
                           dispatch_uid=f"jy-home-page-{id(signal)}")
