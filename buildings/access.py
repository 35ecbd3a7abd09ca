"""Who may do what to which object: the one place every app asks.

A person's *scope* is what their assignments reach: the buildings they head,
the grids they work (with every grid below), their departments, the
households they verifiably live in. It is read once per request and kept on
the user object, so permission checks in a list cost no extra queries.

Permissions themselves are django-rules predicates, registered by each app in
its ``rules.py`` and asked through ``user.has_perm(name, obj)``, or through
``may()``/``require()`` below, which every view, API and consumer uses.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import rules
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, CharField, F, IntegerField, Q, Value
from django.utils.translation import gettext as _

from .choices import ResidencyState
from .models import (
    Building,
    BuildingHead,
    Community,
    CommunityAdmin,
    DepartmentHandler,
    Grid,
    GridWorker,
    LiaisonStaff,
    Region,
    RegionAdmin,
    Residency,
    grid_paths_up,
)

_SCOPE_ATTR = "_jiayuan_scope"


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    household_ids: frozenset[int] = field(default_factory=frozenset)
    household_building_ids: frozenset[int] = field(default_factory=frozenset)
    headed_building_ids: frozenset[int] = field(default_factory=frozenset)
    direct_publish_building_ids: frozenset[int] = field(default_factory=frozenset)
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    """Every grid a grid worker covers: their own and all below them."""
    own_grid_ids: frozenset[int] = field(default_factory=frozenset)
    grid_building_ids: frozenset[int] = field(default_factory=frozenset)
    department_ids: frozenset[int] = field(default_factory=frozenset)
    reach_grid_ids: frozenset[int] = field(default_factory=frozenset)
    """The grids at and above every building the person lives in, heads or
    covers, plus the grids they work: what a notice for a grid reaches."""
    liaison_community_ids: frozenset[int] = field(default_factory=frozenset)
    admin_community_ids: frozenset[int] = field(default_factory=frozenset)
    admin_building_ids: frozenset[int] = field(default_factory=frozenset)
    """Every building of the communities the person administers."""
    admin_grid_ids: frozenset[int] = field(default_factory=frozenset)
    """Every grid of the communities the person administers."""
    work_community_ids: frozenset[int] = field(default_factory=frozenset)
    """The communities the person works in as grid worker, liaison staff or admin."""
    oversee_region_ids: frozenset[int] = field(default_factory=frozenset)
    """Regions a county/township admin oversees: their own and every one below."""
    oversee_community_ids: frozenset[int] = field(default_factory=frozenset)
    """Every community below those regions: read and 督办, residents' data masked."""
    is_superuser: bool = False

    @property
    def is_verified_resident(self) -> bool:
        return bool(self.household_ids)

    @property
    def is_building_head(self) -> bool:
        return bool(self.headed_building_ids)

    @property
    def is_grid_worker(self) -> bool:
        return bool(self.own_grid_ids)

    @property
    def is_handler(self) -> bool:
        return bool(self.department_ids)

    @property
    def is_liaison(self) -> bool:
        return bool(self.liaison_community_ids)

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or bool(self.admin_community_ids)

    @property
    def is_staff_role(self) -> bool:
        """Grid worker, liaison staff, handler or admin: people who work cases."""
        return self.is_grid_worker or self.is_liaison or self.is_handler or self.is_admin

    @property
    def is_region_admin(self) -> bool:
        return bool(self.oversee_region_ids)

    def oversees(self, community_id: int | None) -> bool:
        """A county or township admin above this community (not its own admin)."""
        return community_id in self.oversee_community_ids

    def administers(self, community_id: int | None) -> bool:
        """An admin of *this* community (an admin elsewhere is nobody here)."""
        return self.is_superuser or community_id in self.admin_community_ids

    def covers_building(self, building_id: int) -> bool:
        """Responsible for this building: its head, its grid worker, or its community's admin."""
        return (
            self.is_superuser
            or building_id in self.admin_building_ids
            or building_id in self.headed_building_ids
            or building_id in self.grid_building_ids
        )

    def covers_grid(self, grid_id: int) -> bool:
        return self.is_superuser or grid_id in self.admin_grid_ids or grid_id in self.grid_ids


EMPTY_SCOPE = Scope()


_GENERATION_KEY = "jy:scope:generation"
_SCOPE_TTL = 300

log = logging.getLogger("jiayuan.access")


def _person_generation_key(user_pk: int) -> str:
    return f"jy:scope:person:{user_pk}"


