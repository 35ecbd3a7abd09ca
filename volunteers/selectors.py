"""Reads for the task board, a volunteer's record, the leaderboard and the export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from buildings.access import scope_of
from buildings.models import Building

from .choices import LIVE_STATES, ClaimState, RedemptionState, TaskState
from .models import Claim, Redemption, ShopItem, Task, TaskMessage, Volunteer
from .rules import volunteer_of

BOARD_PAGE = 30


@dataclass
class Board:
    tasks: list
    page: int
    has_next: bool


def task_board(*, user, kind: str = "", skill: str = "", when: str = "", free_only: bool = False,
               page: int = 1, now: datetime | None = None) -> Board:
    """Open tasks not yet started, the person's own grid first, then by start time.

    A constant number of queries whatever the number of tasks: one for the page
    (with its building and unit, the person's own grids in it), one for the person's
    own claims on it.
    """
    now = now or timezone.now()
    qs = Task.objects.filter(state=TaskState.OPEN, starts_at__gt=now)
    if kind:
        qs = qs.filter(kind=kind)
    if skill:
        qs = qs.filter(skills__contains=f",{skill},")
    if free_only:
        qs = qs.filter(filled__lt=F("places"))
    if when == "today":
        end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
        qs = qs.filter(starts_at__lte=end)
    elif when == "week":
        qs = qs.filter(starts_at__lte=now + timedelta(days=7))
    # The person's own grids (their volunteer grid, the grids of their homes) first:
    # worked out inside the board's query rather than by one before it.
    volunteer = volunteer_of(user)
    own = Q(grid_id=volunteer.grid_id) if volunteer is not None and volunteer.grid_id else Q()
    building_ids = scope_of(user).household_building_ids
    if building_ids:
        own |= Q(grid_id__in=Building.objects.filter(pk__in=building_ids)
                 .order_by().values("grid_id"))
    if own:
        qs = qs.annotate(mine=Case(When(own, then=Value(0)), default=Value(1),
                                   output_field=IntegerField()))
    else:
        qs = qs.annotate(mine=Value(1, output_field=IntegerField()))
    # Whether a task is about particular residents decides what its card may say.
    qs = qs.annotate(jy_serves_people=ExpressionWrapper(
        Q(source_case_id__isnull=False)
        | Exists(Task.households.through.objects.filter(task_id=OuterRef("pk"))),
        output_field=BooleanField()))
    page = max(1, page)
    start = (page - 1) * BOARD_PAGE
    # The card names the building and unit, never the grid.
    tasks = list(qs.select_related("building", "unit")
                 .order_by("mine", "starts_at", "id")[start:start + BOARD_PAGE + 1])
    has_next = len(tasks) > BOARD_PAGE
    tasks = tasks[:BOARD_PAGE]
    _attach_my_claims(user, tasks)
    return Board(tasks=tasks, page=page, has_next=has_next)


def _attach_my_claims(user, tasks: list[Task]) -> None:
    volunteer = volunteer_of(user)
    states = {}
    if volunteer is not None and tasks:
        states = dict(Claim.objects.filter(volunteer=volunteer, task__in=tasks,
                                           state__in=LIVE_STATES)
                      .values_list("task_id", "state"))
    for task in tasks:
        task.my_state = states.get(task.pk)


def my_claims(volunteer: Volunteer, *, now: datetime | None = None) -> dict[str, list[Claim]]:
    """The volunteer's own tasks: coming up (and waiting), and done."""
    now = now or timezone.now()
    claims = list(Claim.objects.filter(volunteer=volunteer)
                  .select_related("task__building", "task__unit")
                  .order_by("-task__starts_at", "-id")[:100])
    upcoming = [c for c in claims if c.state in LIVE_STATES and c.task.state == TaskState.OPEN]
    upcoming.sort(key=lambda c: c.task.starts_at)
    done = [c for c in claims if c not in upcoming]
    return {"upcoming": upcoming, "done": done}


def task_for_page(task_id: int) -> Task | None:
    return (Task.objects.select_related("building", "unit", "grid", "created_by")
            .filter(pk=task_id).first())


def claims_on_task(task: Task) -> list[Claim]:
    return list(Claim.objects.filter(task=task).exclude(state__in=[ClaimState.CANCELLED])
                .select_related("volunteer__user").order_by("created_at", "id"))


def messages_on_task(task: Task) -> list[TaskMessage]:
    return list(TaskMessage.objects.filter(task=task).select_related("author")[:20])


def households_of_task(task: Task) -> list:
    return list(task.households.select_related("unit__building"))


CONFIRM_PAGE = 50


def _claims_to_confirm(user) -> QuerySet[Claim] | None:
    scope = scope_of(user)
    if not (scope.household_ids or scope.headed_building_ids):
        return None
    # Only the terms the person has: an empty one still joins the units for nothing
    # (most people are residents, not building heads), and the joins are the query's cost.
    mine = Q()
    if scope.household_ids:
        mine |= Q(task__households__in=scope.household_ids)
    if scope.headed_building_ids:
        mine |= Q(task__households__unit__building_id__in=scope.headed_building_ids)
    return (Claim.objects.filter(mine, state=ClaimState.HELD, checked_out_at__isnull=False,
                                 confirmed_at__isnull=True)
            .exclude(volunteer__user=user)  # nobody confirms their own service
            .distinct())


def claims_to_confirm(user) -> list[Claim]:
    """Finished services waiting for this person's one-tap confirmation."""
    qs = _claims_to_confirm(user)
    if qs is None:
        return []
    return list(qs.select_related("task", "volunteer").order_by("checked_out_at")[:CONFIRM_PAGE])


def claims_to_confirm_count(user) -> int:
    """How many ``claims_to_confirm`` would list, without loading them (首页, 我的)."""
    qs = _claims_to_confirm(user)
    if qs is None:
        return 0
    return len(qs.order_by().values_list("pk", flat=True)[:CONFIRM_PAGE])


def tasks_organised_by(user, *, limit: int = 20) -> list[Task]:
    """Open tasks the person organises: posted by them or in their grids."""
    scope = scope_of(user)
    qs = Task.objects.filter(state=TaskState.OPEN)
    if not scope.is_superuser:
        qs = qs.filter(Q(created_by=user)
                       | Q(grid_id__in=scope.grid_ids | scope.admin_grid_ids))
    return list(qs.select_related("building", "unit").order_by("starts_at")[:limit])


def tasks_headed_by(user, *, limit: int = 20) -> list[Task]:
    """Open tasks in the buildings a building head looks after (to check people in)."""
    headed = scope_of(user).headed_building_ids
    if not headed:
        return []
    return list(Task.objects.filter(state=TaskState.OPEN, building_id__in=headed)
                .select_related("building", "unit").order_by("starts_at")[:limit])


def volunteers_pending_for(user) -> list[Volunteer]:
    scope = scope_of(user)
    qs = Volunteer.objects.filter(state="pending").select_related("user", "team", "grid")
    if not scope.is_superuser:
        qs = qs.filter(Q(community_id__in=scope.admin_community_ids) | Q(grid_id__in=scope.grid_ids))
    return list(qs.order_by("applied_at")[:100])


def volunteers_approved_for(user, *, limit: int = 200) -> list[Volunteer]:
    """Approved volunteers of the communities the person administers (for corrections)."""
    scope = scope_of(user)
    qs = Volunteer.objects.filter(state="approved").select_related("team")
    if not scope.is_superuser:
        qs = qs.filter(community_id__in=scope.admin_community_ids)
    return list(qs.order_by("real_name")[:limit])


def leaderboard(*, community_id: int, limit: int = 50) -> list[dict]:
    """Volunteers by hours served. Hidden names are shown as 匿名志愿者."""
    rows = (Volunteer.objects.filter(community_id=community_id, state="approved",
                                     hours_total__gt=0)
            .order_by("-hours_total", "applied_at")[:limit])
    return [{"rank": i, "volunteer": v, "hidden": v.hide_from_leaderboard}
            for i, v in enumerate(rows, start=1)]


def shop_items(community_id: int) -> list[ShopItem]:
    return list(ShopItem.objects.filter(community_id=community_id, active=True))


def my_redemptions(volunteer: Volunteer) -> list[Redemption]:
    return list(Redemption.objects.filter(volunteer=volunteer).select_related("item")[:50])


def redemptions_to_hand_over(user) -> QuerySet[Redemption]:
    """Reserved items of the volunteers of the communities the person works in."""
    scope = scope_of(user)
    qs = Redemption.objects.filter(state=RedemptionState.RESERVED)
    if not scope.is_superuser:
        qs = qs.filter(volunteer__community_id__in=scope.work_community_ids)
    return qs.select_related("item", "volunteer").order_by("created_at")


def service_records(user, *, since: datetime | None = None,
                    until: datetime | None = None) -> QuerySet[Claim]:
    """Approved services for the official volunteer record, within the person's grids."""
    scope = scope_of(user)
    qs = Claim.objects.filter(approved_at__isnull=False)
    if not scope.is_superuser:
        qs = qs.filter(task__grid_id__in=scope.grid_ids | scope.admin_grid_ids)
    if since:
        qs = qs.filter(task__starts_at__gte=since)
    if until:
        qs = qs.filter(task__starts_at__lt=until)
    return qs.select_related("task__building", "task__unit", "volunteer__team",
                             "approved_by", "confirmed_by").order_by("task__starts_at", "id")
