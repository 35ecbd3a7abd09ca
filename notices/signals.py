"""Wagtail's publish and unpublish signals keep the search index and the audience up to date."""

from wagtail.signals import page_published, page_unpublished

from .models import NoticePage


def _published(sender, instance, revision=None, **kwargs):
    from .search import index_notice
    from .services import notice_announce

    index_notice(instance)
    # In the publishing transaction: the notice and its announcement stand or fall together.
    notice_announce(notice=instance)


def _unpublished(sender, instance, **kwargs):
    from .search import unindex_notice

    unindex_notice(instance)


page_published.connect(_published, sender=NoticePage, dispatch_uid="notices_published")
page_unpublished.connect(_unpublished, sender=NoticePage, dispatch_uid="notices_unpublished")