def _generations(user_pk: int) -> tuple[int, int]:
    """The site-wide generation (grids and buildings) and this person's (their roles).

    Raises if the cache is down; ``scope_of`` then works from the database.
    """
    person_key = _person_generation_key(user_pk)
    found = cache.get_many([_GENERATION_KEY, person_key])
    site, person = found.get(_GENERATION_KEY), found.get(person_key)
    # A missing number starts from the clock, never from a number an old key used.
    if site is None:
        site = time.time_ns() // 1000
        cache.add(_GENERATION_KEY, site, None)
    if person is None:
        person = time.time_ns() // 1000
        cache.add(person_key, person, None)
    return site, person


def scope_of(user) -> Scope:
    """The person's scope, kept on the user object (so read once per request)
    and in the cache between requests.

    The cache key carries two generation numbers (see ``signals.py``): the
    person's own, bumped when one of *their* residencies or assignments
    changes, and a site-wide one, bumped only when grids or buildings change
    shape. The cache's timeout is a safety net for writes that skip signals.
    The cache is only a shortcut: when it fails (Redis restarting) the scope
    is computed from the database and the request goes on.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return EMPTY_SCOPE
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is not None:
        return cached
    try:
        site, person = _generations(user.pk)
        key = f"jy:scope:{site}:{person}:{user.pk}"
        scope = cache.get(key)
    except Exception:
        log.warning("scope cache failed; reading from the database", exc_info=True)
        key, scope = None, None
    if scope is None:
        scope = _compute_scope(user)
        if key is not None:
            try:
                cache.set(key, scope, _SCOPE_TTL)
            except Exception:
                log.warning("scope cache failed; not kept", exc_info=True)
    setattr(user, _SCOPE_ATTR, scope)
    return scope


def _bump(key: str) -> None:
    try:
        try:
            cache.incr(key)
        except ValueError:  # missing or evicted: any new number retires the old keys
            cache.set(key, time.time_ns() // 1000, None)
    except Exception:
        # The cache is down; when it comes back empty every key is new anyway, and
        # an entry that survived lives at most _SCOPE_TTL.
        log.warning("could not retire cached scopes (%s)", key, exc_info=True)


def scopes_changed() -> None:
    """Retire every cached scope: grids or buildings changed shape."""
    _bump(_GENERATION_KEY)


def person_scope_changed(user_pk: int) -> None:
    """Retire one person's cached scope: their residency or an assignment changed."""
    _bump(_person_generation_key(user_pk))


def reread_scope(user) -> None:
    """Drop only the scope kept on this user object (a socket's user lives for hours):
    the next check reads the cache, which the signals keep right per person."""
    if user is not None and hasattr(user, _SCOPE_ATTR):
        delattr(user, _SCOPE_ATTR)


def forget_scope(user) -> None:
    """Drop this person's scope, on this user object and in the cache (theirs only)."""
    if user is None:
        return
    if getattr(user, "pk", None):
        person_scope_changed(user.pk)
    if hasattr(user, _SCOPE_ATTR):
        delattr(user, _SCOPE_ATTR)


def _assignment_rows(user) -> list[tuple[str, int, int, str, bool]]:
    """Every residency and role of the person, in one UNION query.

    Rows are (kind, id, building id, grid path, flag): the path is the grid
    of the building (residency, head) or the grid itself (grid worker).
    """

    def rows(qs, kind, ident, building=None, path=None, flag=None):
        return qs.filter(user=user).order_by().annotate(
            jy_kind=Value(kind, output_field=CharField()),
            jy_id=F(ident),
            jy_building=F(building) if building else Value(0, output_field=IntegerField()),
            jy_path=F(path) if path else Value("", output_field=CharField()),
            jy_flag=F(flag) if flag else Value(False, output_field=BooleanField()),
        ).values_list("jy_kind", "jy_id", "jy_building", "jy_path", "jy_flag")

    union = rows(Residency.objects.filter(state=ResidencyState.VERIFIED), "home", "household_id",
                 "household__unit__building_id", "household__unit__building__grid__path").union(
        rows(BuildingHead.objects, "head", "building_id", "building_id", "building__grid__path",
             "may_publish_directly"),
        rows(GridWorker.objects, "grid", "grid_id", path="grid__path"),
        rows(DepartmentHandler.objects, "dept", "department_id"),
        rows(LiaisonStaff.objects, "liaison", "community_id"),
        rows(CommunityAdmin.objects, "admin", "community_id"),
        rows(RegionAdmin.objects, "region", "region_id"),
        all=True,
    )
    return list(union)


