"""Check-in, check-out, the confirmation by the people helped, and the approval of the service."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require
from buildings.choices import ResidencyState
from buildings.models import BuildingHead, Residency
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from ..choices import (
    ClaimState,
    EntryKind,
    TaskState,
)
from ..models import (
    Claim,
    PointsEntry,
    PointsRule,
    Task,
    Volunteer,
)
from .base import (
    CHECKIN_EARLY,
    CHECKOUT_LATE,
    KIND,
    VolunteerError,
    _lock_volunteer,
    _own_volunteer,
    _task_url,
)
from .ledger import _append

# --- Check-in, check-out, confirmation, approval -----------------------------


def _held_claim_of(actor: User, task_id: int) -> Claim:
    volunteer = _own_volunteer(actor)
    claim = (Claim.objects.select_for_update().select_related("task")
             .filter(task_id=task_id, volunteer=volunteer, state=ClaimState.HELD).first())
    if claim is None:
        raise VolunteerError(_("您没有报上这个任务。"))
    return claim


def _check_in(claim: Claim, *, actor: User, now: datetime, how: str) -> Claim:
    task = claim.task
    if task.state != TaskState.OPEN:
        raise VolunteerError(_("任务已经结束了。"))
    if now < task.starts_at - CHECKIN_EARLY:
        raise VolunteerError(_("还没到签到时间（开始前30分钟起可签到）。"))
    if now > task.ends_at:
        raise VolunteerError(_("任务时间已过，不能签到。"))
    if claim.checked_in_at:
        return claim
    claim.checked_in_at = now
    claim.checked_in_by = actor
    claim.save(update_fields=["checked_in_at", "checked_in_by"])
    audit(actor=actor, action="claim.check_in", target=claim, how=how)
    return claim


def _check_out(claim: Claim, *, actor: User, now: datetime) -> Claim:
    if not claim.checked_in_at:
        raise VolunteerError(_("还没有签到。"))
    if claim.checked_out_at:
        return claim
    claim.checked_out_at = min(now, claim.task.ends_at + CHECKOUT_LATE)
    claim.checked_out_by = actor
    claim.save(update_fields=["checked_out_at", "checked_out_by"])
    audit(actor=actor, action="claim.check_out", target=claim)
    _ask_for_confirmation(claim)
    return claim


def _ask_for_confirmation(claim: Claim) -> None:
    """Tell the people helped (or, without an account, their building head) to confirm."""

    households = list(claim.task.households.all())
    if not households:
        return
    ids = set(Residency.objects.filter(household__in=households, state=ResidencyState.VERIFIED)
              .values_list("user_id", flat=True))
    without = {h.unit.building_id for h in households} - set(
        Residency.objects.filter(household__in=households, state=ResidencyState.VERIFIED)
        .values_list("household__unit__building_id", flat=True))
    if without:
        ids |= set(BuildingHead.objects.filter(building_id__in=without)
                   .values_list("user_id", flat=True))
    for person in User.objects.filter(pk__in=ids):
        notify(recipient=person, kind=KIND,
               title=later(gettext_lazy("%(v)s 已完成服务，请确认"), v=claim.volunteer.public_name),
               body=claim.task.title, url=reverse("volunteers:to_confirm"))


def claim_check_in(*, actor: User, task_id: int, code: str = "", token: str = "") -> Claim:
    """The volunteer checks in with the organiser's code or the QR code at the place.

    The time is the server's. Checking in twice keeps the first time.
    """
    now = timezone.now()
    with transaction.atomic():
        claim = _held_claim_of(actor, task_id)
        task = claim.task
        code, token = (code or "").strip(), (token or "").strip()
        if not ((code and code == task.checkin_code) or (token and token == task.qr_token)):
            raise VolunteerError(_("签到码不对，请向组织者核对。"))
        return _check_in(claim, actor=actor, now=now, how="qr" if token else "code")


def claim_check_out(*, actor: User, task_id: int) -> Claim:
    """The volunteer checks out; the people helped are asked to confirm."""
    with transaction.atomic():
        claim = _held_claim_of(actor, task_id)
        return _check_out(claim, actor=actor, now=timezone.now())


def claim_check_in_for(*, actor: User, claim_id: int, out: bool = False) -> Claim:
    """The organiser or the building head checks a volunteer in (or out) who has no smartphone."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("task", "volunteer").get(
            pk=claim_id)
        require(actor, "volunteers.check_in_for", claim)
        if claim.state != ClaimState.HELD:
            raise VolunteerError(_("这位志愿者没有报上这个任务。"))
        if out:
            return _check_out(claim, actor=actor, now=timezone.now())
        return _check_in(claim, actor=actor, now=timezone.now(), how="on_behalf")


