"""Every change to who lives where goes through here.

Each function runs in one transaction, writes its audit row in it, and tells
the people concerned (in-app notifications are rows in the same transaction;
SMS leave after commit).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.choices import NotificationKind
from portal.models import User
from portal.services import audit, notify

from .access import forget_scope, require
from .choices import Relation, ResidencyState
from .models import BuildingHead, GridWorker, Household, Residency


class RegisterError(Exception):
    """A change to the register that cannot be made; the message is for the person."""


def _responsible_people(household: Household) -> list[User]:
    building = household.unit.building
    head_ids = BuildingHead.objects.filter(building=building).values_list("user_id", flat=True)
    # The grid worker of the building's grid and of every grid above it.
    path, step = building.grid.path, building.grid.steplen
    paths = [path[:end] for end in range(step, len(path) + 1, step)]
    worker_ids = GridWorker.objects.filter(grid__path__in=paths).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=set(head_ids) | set(worker_ids)))


def residency_claim(*, user: User, household: Household,
                    relation: str = Relation.FAMILY) -> Residency:
    """A person says they live in ``household``; it waits for verification.

    Refuses a second open claim for the same flat. Tells the building head and
    the grid workers of the building's grid.
    """
    if Residency.objects.filter(
        user=user, household=household,
        state__in=[ResidencyState.PENDING, ResidencyState.VERIFIED],
    ).exists():
        raise RegisterError(_("您已经申请过这一户，请等待认证。 You have already claimed this flat."))
    try:
        with transaction.atomic():
            residency = Residency.objects.create(
                user=user, household=household, relation=relation
            )
            audit(actor=user, action="residency.claim", target=residency,
                  household=household.pk)
            for person in _responsible_people(household):
                notify(
                    recipient=person,
                    kind=NotificationKind.RESIDENCY,
                    title=_("有新的住户认证申请"),
                    body=_("%(who)s 申请认证为 %(where)s 的住户")
                    % {"who": user.shown_name, "where": household.address},
                    url=reverse("buildings:verify_list"),
                )
    except IntegrityError as exc:  # a double tap that raced the check above
        raise RegisterError(
            _("您已经申请过这一户，请等待认证。 You have already claimed this flat.")
        ) from exc
    return residency


def _decide(*, actor: User, residency_id: int, to: str, reason: str, action: str) -> Residency:
    with transaction.atomic():
        residency = (
            Residency.objects.select_for_update()
            .select_related("household__unit__building", "user")
            .get(pk=residency_id)
        )
        require(actor, "buildings.decide_residency", residency)
        if residency.state != ResidencyState.PENDING:
            raise RegisterError(_("这条申请已经处理过了。 This claim has already been decided."))
        residency.state = to
        residency.reason = reason
        residency.decided_by = actor
        residency.decided_at = timezone.now()
        residency.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit(actor=actor, action=action, target=residency, reason=reason)
        if to == ResidencyState.VERIFIED:
            title = _("您的住户认证已通过")
            body = residency.household.address
        else:
            title = _("您的住户认证未通过")
            body = _("原因：%(reason)s") % {"reason": reason}
        notify(recipient=residency.user, kind=NotificationKind.RESIDENCY, title=title,
               body=body, url=reverse("portal:me"), sms=True)
    forget_scope(residency.user)
    return residency


def residency_verify(*, actor: User, residency_id: int) -> Residency:
    """The building head or grid worker confirms the person lives there."""
    return _decide(actor=actor, residency_id=residency_id, to=ResidencyState.VERIFIED,
                   reason="", action="residency.verify")


def residency_reject(*, actor: User, residency_id: int, reason: str) -> Residency:
    """Refuse a claim. A reason is required: the resident is told it."""
    reason = (reason or "").strip()
    if not reason:
        raise RegisterError(_("请填写不通过的原因。 Please give a reason."))
    return _decide(actor=actor, residency_id=residency_id, to=ResidencyState.REJECTED,
                   reason=reason[:200], action="residency.reject")


def residency_move_out(*, actor: User, residency_id: int, reason: str = "") -> Residency:
    """A verified resident leaves the flat; kept as history, no longer counts."""
    with transaction.atomic():
        residency = Residency.objects.select_for_update().select_related(
            "household__unit__building"
        ).get(pk=residency_id)
        if residency.user_id != actor.pk:
            require(actor, "buildings.decide_residency", residency)
        if residency.state != ResidencyState.VERIFIED:
            raise RegisterError(_("只有已认证的住户才能迁出。 Only a verified residency can move out."))
        residency.state = ResidencyState.MOVED_OUT
        residency.reason = (reason or "").strip()[:200]
        residency.decided_by = actor
        residency.decided_at = timezone.now()
        residency.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit(actor=actor, action="residency.move_out", target=residency, reason=residency.reason)
    forget_scope(residency.user)
    return residency


def residency_withdraw(*, user: User, residency_id: int) -> None:
    """A person takes back their own pending claim."""
    with transaction.atomic():
        residency = Residency.objects.select_for_update().get(pk=residency_id)
        require(user, "buildings.withdraw_residency", residency)
        if residency.state != ResidencyState.PENDING:
            raise RegisterError(_("这条申请已经处理过了。 This claim has already been decided."))
        audit(actor=user, action="residency.withdraw", target=residency)
        residency.delete()
