"""Wagtail's publish and unpublish signals keep the search index and the audience up to date."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import ReferenceIndex
from wagtail.signals import page_published, page_unpublished, task_submitted

from .models import NoticeApprovalTask, NoticePage
from .search import index_notice, unindex_notice
from .selectors import notices_changed
from .services import notice_announce, notice_tell_reviewers


def _published(sender, instance, revision=None, **kwargs):
    index_notice(instance)
    # In the publishing transaction: the notice and its announcement stand or fall together.
    notice_announce(notice=instance)


def _unpublished(sender, instance, **kwargs):
    unindex_notice(instance)


page_published.connect(_published, sender=NoticePage, dispatch_uid="notices_published")
page_unpublished.connect(_unpublished, sender=NoticePage, dispatch_uid="notices_unpublished")


def _saved(sender, instance, raw=False, **kwargs):
    # Which images a notice shows decides who may fetch them (selectors.may_see_image).
    # Wagtail updates its reference index in a background task; a notice's images
    # must not be public until that task has run, so its references are written now.
    if raw:
        return

    ReferenceIndex.create_or_update_for_object(instance)


post_save.connect(_saved, sender=NoticePage, dispatch_uid="notices_references")


def _changed(sender, instance, raw=False, **kwargs):
    # The cached audiences (selectors.current_notices): now, for this thread, and
    # again at commit, so a reader that filled the cache from the old rows while
    # the transaction ran does not keep them.
    notices_changed()
    transaction.on_commit(notices_changed)


post_save.connect(_changed, sender=NoticePage, dispatch_uid="notices_audience_cache")
post_delete.connect(_changed, sender=NoticePage, dispatch_uid="notices_audience_cache_delete")


def _task_submitted(sender, instance, user=None, **kwargs):
    # From the phone form and from the Wagtail admin alike: the reviewers hear of it.

    if not isinstance(instance.task.specific, NoticeApprovalTask):
        return
    page = instance.revision.as_object()
    if isinstance(page, NoticePage):
        notice_tell_reviewers(page=page)


task_submitted.connect(_task_submitted, dispatch_uid="notices_task_submitted")
