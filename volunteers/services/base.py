"""What every part of ``volunteers.services`` shares: the error, the locks, the constants."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _

from portal.choices import NotificationKind
from portal.errors import Refused
from portal.models import User

from ..choices import (
    VolunteerState,
)
from ..models import (
    Task,
    Volunteer,
)
from ..rules import volunteer_of

KIND = NotificationKind.VOLUNTEER
OFFER_WINDOW = timedelta(hours=2)
CHECKIN_EARLY = timedelta(minutes=30)
CHECKOUT_LATE = timedelta(hours=3)


class VolunteerError(Refused):
    """A change that cannot be made; the message is for the person."""


def _task_url(task: Task) -> str:
    return reverse("volunteers:task", args=[task.pk])


def _lock_volunteer(volunteer_id: int) -> Volunteer:
    return Volunteer.objects.select_for_update().select_related("user").get(pk=volunteer_id)


def _lock_task(task_id: int) -> Task:
    try:
        return Task.objects.select_for_update().get(pk=task_id)
    except Task.DoesNotExist as exc:
        raise VolunteerError(_("没有这个任务。")) from exc


def _own_volunteer(actor: User) -> Volunteer:
    volunteer = volunteer_of(actor)
    if volunteer is None or volunteer.state != VolunteerState.APPROVED:
        raise VolunteerError(
            _("需要先成为经审核的志愿者。")
        )
    return volunteer

