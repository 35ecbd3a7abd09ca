"""Reads of cases: the resident's list, the workbench queue, the timeline."""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from buildings.access import scope_of
from buildings.models import (
    Building,
    Department,
    DepartmentHandler,
    GridWorker,
    Household,
    PublicPlace,
)
from buildings.patrols.models import Guide
from portal.models import User

from .choices import FINAL_STATES, WORKING_STATES, Status
from .models import (
    Case,
    CaseEvent,
    CaseFollower,
    CasePhoto,
    Category,
    Dispute,
    DisputeMediator,
    DisputeParty,
    Whistle,
    WhistleSummons,
)

LIST_RELATED = ("category", "household__unit__building", "place", "building", "unit", "grid",
                "department", "assignee", "reporter")
RESIDENT_RELATED = ("category", "household__unit__building", "place", "building", "unit")
BEFORE_RESULT = [Status.SUBMITTED, Status.TRIAGED, Status.DISPATCHED, Status.IN_PROGRESS]


CATEGORIES_CACHE_KEY = "jy:community:categories"


def categories() -> list[Category]:
    """The active categories, from the cache: they change rarely and show on every home page.

    Saving or deleting a category clears the cache (``community.apps``).
    """
    cached = cache.get(CATEGORIES_CACHE_KEY)
    if cached is None:
        cached = list(Category.objects.filter(active=True).order_by("order", "id"))
        cache.set(CATEGORIES_CACHE_KEY, cached, 600)
    return cached


def _followed_ids(user) -> list[int]:
    cached = getattr(user, "_jy_followed", None)
    if cached is None:
        cached = list(CaseFollower.objects.filter(user=user).values_list("case_id", flat=True))
        user._jy_followed = cached
    return cached


def cases_of_resident(user, *, limit: int = 30) -> QuerySet[Case]:
    """Cases the person reported, or follows ("me too", merged), newest first."""
    # A list of ids rather than a subquery: each side of the OR then uses its index.
    q = Q(reporter=user)
    followed = _followed_ids(user)
    if followed:
        q |= Q(pk__in=followed)
    return (Case.objects.filter(q).select_related(*RESIDENT_RELATED)
            .order_by("-created_at", "-id")[:limit])


def resident_counts(user) -> dict[str, int]:
    """Open / waiting for my rating / done, among the cases I reported or follow.

    One query: a case I only follow ("me too") is rated by its reporter, so
    it never waits for my rating.
    """
    counts = {"open": 0, "to_rate": 0, "done": 0}
    rows = (Case.objects.filter(Q(reporter=user) | Q(followers__user=user))
            .values_list("status", "reporter_id").annotate(n=Count("pk", distinct=True))
            .order_by())
    for status, reporter_id, n in rows:
        if status == Status.RESOLVED:
            if reporter_id == user.pk:
                counts["to_rate"] += n
        elif status in FINAL_STATES:
            counts["done"] += n
        else:
            counts["open"] += n
    return counts


def workbench_scope(user) -> Q:
    """Which cases a person works on, as a filter.

    Built from plain ``IN`` terms on indexed columns (grid, community,
    department); a case assigned to a person outside those reaches them as
    an assignee only when they have no other scope, so the common queue
    queries stay on one index.
    """
    s = scope_of(user)
    if s.is_superuser:
        return Q()
    terms = []
    communities = s.admin_community_ids | s.liaison_community_ids
    if communities:
        terms.append(Q(community_id__in=communities))
    if s.grid_ids and not communities:
        terms.append(Q(grid_id__in=s.grid_ids))
    if s.department_ids and not communities:
        terms.append(Q(department_id__in=s.department_ids, status__in=[
            Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]))
    if s.department_ids and not communities:
        # Summoned by an open whistle (吹哨报到): the case is theirs to report in on.

        terms.append(Q(pk__in=WhistleSummons.objects.filter(
            department_id__in=s.department_ids, whistle__result_at__isnull=True)
            .values("whistle__case_id")))
    if not terms:
        return Q(assignee_id=user.pk)
    q = terms[0]
    for t in terms[1:]:
        q |= t
    return q


def handler_only(user) -> bool:
    """A department's handler and nothing more: their workbench opens on 待我办 (the
    cases given to them) rather than on sorting and dispatching, which is not theirs."""
    s = scope_of(user)
    return s.is_handler and not (s.is_grid_worker or s.is_liaison or s.is_admin)


