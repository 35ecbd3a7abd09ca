"""Volunteering's part of a person's data (see ``portal.privacy``): profile, claims, ledgers."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.privacy import Erasure, iso

from .choices import RedemptionState, VolunteerState
from .models import Claim, HoursEntry, PointsEntry, Redemption, Volunteer
from .services import claims_withdraw_upcoming, redemption_cancel


def export(user) -> dict:
    volunteer = Volunteer.objects.filter(user=user).select_related("team").first()
    if volunteer is None:
        return {"volunteer": None}
    claims = volunteer.claims.select_related("task").order_by("created_at", "pk")
    hours = HoursEntry.objects.filter(volunteer=volunteer).order_by("created_at", "pk")
    points = PointsEntry.objects.filter(volunteer=volunteer).order_by("created_at", "pk")
    redemptions = volunteer.redemptions.select_related("item").order_by("created_at", "pk")
    return {"volunteer": {
        "real_name": volunteer.real_name,
        "phone": volunteer.phone,
        "skills": volunteer.skill_labels,
        "free_times": volunteer.free_time_labels,
        "team": volunteer.team.name if volunteer.team_id else None,
        "state": volunteer.state,
        "hide_from_leaderboard": volunteer.hide_from_leaderboard,
        "applied_at": iso(volunteer.applied_at),
        "decided_at": iso(volunteer.decided_at),
        "hours_total": str(volunteer.hours_total),
        "points_balance": volunteer.points_balance,
        "claims": [{
            "task": c.task.title,
            "task_starts_at": iso(c.task.starts_at),
            "task_ends_at": iso(c.task.ends_at),
            "state": c.state,
            "claimed_at": iso(c.created_at),
            "checked_in_at": iso(c.checked_in_at),
            "checked_out_at": iso(c.checked_out_at),
            "hours": str(c.hours) if c.hours is not None else None,
            "points": c.points,
        } for c in claims],
        "hours_ledger": [{"at": iso(e.created_at), "kind": e.kind, "hours": str(e.hours),
                          "reason": e.reason} for e in hours],
        "points_ledger": [{"at": iso(e.created_at), "kind": e.kind, "points": e.points,
                           "reason": e.reason} for e in points],
        "redemptions": [{"item": r.item.name, "cost": r.cost, "state": r.state,
                         "at": iso(r.created_at), "collected_at": iso(r.collected_at)}
                        for r in redemptions],
    }}


def summary(user) -> dict[str, int]:
    return {"claims": Claim.objects.filter(volunteer__user=user).count()}


def own_names(user) -> list[str]:
    return list(Volunteer.objects.filter(user=user).values_list("real_name", flat=True))


def erase(erasure: Erasure) -> None:
    """The ledgers stay; places on tasks to come are given back, reservations cancelled."""
    user = erasure.user
    volunteer = Volunteer.objects.filter(user=user).first()
    if volunteer is None:
        return
    erasure.counts["claims_withdrawn"] = claims_withdraw_upcoming(
        actor=user, volunteer_id=volunteer.pk, now=erasure.now, reason="account.erase")
    for redemption in Redemption.objects.filter(volunteer=volunteer,
                                                state=RedemptionState.RESERVED):
        redemption_cancel(actor=user, redemption_id=redemption.pk)
    volunteer.real_name = str(_("已注销居民"))
    volunteer.phone = ""
    volunteer.skills = ""
    volunteer.free_times = ""
    volunteer.hide_from_leaderboard = True
    volunteer.team = None
    volunteer.state = VolunteerState.SUSPENDED
    volunteer.reason = _("账号已注销")
    volunteer.save(update_fields=["real_name", "phone", "skills", "free_times",
                                  "hide_from_leaderboard", "team", "state", "reason"])