def _not_own(actor: User, claim: Claim) -> None:
    """A volunteer never confirms or approves their own service (their household's
    included): the hours and points need someone else's word."""
    if claim.volunteer.user_id == actor.pk:
        raise PermissionDenied(_("不能确认或审核自己的服务，请由其他人确认。"))


def claim_confirm(*, actor: User, claim_id: int) -> Claim:
    """The person helped (or their building head) confirms the service, with one tap."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("task", "volunteer").get(
            pk=claim_id)
        _not_own(actor, claim)
        require(actor, "volunteers.confirm_service", claim)
        if not claim.checked_out_at:
            raise VolunteerError(_("志愿者还没有完成服务。"))
        if claim.confirmed_at:
            return claim
        claim.confirmed_at = timezone.now()
        claim.confirmed_by = actor
        claim.save(update_fields=["confirmed_at", "confirmed_by"])
        audit(actor=actor, action="claim.confirm", target=claim)
        notify(recipient=claim.task.created_by, kind=KIND,
               title=gettext_lazy("服务已确认，请审核时长"), body=claim.task.title,
               url=_task_url(claim.task))
    return claim


def _quantize_hours(minutes: float) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def points_rule_for(task: Task) -> PointsRule | None:
    rules = {r.kind: r for r in PointsRule.objects.filter(community_id=task.community_id,
                                                          active=True, kind__in=[task.kind, ""])}
    return rules.get(task.kind) or rules.get("")


def points_for(*, task: Task, volunteer: Volunteer, hours: Decimal,
               now: datetime | None = None) -> int:
    """The points a service earns under the admin's rules, caps applied."""
    rule = points_rule_for(task)
    if task.points:
        points = task.points
    elif rule is not None:
        points = int((Decimal(rule.per_hour) * hours).to_integral_value(ROUND_HALF_UP)) \
            + rule.per_task
    else:
        points = int((Decimal(10) * hours).to_integral_value(ROUND_HALF_UP))
    if rule is None:
        return points
    if rule.cap_per_task:
        points = min(points, rule.cap_per_task)
    if rule.cap_per_month:
        local = timezone.localtime(now or timezone.now())
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        earned = PointsEntry.objects.filter(
            volunteer=volunteer, kind=EntryKind.SERVICE, created_at__gte=month_start
        ).aggregate(s=Sum("points"))["s"] or 0
        points = max(0, min(points, rule.cap_per_month - earned))
    return points


def claim_approve_service(*, actor: User, claim_id: int) -> Claim:
    """The organiser approves the service: hours and points go into the ledgers.

    Requires the check-out and, when the task served households, their
    confirmation. The hours are the checked time, at most the task's window.
    """
    with transaction.atomic():
        claim = Claim.objects.select_related("task", "volunteer").get(pk=claim_id)
        _not_own(actor, claim)
        require(actor, "volunteers.approve_service", claim)
        volunteer = _lock_volunteer(claim.volunteer_id)
        claim = Claim.objects.select_for_update().select_related("task").get(pk=claim_id)
        task = claim.task
        if claim.approved_at:
            raise VolunteerError(_("这次服务已经审核过了。"))
        if claim.state != ClaimState.HELD or not claim.checked_out_at:
            raise VolunteerError(_("志愿者还没有签退。"))
        if task.households.exists() and not claim.confirmed_at:
            raise VolunteerError(
                _("服务对象还没有确认。"))
        minutes = min(claim.service_minutes, (task.ends_at - task.starts_at).total_seconds() / 60)
        hours = _quantize_hours(minutes)
        points = points_for(task=task, volunteer=volunteer, hours=hours)
        claim.approved_at = timezone.now()
        claim.approved_by = actor
        claim.hours = hours
        claim.points = points
        claim.save(update_fields=["approved_at", "approved_by", "hours", "points"])
        reason = _("服务：%(t)s") % {"t": task.title}
        _append(volunteer=volunteer, hours=hours, points=points, kind=EntryKind.SERVICE,
                reason=reason, claim=claim, actor=actor)
        audit(actor=actor, action="claim.approve_service", target=claim, hours=str(hours),
              points=points)
        notify(recipient=volunteer.user, kind=KIND,
               title=later(gettext_lazy("服务已认定：%(h)s小时，%(p)d积分"), h=hours, p=points),
               body=task.title, url=reverse("volunteers:record"))
    return claim