def _compute_scope(user) -> Scope:
    rows = _assignment_rows(user)
    of = {kind: [r for r in rows if r[0] == kind]
          for kind in ("home", "head", "grid", "dept", "liaison", "admin", "region")}
    grid_ids: set[int] = set()
    grid_building_ids: set[int] = set()
    work_communities: set[int] = set()
    if of["grid"]:
        under = Q()
        for _k, _id, _b, path, _f in of["grid"]:
            under |= Q(grid__path__startswith=path)
        for building_id, grid_id in Building.objects.filter(under).values_list("id", "grid_id"):
            grid_building_ids.add(building_id)
            grid_ids.add(grid_id)
    # Grids with no building below them still belong to the grid worker.
    paths_below = [path for _k, _id, _b, path, _f in of["grid"]]
    # The grids a notice may be addressed to and still reach this person:
    # those at and above their homes, their buildings and their own grids.
    reach_paths = {r[3] for r in of["home"] + of["head"] + of["grid"] if r[3]}
    prefixes = {up for p in reach_paths for up in grid_paths_up(p)}
    reach_grid_ids: set[int] = set()
    if prefixes or paths_below:
        lookup = Q(path__in=prefixes)
        for path in paths_below:
            lookup |= Q(path__startswith=path)
        for grid_id, path, community_id in Grid.objects.filter(lookup).values_list(
                "id", "path", "community_id"):
            if any(path.startswith(p) for p in paths_below):
                grid_ids.add(grid_id)
                work_communities.add(community_id)
            if path in prefixes:
                reach_grid_ids.add(grid_id)
    reach_grid_ids |= grid_ids
    admin_communities = frozenset(r[1] for r in of["admin"])
    admin_building_ids: frozenset[int] = frozenset()
    admin_grid_ids: frozenset[int] = frozenset()
    if admin_communities:
        admin_building_ids = frozenset(Building.objects.filter(
            community_id__in=admin_communities).values_list("id", flat=True))
        admin_grid_ids = frozenset(Grid.objects.filter(
            community_id__in=admin_communities).values_list("id", flat=True))
    oversee_regions, oversee_communities = _oversight(frozenset(r[1] for r in of["region"]))
    return Scope(
        user_id=user.pk,
        reach_grid_ids=frozenset(reach_grid_ids),
        household_ids=frozenset(r[1] for r in of["home"]),
        household_building_ids=frozenset(r[2] for r in of["home"]),
        headed_building_ids=frozenset(r[1] for r in of["head"]),
        direct_publish_building_ids=frozenset(r[1] for r in of["head"] if r[4]),
        grid_ids=frozenset(grid_ids),
        own_grid_ids=frozenset(r[1] for r in of["grid"]),
        grid_building_ids=frozenset(grid_building_ids),
        department_ids=frozenset(r[1] for r in of["dept"]),
        liaison_community_ids=frozenset(r[1] for r in of["liaison"]),
        admin_community_ids=admin_communities,
        admin_building_ids=admin_building_ids,
        admin_grid_ids=admin_grid_ids,
        work_community_ids=frozenset(work_communities | {r[1] for r in of["liaison"]}
                                     | admin_communities),
        oversee_region_ids=oversee_regions,
        oversee_community_ids=oversee_communities,
        is_superuser=user.is_superuser,
    )


def _oversight(region_ids: frozenset[int]) -> tuple[frozenset[int], frozenset[int]]:
    """The regions at and below ``region_ids`` and the communities under them (two queries)."""
    if not region_ids:
        return frozenset(), frozenset()

    regions = set(region_ids) | set(Region.objects.filter(parent_id__in=region_ids)
                                    .values_list("id", flat=True))
    communities = Community.objects.filter(township_id__in=regions).values_list("id", flat=True)
    return frozenset(regions), frozenset(communities)


# --- Predicates shared by every app ------------------------------------------


@rules.predicate
def is_verified_resident(user) -> bool:
    return scope_of(user).is_verified_resident


@rules.predicate
def is_building_head(user) -> bool:
    return scope_of(user).is_building_head


@rules.predicate
def is_grid_worker(user) -> bool:
    return scope_of(user).is_grid_worker


@rules.predicate
def is_liaison(user) -> bool:
    return scope_of(user).is_liaison


@rules.predicate
def is_handler(user) -> bool:
    return scope_of(user).is_handler


@rules.predicate
def is_community_admin(user) -> bool:
    return scope_of(user).is_admin


@rules.predicate
def is_region_admin(user) -> bool:
    return scope_of(user).is_region_admin


@rules.predicate
def is_staff_role(user) -> bool:
    return scope_of(user).is_staff_role


# --- The one entry point ------------------------------------------------------


def may(user, permission: str, obj=None) -> bool:
    """True if ``user`` may do ``permission`` (a rules name) to ``obj``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return rules.has_perm(permission, user, obj)


def require(user, permission: str, obj=None) -> None:
    """Raise PermissionDenied (a 403 with a readable message) unless ``may``."""
    if not may(user, permission, obj):
        raise PermissionDenied(_("您没有权限进行此操作。"))
