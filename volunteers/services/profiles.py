"""Volunteers: applying, their profile, the organiser's decision."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require
from buildings.choices import ResidencyState
from buildings.models import Community, CommunityAdmin, GridWorker, Residency, grid_paths_up
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from ..choices import (
    VolunteerState,
)
from ..models import (
    Team,
    Volunteer,
)
from ..rules import forget_volunteer
from .base import KIND, VolunteerError, _lock_volunteer

# --- Volunteers -------------------------------------------------------------


def volunteer_apply(*, user: User, real_name: str, skills: list[str], free_times: list[str],
                    team: Team | None = None, hide_from_leaderboard: bool = False) -> Volunteer:
    """A resident applies to volunteer; staff of their grid are told.

    The phone is the account's verified phone; an account without one cannot
    apply. A rejected applicant may apply again (the same row goes back to
    pending).
    """
    real_name = (real_name or "").strip()
    if not real_name or len(real_name) > 40:
        raise VolunteerError(_("请填写真实姓名。"))
    if not (user.phone and user.phone_verified):
        raise VolunteerError(_("请先验证手机号。"))
    residency = (
        Residency.objects.filter(user=user, state=ResidencyState.VERIFIED)
        .select_related("household__unit__building__grid")
        .first()
    )
    if residency is not None:
        building = residency.household.unit.building
        community_id, grid = building.community_id, building.grid
    else:
        community = Community.objects.order_by("pk").first()
        if community is None:
            raise VolunteerError(_("社区尚未设置。"))
        community_id, grid = community.pk, None
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().filter(user=user).first()
        if volunteer is not None and volunteer.state in (VolunteerState.APPROVED,
                                                         VolunteerState.PENDING):
            raise VolunteerError(_("您已经申请过了。"))
        if volunteer is None:
            volunteer = Volunteer(user=user)
        volunteer.community_id = community_id
        volunteer.grid = grid
        volunteer.real_name = real_name
        volunteer.phone = user.phone
        volunteer.set_skills(skills)
        volunteer.set_free_times(free_times)
        volunteer.team = team
        volunteer.hide_from_leaderboard = hide_from_leaderboard
        volunteer.state = VolunteerState.PENDING
        volunteer.applied_at = timezone.now()
        volunteer.reason = ""
        volunteer.save()
        audit(actor=user, action="volunteer.apply", target=volunteer)
        for person in _reviewers(volunteer):
            notify(recipient=person, kind=KIND, title=gettext_lazy("有新的志愿者申请"),
                   body=real_name, url=reverse("volunteers:review"))
    forget_volunteer(user)
    return volunteer


def _reviewers(volunteer: Volunteer) -> list[User]:
    ids = set(CommunityAdmin.objects.filter(community_id=volunteer.community_id)
              .values_list("user_id", flat=True))
    grid = volunteer.grid
    if grid is not None:
        ids |= set(GridWorker.objects.filter(grid__path__in=grid_paths_up(grid.path))
                   .values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids))


def volunteer_update_profile(*, user: User, skills: list[str], free_times: list[str],
                             hide_from_leaderboard: bool) -> Volunteer:
    """The volunteer changes what they can do, when they are free, and leaderboard privacy."""
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(user=user)
        volunteer.set_skills(skills)
        volunteer.set_free_times(free_times)
        volunteer.hide_from_leaderboard = hide_from_leaderboard
        volunteer.save(update_fields=["skills", "free_times", "hide_from_leaderboard"])
        audit(actor=user, action="volunteer.profile", target=volunteer)
    forget_volunteer(user)
    return volunteer


def volunteer_decide(*, actor: User, volunteer_id: int, approve: bool,
                     reason: str = "") -> Volunteer:
    """Staff of the volunteer's grid (or an admin) approve or reject an application."""
    reason = (reason or "").strip()[:200]
    if not approve and not reason:
        raise VolunteerError(_("请填写不通过的原因。"))
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer_id)
        require(actor, "volunteers.decide_volunteer", volunteer)
        if volunteer.state != VolunteerState.PENDING:
            raise VolunteerError(_("这份申请已经处理过了。"))
        volunteer.state = VolunteerState.APPROVED if approve else VolunteerState.REJECTED
        volunteer.reason = reason
        volunteer.decided_at = timezone.now()
        volunteer.decided_by = actor
        volunteer.save(update_fields=["state", "reason", "decided_at", "decided_by"])
        audit(actor=actor, action="volunteer.approve" if approve else "volunteer.reject",
              target=volunteer, reason=reason)
        notify(recipient=volunteer.user, kind=KIND, sms=True,
               title=(gettext_lazy("您已成为志愿者，可以报名任务了") if approve
                      else gettext_lazy("志愿者申请未通过")),
               body="" if approve else later(gettext_lazy("原因：%(r)s"), r=reason),
               url=reverse("volunteers:index"))
    forget_volunteer(volunteer.user)
    return volunteer
