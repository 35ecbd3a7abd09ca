"""Claims: a place on a task, the waiting list, offers, the organiser's decision, reminders.

A volunteer's own change to one claim starts with ``lock_claim`` (volunteer row, then task row, then
the claim), the order the package docstring promises.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from ..choices import (
    LIVE_STATES,
    PLACE_STATES,
    ClaimState,
    TaskState,
)
from ..models import (
    Claim,
    Task,
    Volunteer,
)
from ..workflow import check_move
from .base import (
    KIND,
    OFFER_WINDOW,
    VolunteerError,
    _lock_task,
    _lock_volunteer,
    _own_volunteer,
    _task_url,
)

# --- Claims -----------------------------------------------------------------


def lock_claim(*, actor: User, claim_id: int, perm: str) -> tuple[Claim, Volunteer, Task]:
    """The prologue of a change to one claim: may ``actor`` (``perm``)? then lock.

    Locks the volunteer's row, then the task's, then the claim's (the order
    this package promises); the claim comes back with its locked task.
    """
    claim = Claim.objects.select_related("volunteer").get(pk=claim_id)
    require(actor, perm, claim)
    volunteer = _lock_volunteer(claim.volunteer_id)
    task = _lock_task(claim.task_id)
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    claim.task = task
    return claim, volunteer, task


def _overlapping(volunteer: Volunteer, task: Task) -> Claim | None:
    return (Claim.objects.filter(volunteer=volunteer, state__in=PLACE_STATES,
                                 task__starts_at__lt=task.ends_at,
                                 task__ends_at__gt=task.starts_at,
                                 task__state=TaskState.OPEN)
            .exclude(task=task).select_related("task").first())


def _overlap_error(other: Claim) -> VolunteerError:
    return VolunteerError(
        _("这个时间您已经报名了“%(t)s”，同一时间只能参加一个任务。") % {"t": other.task.title}
    )


def _take_place(task: Task) -> bool:
    """One conditional UPDATE: true if a place was free and is now taken."""
    taken = Task.objects.filter(pk=task.pk, filled__lt=F("places")).update(
        filled=F("filled") + 1)
    if taken:
        task.filled += 1
    return bool(taken)


def _free_place(task: Task) -> None:
    Task.objects.filter(pk=task.pk, filled__gt=0).update(filled=F("filled") - 1)
    task.filled = max(0, task.filled - 1)


def _end_claim(claim: Claim, to: str) -> None:
    """Move a claim to an end state; a claim that held a place gives it back."""
    check_move(claim, to)
    held = claim.state in PLACE_STATES
    claim.state = to
    claim.ended_at = timezone.now()
    claim.offer_expires_at = None
    claim.save(update_fields=["state", "ended_at", "offer_expires_at"])
    if held:
        _free_place(claim.task)


def task_claim(*, actor: User, task_id: int) -> Claim:
    """The volunteer asks for a place on a task. Returns their claim.

    Exactly one of: a place (held, or pending the organiser's approval), or a
    place on the waiting list when the task is full. However many people tap at
    once, the task never has more claims on places than places; a double tap
    returns the claim the first tap made.

    The volunteer's row is locked first: it serialises one person's taps, so
    the double-tap and overlap checks can run before the task's row is locked,
    and the time the hot task row stays locked is four statements.
    """
    volunteer = _own_volunteer(actor)
    now = timezone.now()
    try:
        with transaction.atomic():
            volunteer = _lock_volunteer(volunteer.pk)
            existing = Claim.objects.filter(task_id=task_id, volunteer=volunteer,
                                            state__in=LIVE_STATES).first()
            if existing is not None:
                return existing
            task = Task.objects.filter(pk=task_id).first()
            if task is None:
                raise VolunteerError(_("没有这个任务。"))
            if task.state != TaskState.OPEN or task.starts_at <= now:
                raise VolunteerError(_("这个任务已经不能报名了。"))
            other = _overlapping(volunteer, task)
            if other is not None:
                raise _overlap_error(other)
            task = _lock_task(task_id)
            if task.state != TaskState.OPEN:
                raise VolunteerError(_("这个任务已经不能报名了。"))
            if _take_place(task):
                state = ClaimState.PENDING if task.needs_approval else ClaimState.HELD
            else:
                state = ClaimState.WAITLISTED
            claim = Claim.objects.create(task=task, volunteer=volunteer, state=state,
                                         created_at=now)
            audit(actor=actor, action="claim.create", target=claim, task=task.pk, state=state)
            if state == ClaimState.PENDING:
                notify(recipient=task.created_by, kind=KIND,
                       title=later(gettext_lazy("有人报名“%(t)s”，请审核"), t=task.title),
                       body=volunteer.real_name, url=_task_url(task))
    except IntegrityError:
        # Only reachable if two taps got past the volunteer lock together; the
        # whole transaction (and its place) was rolled back: the first tap's claim stands.
        return Claim.objects.get(task_id=task_id, volunteer=volunteer, state__in=LIVE_STATES)
    return claim


def claim_withdraw(*, actor: User, claim_id: int) -> Claim:
    """The volunteer leaves a task (before the cut-off); the waiting list moves up."""
    now = timezone.now()
    with transaction.atomic():
        claim, _volunteer, task = lock_claim(actor=actor, claim_id=claim_id,
                                             perm="volunteers.withdraw_claim")
        if claim.state in (ClaimState.HELD, ClaimState.PENDING):
            cutoff = task.starts_at - timedelta(hours=task.withdraw_cutoff_hours)
            if now >= cutoff:
                raise VolunteerError(
                    _("开始前%(h)d小时内不能在线退出，请直接联系组织者。")
                    % {"h": task.withdraw_cutoff_hours}
                )
        _end_claim(claim, ClaimState.WITHDRAWN)
        audit(actor=actor, action="claim.withdraw", target=claim, task=task.pk)
        _move_up(task, now=now)
    return claim


def claims_withdraw_upcoming(*, actor: User, volunteer_id: int, now: datetime | None = None,
                             reason: str = "") -> int:
    """Give back every place the volunteer has on tasks that have not started yet.

    Used when an account is deleted (``volunteers.privacy``). One transaction
    (or the caller's); the volunteer row is locked first, then each task's, as
    everywhere in this module; one ``claim.withdraw`` audit row per claim; the
    waiting lists move up. No cut-off applies. Returns how many were given back.
    """
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        _lock_volunteer(volunteer_id)
        upcoming = (Claim.objects.filter(volunteer_id=volunteer_id, state__in=LIVE_STATES,
                                         task__starts_at__gt=now)
                    .order_by("pk").values_list("pk", "task_id"))
        for claim_id, task_id in list(upcoming):
            task = _lock_task(task_id)
            claim = Claim.objects.select_for_update().get(pk=claim_id)
            claim.task = task
            _end_claim(claim, ClaimState.WITHDRAWN)
            audit(actor=actor, action="claim.withdraw", target=claim, task=task.pk,
                  reason=reason)
            _move_up(task, now=now)
            count += 1
    return count


def _move_up(task: Task, *, now: datetime) -> list[Claim]:
    """Offer every free place to the next person on the waiting list, who must confirm.

    Someone who meanwhile holds another task at the same time is passed over
    (and stays on the list). Call with the task row locked.
    """
    offered: list[Claim] = []
    if task.state != TaskState.OPEN or task.starts_at <= now:
        return offered
    waiting = list(Claim.objects.filter(task=task, state=ClaimState.WAITLISTED)
                   .select_related("volunteer__user").order_by("created_at", "id"))
    for claim in waiting:
        if task.filled >= task.places:
            break
        if _overlapping(claim.volunteer, task) is not None:
            continue
        if not _take_place(task):
            break
        check_move(claim, ClaimState.OFFERED)
        claim.state = ClaimState.OFFERED
        claim.task = task
        claim.offer_expires_at = min(now + OFFER_WINDOW, task.starts_at)
        claim.save(update_fields=["state", "offer_expires_at"])
        audit(actor=None, action="claim.offer", target=claim, task=task.pk)
        deadline = timezone.localtime(claim.offer_expires_at).strftime("%m-%d %H:%M")
        notify(recipient=claim.volunteer.user, kind=KIND, sms=True,
               title=later(gettext_lazy("候补成功：“%(t)s”有空位了"), t=task.board_title),
               body=later(gettext_lazy("请在 %(d)s 前确认参加，逾期名额让给下一位。"), d=deadline),
               url=_task_url(task))
        offered.append(claim)
    return offered


def claim_accept_offer(*, actor: User, claim_id: int) -> Claim:
    """The person moved up from the waiting list says yes before the deadline."""
    now = timezone.now()
    with transaction.atomic():
        claim, volunteer, task = lock_claim(actor=actor, claim_id=claim_id,
                                            perm="volunteers.withdraw_claim")
        if claim.state != ClaimState.OFFERED:
            raise VolunteerError(_("没有待确认的递补名额。"))
        if claim.offer_expires_at and claim.offer_expires_at <= now:
            # The periodic job lapses it and asks the next person (this transaction rolls back).
            raise VolunteerError(_("确认已过期，名额已让给下一位。"))
        other = _overlapping(volunteer, task)
        if other is not None:
            raise _overlap_error(other)
        to = ClaimState.PENDING if task.needs_approval else ClaimState.HELD
        check_move(claim, to)
        claim.state = to
        claim.offer_expires_at = None
        claim.save(update_fields=["state", "offer_expires_at"])
        audit(actor=actor, action="claim.accept_offer", target=claim, task=task.pk)
    return claim


def claim_decline_offer(*, actor: User, claim_id: int) -> Claim:
    """The person moved up says no; the next one on the list is asked."""
    now = timezone.now()
    with transaction.atomic():
        claim, _volunteer, task = lock_claim(actor=actor, claim_id=claim_id,
                                             perm="volunteers.withdraw_claim")
        if claim.state != ClaimState.OFFERED:
            raise VolunteerError(_("没有待确认的递补名额。"))
        _end_claim(claim, ClaimState.WITHDRAWN)
        audit(actor=actor, action="claim.decline_offer", target=claim, task=task.pk)
        _move_up(task, now=now)
    return claim


def offers_expire(*, now: datetime | None = None) -> int:
    """Offers not confirmed by their deadline lapse; the next person is asked. Periodic."""
    now = now or timezone.now()
    count = 0
    due = list(Claim.objects.filter(state=ClaimState.OFFERED, offer_expires_at__lte=now)
               .values_list("pk", "task_id"))
    for claim_id, task_id in due:
        with transaction.atomic():
            task = _lock_task(task_id)
            claim = Claim.objects.select_for_update().select_related("volunteer__user").get(
                pk=claim_id)
            if (claim.state != ClaimState.OFFERED or claim.offer_expires_at is None
                    or claim.offer_expires_at > now):
                continue
            claim.task = task
            _end_claim(claim, ClaimState.LAPSED)
            audit(actor=None, action="claim.lapse", target=claim, task=task.pk)
            notify(recipient=claim.volunteer.user, kind=KIND,
                   title=later(gettext_lazy("递补名额已过期：%(t)s"), t=task.board_title),
                   body=gettext_lazy("未在期限内确认，名额已让给下一位。"), url=_task_url(task))
            _move_up(task, now=now)
            count += 1
    return count


def claim_decide(*, actor: User, claim_id: int, approve: bool, reason: str = "") -> Claim:
    """The organiser accepts or declines a claim on a task that needs approval."""
    now = timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_related("task", "volunteer__user").get(pk=claim_id)
        require(actor, "volunteers.decide_claim", claim)
        task = _lock_task(claim.task_id)
        claim = Claim.objects.select_for_update().select_related("volunteer__user").get(
            pk=claim_id)
        claim.task = task
        if claim.state != ClaimState.PENDING:
            raise VolunteerError(_("这条报名已经处理过了。"))
        if approve:
            check_move(claim, ClaimState.HELD)
            claim.state = ClaimState.HELD
            claim.save(update_fields=["state"])
        else:
            _end_claim(claim, ClaimState.DECLINED)
            _move_up(task, now=now)
        audit(actor=actor, action="claim.approve" if approve else "claim.decline",
              target=claim, reason=reason)
        notify(recipient=claim.volunteer.user, kind=KIND, sms=True,
               title=later(gettext_lazy("报名已通过：%(t)s") if approve
                           else gettext_lazy("报名未通过：%(t)s"), t=task.title),
               body=reason, url=_task_url(task))
    return claim



# --- Reminders ------------------------------------------------------------------


def claims_remind_upcoming(*, now: datetime | None = None,
                           within: timedelta = timedelta(hours=2)) -> int:
    """Remind everyone holding a place on a task that starts soon, once. Periodic.

    In-app always; by SMS too unless ``JIAYUAN["VOLUNTEER_REMINDER_SMS"]`` is off.
    """
    now = now or timezone.now()
    sms = bool(settings.JIAYUAN.get("VOLUNTEER_REMINDER_SMS", True))
    due = (Claim.objects.filter(state=ClaimState.HELD, reminded_at__isnull=True,
                                task__state=TaskState.OPEN, task__starts_at__gt=now,
                                task__starts_at__lte=now + within)
           .select_related("task", "volunteer__user"))
    count = 0
    for claim in due:
        with transaction.atomic():
            # Only the first of two tickers gets the row.
            if not Claim.objects.filter(pk=claim.pk, reminded_at__isnull=True).update(
                    reminded_at=now):
                continue
            start = timezone.localtime(claim.task.starts_at).strftime("%H:%M")
            notify(recipient=claim.volunteer.user, kind=KIND, sms=sms,
                   title=later(gettext_lazy("志愿任务提醒：%(t)s"), t=claim.task.board_title),
                   body=later(gettext_lazy("%(s)s 开始，地点：%(p)s"), s=start,
                              p=claim.task.public_place),
                   url=_task_url(claim.task))
            count += 1
    return count