def _tab_filter(tab: str, user) -> Q:
    now = timezone.now()
    return {
        "new": Q(status=Status.SUBMITTED),
        "waiting": (Q(status__in=[Status.DISPATCHED, Status.IN_PROGRESS])
                    if handler_only(user) else Q(status=Status.TRIAGED)),
        "overdue": Q(status__in=WORKING_STATES, due_at__lt=now),
        "doing": Q(status__in=[Status.DISPATCHED, Status.IN_PROGRESS]),
        "result": Q(status=Status.RESOLVED),
        "done": Q(status__in=FINAL_STATES),
    }.get(tab, Q(status__in=WORKING_STATES))


TABS = ("new", "waiting", "overdue", "doing", "result", "done")


def workbench_counts(user) -> dict[str, int]:
    """How many cases wait in each tab: one grouped count and one count of the overdue."""
    scope_q = workbench_scope(user)
    by_status = dict(Case.objects.filter(scope_q).values_list("status")
                     .annotate(n=Count("pk")).order_by())
    doing = by_status.get(Status.DISPATCHED, 0) + by_status.get(Status.IN_PROGRESS, 0)
    return {
        "new": by_status.get(Status.SUBMITTED, 0),
        "waiting": doing if handler_only(user) else by_status.get(Status.TRIAGED, 0),
        "overdue": Case.objects.filter(scope_q).filter(_tab_filter("overdue", user)).count(),
        "doing": doing,
        "result": by_status.get(Status.RESOLVED, 0),
        "done": sum(by_status.get(st, 0) for st in FINAL_STATES),
    }


def cases_for_workbench(user, *, tab: str = "new", category: str = "", grid: int | None = None,
                        priority: str = "", ticket: str = "", page: int = 1,
                        per_page: int = 30) -> list[Case]:
    """The person's queue for one tab, filtered; overdue and urgent first within a tab.

    A platform's ticket number (``Case.external_id``) finds its case in every
    state, still only among the person's own cases."""
    scope_q = workbench_scope(user)
    qs = Case.objects.filter(scope_q)
    if ticket:
        qs = qs.filter(external_id=ticket, source_platform__gt="")
    else:
        qs = qs.filter(_tab_filter(tab, user))
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
    """One case with everything a move on it or a dispute opened from it may read."""
    # Not .first(): it would order by Case's Meta.ordering, and ordering this
    # many joined tables costs the ORM more to compile (about 2 ms) than the
    # query takes to run. One row by its primary key needs no order. Only the
    # relations the page shows: the case a merged one went into is linked by
    # its id, and the department's supervisor is compared by id.
    rows = (Case.objects.select_related(*LIST_RELATED, "on_behalf_by", "community",
                                        "unit__building")
            .filter(pk=pk).order_by()[:1])
    return next(iter(rows), None)


# What every reader of the case page is shown: the category, where (one of a flat,
# a public place, a stairwell, a building), and who handles it. Each joined table
# costs the ORM about 0.25 ms to compile, more than the query takes to run, so the
# staff-only people (the reporter, who filed it on their behalf) come from
# ``case_people`` on a staff reader's page only, and the grid and the community,
# which the page does not show, stay unjoined.
READ_RELATED = ("category", "household__unit__building", "place", "building",
                "unit__building", "department", "assignee")


def case_to_read(pk: int) -> Case | None:
    """The case page's case: one row by its primary key, with what every reader is shown.

    ``jy_whistled`` says whether a whistle was ever blown on it: most cases have
    none, and then the page asks nothing more about whistles.
    """
    rows = (Case.objects.select_related(*READ_RELATED)
            .annotate(jy_whistled=Exists(Whistle.objects.filter(case_id=OuterRef("pk"))))
            .filter(pk=pk).order_by()[:1])
    return next(iter(rows), None)


def case_people(case: Case) -> None:
    """Put the reporter and whoever filed for them on ``case``, in one query (staff read them)."""
    fields = [f for f in ("reporter", "on_behalf_by")
              if getattr(case, f"{f}_id") is not None and not Case._meta.get_field(f).is_cached(case)]
    ids = {getattr(case, f"{f}_id") for f in fields}
    if not ids:
        return
    people = User.objects.in_bulk(ids)
    for f in fields:
        person = people.get(getattr(case, f"{f}_id"))
        if person is not None:
            setattr(case, f, person)


