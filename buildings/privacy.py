"""The register's part of a person's data (see ``portal.privacy``): where they live, their roles."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.privacy import Erasure, iso

from .access import forget_scope
from .choices import ResidencyState
from .models import (
    BuildingHead,
    CommunityAdmin,
    Department,
    DepartmentHandler,
    GridWorker,
    LiaisonStaff,
    Residency,
)


def export(user) -> dict:
    rows = (Residency.objects.filter(user=user)
            .select_related("household__unit__building").order_by("claimed_at", "pk"))
    return {"residencies": [{
        "household": r.household.address,
        "relation": r.get_relation_display(),
        "name": r.claimant_name,
        "state": r.state,
        "state_label": r.get_state_display(),
        "claimed_at": iso(r.claimed_at),
        "decided_at": iso(r.decided_at),
        "reason": r.reason,
    } for r in rows]}


def summary(user) -> dict[str, int]:
    return {"residencies": Residency.objects.filter(user=user).count()}


def erase_blockers(user) -> list[str]:
    checks = [
        (BuildingHead.objects.filter(user=user), _("楼栋长")),
        (GridWorker.objects.filter(user=user), _("网格员")),
        (DepartmentHandler.objects.filter(user=user), _("承办人")),
        (LiaisonStaff.objects.filter(user=user), _("连心室值班人员")),
        (CommunityAdmin.objects.filter(user=user), _("社区管理员")),
        (Department.objects.filter(supervisor=user), _("部门负责人")),
    ]
    return [label for qs, label in checks if qs.exists()]


def erase(erasure: Erasure) -> None:
    """Every residency ends (verified → moved out, pending → rejected); the name they gave goes."""
    user = erasure.user
    erasure.counts["residencies"] = 0
    for residency in Residency.objects.filter(
            user=user, state__in=[ResidencyState.VERIFIED, ResidencyState.PENDING]):
        residency.state = (ResidencyState.MOVED_OUT
                           if residency.state == ResidencyState.VERIFIED
                           else ResidencyState.REJECTED)
        residency.reason = _("账号已注销")
        residency.decided_at = erasure.now
        residency.save(update_fields=["state", "reason", "decided_at"])
        erasure.counts["residencies"] += 1
    # The name they gave when claiming a flat goes with the account.
    Residency.objects.filter(user=user).exclude(claimant_name="").update(claimant_name="")


def erased(user) -> None:
    forget_scope(user)
