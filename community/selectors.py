"""Reads of cases: the resident's list, the workbench queue, the timeline."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from buildings.access import scope_of
from buildings.models import Building, Department, DepartmentHandler, Household, PublicPlace

from .choices import FINAL_STATES, WORKING_STATES, Status
from .models import Case, CaseEvent, CaseFollower, CasePhoto, Category

LIST_RELATED = ("category", "household__unit__building", "place", "building", "unit", "grid",
                "department", "assignee", "reporter")
BEFORE_RESULT = [Status.SUBMITTED, Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS]


def categories() -> list[Category]:
    return list(Category.objects.filter(active=True).order_by("order", "id"))


def cases_of_resident(user, *, limit: int = 50) -> QuerySet[Case]:
    """Cases the person reported, or follows ("me too", merged), newest first."""
    followed = CaseFollower.objects.filter(user=user).values("case_id")
    return (Case.objects.filter(Q(reporter=user) | Q(pk__in=followed))
            .select_related(*LIST_RELATED).order_by("-created_at", "-id")[:limit])


def resident_counts(user) -> dict[str, int]:
    followed = CaseFollower.objects.filter(user=user).values("case_id")
    return Case.objects.filter(Q(reporter=user) | Q(pk__in=followed)).aggregate(
        open=Count("pk", filter=~Q(status__in=FINAL_STATES) & ~Q(status=Status.RESOLVED)),
        to_rate=Count("pk", filter=Q(status=Status.RESOLVED, reporter=user)),
        done=Count("pk", filter=Q(status__in=FINAL_STATES)),
    )


def workbench_scope(user) -> Q | None:
    """Which cases a person works on, as a filter; None if none."""
    s = scope_of(user)
    if s.is_superuser:
        return Q()
    q = Q(assignee_id=user.pk)
    if s.admin_community_ids:
        q |= Q(community_id__in=s.admin_community_ids)
    if s.liaison_community_ids:
        q |= Q(community_id__in=s.liaison_community_ids)
    if s.grid_ids:
        q |= Q(grid_id__in=s.grid_ids)
    if s.department_ids:
        q |= Q(department_id__in=s.department_ids) & Q(status__in=[
            Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED])
    return q


def _tab_filter(tab: str, user) -> Q:
    s = scope_of(user)
    now = timezone.now()
    handler_only = s.is_handler and not (s.is_grid_worker or s.is_liaison or s.is_admin)
    return {
        "new": Q(status=Status.SUBMITTED),
        "waiting": (Q(status__in=[Status.DISPATCHED, Status.IN_PROGRESS]) if handler_only
                    else Q(status=Status.TRIAGED)),
        "overdue": Q(status__in=WORKING_STATES, due_at__lt=now),
        "doing": Q(status__in=[Status.DISPATCHED, Status.IN_PROGRESS]),
        "result": Q(status=Status.RESOLVED),
        "done": Q(status__in=FINAL_STATES),
    }.get(tab, Q(status__in=WORKING_STATES))


TABS = ("new", "waiting", "overdue", "doing", "result", "done")


def workbench_counts(user) -> dict[str, int]:
    scope_q = workbench_scope(user)
    if scope_q is None:
        return {t: 0 for t in TABS}
    return Case.objects.filter(scope_q).aggregate(
        **{t: Count("pk", filter=_tab_filter(t, user)) for t in TABS})


def cases_for_workbench(user, *, tab: str = "new", category: str = "", grid: int | None = None,
                        priority: str = "", page: int = 1, per_page: int = 30) -> list[Case]:
    """The person's queue for one tab, filtered; overdue and urgent first within a tab."""
    scope_q = workbench_scope(user)
    if scope_q is None:
        return []
    qs = Case.objects.filter(scope_q).filter(_tab_filter(tab, user))
    if category:
        qs = qs.filter(category__code=category)
    if grid:
        qs = qs.filter(grid_id=grid)
    if priority:
        qs = qs.filter(priority=priority)
    order = ["-created_at", "-id"] if tab == "done" else ["due_at", "created_at", "id"]
    start = (max(page, 1) - 1) * per_page
    return list(qs.select_related(*LIST_RELATED).order_by(*order)[start:start + per_page + 1])


def case_for_page(pk: int) -> Case | None:
    return (Case.objects.select_related(*LIST_RELATED, "merged_into", "on_behalf_by",
                                        "department__supervisor", "community")
            .filter(pk=pk).first())


def timeline(case: Case, *, staff: bool) -> list[CaseEvent]:
    qs = case.events.select_related("actor").prefetch_related(
        Prefetch("photos", queryset=CasePhoto.objects.order_by("pk")))
    if not staff:
        qs = qs.filter(internal=False)
    return list(qs.order_by("at", "id"))


def similar_open_cases(*, category: Category | None, household: Household | None = None,
                       place: PublicPlace | None = None, building: Building | None = None,
                       unit=None, exclude: int | None = None, limit: int = 5) -> list[Case]:
    """Open cases of the same category at the same place, for "me too" before sending."""
    if category is None:
        return []
    qs = Case.objects.filter(category=category, status__in=BEFORE_RESULT)
    if place is not None:
        qs = qs.filter(place=place)
    elif household is not None:
        qs = qs.filter(unit_id=household.unit_id)
    elif unit is not None:
        qs = qs.filter(unit=unit)
    elif building is not None:
        qs = qs.filter(building=building)
    else:
        return []
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.select_related(*LIST_RELATED).order_by("-created_at")[:limit])


def dispatch_choices(case: Case) -> dict:
    departments = list(Department.objects.filter(community_id=case.community_id)
                       .order_by("name"))
    people = list(DepartmentHandler.objects.filter(department__community_id=case.community_id)
                  .select_related("user", "department").order_by("department__name"))
    return {"departments": departments, "handlers": people}


def merge_candidates(case: Case, *, limit: int = 10) -> list[Case]:
    return list(Case.objects.filter(community_id=case.community_id, grid_id=case.grid_id,
                                     status__in=BEFORE_RESULT + [Status.RESOLVED])
                .exclude(pk=case.pk).select_related("category")
                .order_by("-created_at")[:limit])
