"""Who may do what with volunteers, tasks, claims and the points supermarket."""

from __future__ import annotations

import rules
from django.db.models import Q

from buildings.access import is_community_admin, is_grid_worker, is_liaison, scope_of

from .choices import ClaimState, VolunteerState
from .models import Claim, Volunteer

_VOLUNTEER_ATTR = "_jiayuan_volunteer"


def volunteer_of(user):
    """The person's Volunteer profile (any state) or None, read once per user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _VOLUNTEER_ATTR):
        setattr(user, _VOLUNTEER_ATTR, Volunteer.objects.filter(user=user).first())
    return getattr(user, _VOLUNTEER_ATTR)


def forget_volunteer(user) -> None:
    if user is not None and hasattr(user, _VOLUNTEER_ATTR):
        delattr(user, _VOLUNTEER_ATTR)


@rules.predicate
def is_volunteer(user) -> bool:
    """An approved volunteer."""
    volunteer = volunteer_of(user)
    return volunteer is not None and volunteer.state == VolunteerState.APPROVED


@rules.predicate
def organises_task(user, task) -> bool:
    """The person who posted it, a grid worker whose grids include it, or an admin."""
    if task is None:
        return False
    if task.created_by_id == user.pk:
        return True
    return scope_of(user).covers_grid(task.grid_id)


@rules.predicate
def heads_task_building(user, task) -> bool:
    """The building head of the task's building (or of a household it serves)."""
    if task is None:
        return False
    headed = scope_of(user).headed_building_ids
    if not headed:
        return False
    if task.building_id in headed:
        return True
    return task.households.filter(unit__building_id__in=headed).exists()


@rules.predicate
def owns_claim(user, claim) -> bool:
    return claim is not None and claim.volunteer.user_id == user.pk


@rules.predicate
def helped_by_claim(user, claim) -> bool:
    """A verified resident of a household the task served, or that household's building head."""
    if claim is None:
        return False
    scope = scope_of(user)
    if not (scope.household_ids or scope.headed_building_ids):
        return False
    return claim.task.households.filter(
        Q(pk__in=scope.household_ids) | Q(unit__building_id__in=scope.headed_building_ids)
    ).exists()


@rules.predicate
def organises_claim(user, claim) -> bool:
    return claim is not None and organises_task(user, claim.task)


@rules.predicate
def checks_in_for_claim(user, claim) -> bool:
    return claim is not None and (organises_task(user, claim.task)
                                  or heads_task_building(user, claim.task))


@rules.predicate
def holds_place(user, task) -> bool:
    volunteer = volunteer_of(user)
    if task is None or volunteer is None:
        return False
    return Claim.objects.filter(task=task, volunteer=volunteer, state=ClaimState.HELD).exists()


@rules.predicate
def decides_volunteer(user, volunteer) -> bool:
    """A grid worker of the volunteer's grid (or above), or an admin of the community."""
    if volunteer is None:
        return False
    scope = scope_of(user)
    if scope.is_superuser or volunteer.community_id in scope.admin_community_ids:
        return True
    return volunteer.grid_id is not None and volunteer.grid_id in scope.grid_ids


is_organiser = is_grid_worker | is_community_admin


@rules.predicate
def hands_over_redemption(user, redemption) -> bool:
    """Shop staff (a grid worker, liaison staff or an admin) of the volunteer's community."""
    if redemption is None:
        return False
    scope = scope_of(user)
    return scope.is_superuser or redemption.volunteer.community_id in scope.work_community_ids


@rules.predicate
def corrects_ledger(user, volunteer=None) -> bool:
    """An admin of the volunteer's community (without a volunteer: an admin somewhere)."""
    scope = scope_of(user)
    if volunteer is None:
        return scope.is_admin
    return scope.administers(volunteer.community_id)

rules.add_perm("volunteers.claim_task", is_volunteer)
rules.add_perm("volunteers.create_task", is_organiser)
rules.add_perm("volunteers.organise_task", organises_task)
rules.add_perm("volunteers.see_task_address", holds_place)
rules.add_perm("volunteers.check_in_for", checks_in_for_claim)
rules.add_perm("volunteers.withdraw_claim", owns_claim)
# Nobody vouches for their own service, whatever role (resident of the household
# helped, its building head, the task's grid worker or an admin) lets them in.
rules.add_perm("volunteers.confirm_service", helped_by_claim & ~owns_claim)
rules.add_perm("volunteers.approve_service", organises_claim & ~owns_claim)
rules.add_perm("volunteers.decide_claim", organises_claim & ~owns_claim)
rules.add_perm("volunteers.decide_volunteer", decides_volunteer)
rules.add_perm("volunteers.review_volunteers", is_organiser)
rules.add_perm("volunteers.run_shop", is_organiser | is_liaison)
rules.add_perm("volunteers.hand_over", (is_organiser | is_liaison) & hands_over_redemption)
rules.add_perm("volunteers.export_records", is_organiser)
rules.add_perm("volunteers.correct_ledger", corrects_ledger)