def timeline(case: Case, *, staff: bool) -> list[CaseEvent]:
    """The case's events, oldest first, each with its actor (staff also read the internal ones).

    Their photos come from ``case_photos``, with the report's, in one query."""
    qs = case.events.select_related("actor")
    if not staff:
        qs = qs.filter(internal=False)
    return list(qs.order_by("at", "id"))


def case_photos(case: Case) -> list[CasePhoto]:
    """Every photo of a case, each with its event, in upload order: the report's and
    the timeline's from one query (``photo.event.internal`` says who may see it)."""
    return list(case.photos.select_related("event").order_by("pk"))


def shared_cases(scope) -> Q:
    """``workflow.shares_place`` as a filter: the cases a resident shares the place of."""
    return (Q(household_id__in=scope.household_ids)
            | Q(household__isnull=True, building_id__in=scope.household_building_ids)
            | Q(household__isnull=True, building__isnull=True, place__isnull=False,
                grid_id__in=scope.reach_grid_ids))


def similar_open_cases(*, user, category: Category | None, household: Household | None = None,
                       place: PublicPlace | None = None, building: Building | None = None,
                       unit=None, behalf: bool = False, exclude: int | None = None,
                       limit: int = 5) -> list[Case]:
    """Open cases of the same category at the same place, for "me too" before sending.

    Only what the person may be shown: a resident, the cases they could say
    "me too" to (never another household's flat); staff filing for someone
    (``behalf``), the cases in their own scope and, for a building head, the
    public parts of their buildings. Anyone else, nothing. The texts are
    shown through ``mask_phones_in_text``.
    """
    if category is None or user is None or not getattr(user, "is_authenticated", False):
        return []
    s = scope_of(user)
    if behalf:
        allowed = Q(household__isnull=True, building_id__in=s.headed_building_ids)
        if s.is_grid_worker or s.is_liaison or s.is_admin:
            allowed |= workbench_scope(user)
    elif s.is_verified_resident:
        allowed = shared_cases(s)
    else:
        return []
    qs = Case.objects.filter(allowed, category=category, status__in=BEFORE_RESULT)
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


def disputes_for(user, *, limit: int = 100):
    """Disputes this person may see: their own (as a party or mediator), their grids', the admin's."""

    s = scope_of(user)
    q = Q(pk__in=DisputeParty.objects.filter(user=user).values("dispute_id")) | Q(
        pk__in=DisputeMediator.objects.filter(user=user).values("dispute_id"))
    if s.grid_ids:
        q |= Q(grid_id__in=s.grid_ids)
    if s.admin_community_ids:
        q |= Q(community_id__in=s.admin_community_ids)
    qs = Dispute.objects.all() if s.is_superuser else Dispute.objects.filter(q)
    return list(qs.select_related("grid", "building").order_by("-updated_at")[:limit])


def dispute_for_page(pk: int):
    return (Dispute.objects.select_related("grid", "building", "case", "created_by")
            .prefetch_related("parties__user", "mediators__user", "mediators__department",
                              "visits__done_by", "records__actor")
            .filter(pk=pk).first())


def mediator_choices(community_id: int):
    """Handlers of every department, the community's grid workers and its village guides."""

    people = {}
    for h in (DepartmentHandler.objects.filter(department__community_id=community_id)
              .select_related("user", "department").order_by("department__name")):
        people.setdefault(h.user_id, (h.user, h.department.name))
    for g in GridWorker.objects.filter(grid__community_id=community_id).select_related("user"):
        people.setdefault(g.user_id, (g.user, "网格员"))
    # The village guides (法官、检察官、警官) of the community take part in joint mediation.
    for guide in Guide.objects.filter(community_id=community_id).select_related("user"):
        people.setdefault(guide.user_id, (guide.user, guide.get_role_display()))
    return list(people.values())


def place_choices(case: Case) -> dict:
    """Where a 待定位 case can be placed: its community's buildings and public places."""
    return {
        "buildings": list(Building.objects.filter(community_id=case.community_id)
                          .order_by("number")),
        "places": list(PublicPlace.objects.filter(community_id=case.community_id)
                       .order_by("name")),
    }
