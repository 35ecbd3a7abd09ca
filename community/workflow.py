"""The case state machine: the seven steps of the county model, as one table.

Read it against DESIGN.md. Each move says from which states it may be made,
which state it leads to (``None``: the state stays, the move only adds to the
record), who may make it, and what it needs. ``check_move`` is the only
judge; ``community.services`` calls it, then changes, records and notifies.
Nothing else assigns ``case.status``.

Roles are relative to the case (``roles_for``):

- ``reporter``   the resident who reported it (or for whom it was filed)
- ``follower``   someone who said "me too", or whose duplicate was merged in
- ``household``  a verified member of the household whose flat the case is in
- ``neighbour``  a verified resident who could say "me too": one who shares the
                 place of the case (``shares_place``), never a stranger to it
- ``grid``       a grid worker of the case's grid or of a grid above it
- ``liaison``    liaison-room staff of the community
- ``handler``    the person it was dispatched to, or a handler of that department
                 (for a case given to volunteers: its grid workers stand in)
- ``supervisor`` the supervisor of the handling department
- ``summoned``   a handler of a department summoned by the case's open whistle (吹哨报到)
- ``lead``       a handler of that whistle's lead department
- ``admin``      a community admin
- ``overseer``   a county or township admin above the case's community: reads it
                 with residents' data masked (a neighbour's view) and may only 督办
- ``system``     the periodic jobs and other apps' signals (no person)
- ``platform``   the external platform (a hotline) a case came from, acting through
                 the API for its caller (``PlatformActor``); for a case it sent us
                 with no resident account behind it, it is also the ``reporter``
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import Scope, scope_of
from portal.errors import Refused

from .choices import EventKind, Status

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User

    from .models import Case, CasePhoto, Dispute

S = Status
OPEN = frozenset({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED})
BEFORE_RESULT = frozenset({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS})
ROLES = ("reporter", "follower", "household", "neighbour", "grid", "liaison", "handler", "supervisor",
         "summoned", "lead", "admin", "overseer", "system", "platform")
STAFF_ROLES = frozenset({"grid", "liaison", "handler", "supervisor", "summoned", "lead", "admin"})
# A whistle is blown on a case someone is working; it ends with the lead's result.
WHISTLE_STATES = frozenset({S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS})


@dataclass(frozen=True)
class Move:
    kind: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    needs: tuple[str, ...] = ()
    label: str | Promise = ""  # a lazy text: shown in the reader's language


def _m(kind: str, sources: Iterable[str], target: str | None, roles: Iterable[str],
       needs: Iterable[str] = (), label: str | Promise = "") -> Move:
    return Move(kind=kind, sources=frozenset(sources), target=target,
                roles=frozenset(roles), needs=tuple(needs), label=label)


STAFF_SORT = {"grid", "liaison", "admin"}

MOVES: dict[str, Move] = {m.kind: m for m in [
    # 1 接收登记 is case_submit: a case is born SUBMITTED.
    # 2 梳理分类
    _m(EventKind.TRIAGE, {S.SUBMITTED, S.TRIAGED}, S.TRIAGED, STAFF_SORT,
       ("category", "priority"), gettext_lazy("分类")),
    _m(EventKind.DECLINE, {S.SUBMITTED, S.TRIAGED}, S.DECLINED, STAFF_SORT, ("reason",),
       gettext_lazy("不予受理")),
    _m(EventKind.MERGE, {S.SUBMITTED, S.TRIAGED}, S.MERGED, STAFF_SORT, ("kept_case",),
       gettext_lazy("合并重复")),
    # 3 分流转办
    _m(EventKind.DISPATCH, {S.TRIAGED}, S.DISPATCHED, {"grid", "admin"}, ("assignee",),
       gettext_lazy("转办")),
    _m(EventKind.REASSIGN, {S.DISPATCHED, S.IN_PROGRESS}, S.DISPATCHED, {"grid", "admin"},
       ("assignee",), gettext_lazy("改派")),
    # 4 部门承办
    _m(EventKind.ACCEPT, {S.DISPATCHED}, S.IN_PROGRESS, {"handler", "system"}, (),
       gettext_lazy("接收")),
    _m(EventKind.HAND_BACK, {S.DISPATCHED, S.IN_PROGRESS}, S.TRIAGED, {"handler"}, ("reason",),
       gettext_lazy("退回")),
    # 5 结果反馈
    _m(EventKind.RESOLVE, {S.IN_PROGRESS}, S.RESOLVED, {"handler", "system"}, ("text",),
       gettext_lazy("反馈办理结果")),
    # 7 办结归档 (or back to dispatch)
    _m(EventKind.CONFIRM, {S.RESOLVED}, S.CLOSED, {"reporter"}, ("rating",),
       gettext_lazy("确认已解决")),
    _m(EventKind.REOPEN, {S.RESOLVED}, S.TRIAGED, {"reporter"}, ("not_fixed_or_low",),
       gettext_lazy("未解决")),
    _m(EventKind.AUTO_CLOSE, {S.RESOLVED}, S.CLOSED, {"system"}, (),
       gettext_lazy("未评价办结")),
    # Alongside every step: the record grows, the state stays.
    _m(EventKind.COMMENT, OPEN,
       None, {"reporter", "follower", "grid", "liaison", "handler", "admin"}, ("text",),
       gettext_lazy("补充说明")),
    _m(EventKind.METOO, BEFORE_RESULT, None, {"neighbour"}, (), gettext_lazy("我也遇到")),
    _m(EventKind.URGE, BEFORE_RESULT, None, {"reporter", "follower"}, ("overdue", "once_a_day"),
       gettext_lazy("催一催")),
    # 6 跟踪督办
    _m(EventKind.SUPERVISE, OPEN, None, {"grid", "supervisor", "admin", "overseer"}, ("text",),
       gettext_lazy("督办意见")),
    _m(EventKind.REMIND, BEFORE_RESULT, None, {"system"}, (), gettext_lazy("到期提醒")),
    _m(EventKind.OVERDUE, BEFORE_RESULT, None, {"system"}, (), gettext_lazy("超期")),
    _m(EventKind.ESCALATE, BEFORE_RESULT, None, {"system"}, (), gettext_lazy("催办")),
    _m(EventKind.REPORT, BEFORE_RESULT, None, {"system"}, (), gettext_lazy("通报")),
    # 吹哨报到 (community.whistle): several departments summoned to one case, one leads.
    _m(EventKind.WHISTLE, WHISTLE_STATES, None, {"grid", "admin"}, ("departments", "lead"),
       gettext_lazy("吹哨报到")),
    _m(EventKind.REPORT_IN, WHISTLE_STATES, None, {"summoned"}, ("note",),
       gettext_lazy("部门报到")),
    _m(EventKind.WHISTLE_RESULT, WHISTLE_STATES, S.RESOLVED, {"lead"}, ("text",),
       gettext_lazy("牵头部门反馈结果")),
    _m(EventKind.WHISTLE_LATE, WHISTLE_STATES, None, {"system"}, (), gettext_lazy("报到超时")),
    # 回访: a call after the result; the only thing added to a closed case.
    _m(EventKind.FOLLOWUP, {S.RESOLVED, S.CLOSED}, None, {"grid", "liaison", "admin", "platform"},
       ("text",), gettext_lazy("记录回访")),
]}


class WorkflowError(Refused):
    """A move that may not be made. ``forbidden`` says whether it is the person (403)
    rather than the case's state or the input (400)."""


@dataclass(frozen=True)
class PlatformActor:
    """An external platform acting through the API for the caller it took the case from.

    Not a person: events it makes have no actor row (``pk`` is None); the
    platform's own update id and name are recorded beside them.
    """

    platform: str
    pk: None = None
    is_authenticated: bool = False


# Who may stand before a case: a person (signed in or not), a platform through the
# API, or ``None``, the system.
Actor: TypeAlias = "User | AnonymousUser | PlatformActor | None"


def roles_for(user: Actor, case: Case) -> frozenset[str]:
    """What ``user`` is to ``case``. ``None`` is the system."""
    if user is None:
        return frozenset({"system"})
    if isinstance(user, PlatformActor):
        if not case.source_platform or case.source_platform != user.platform:
            return frozenset()
        # A hotline case has no resident account: the platform speaks for its caller.
        return frozenset({"platform", "reporter"} if case.reporter_id is None else {"platform"})
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    scope = scope_of(user)
    roles = set()
    if case.reporter_id == user.pk:
        roles.add("reporter")
    elif _is_follower(user, case):
        roles.add("follower")
    elif scope.is_verified_resident and shares_place(scope, case):
        roles.add("neighbour")
    if case.household_id and case.household_id in scope.household_ids:
        # The flat is theirs: a verified member of the household sees its case as the
        # reporter does (the family member who did not file it is no stranger to it).
        roles.add("household")
    if scope.is_admin and (scope.is_superuser or case.community_id in scope.admin_community_ids):
        roles.add("admin")
    if case.grid_id in scope.grid_ids:
        roles.add("grid")
    if scope.oversees(case.community_id):
        roles.add("overseer")
    if case.community_id in scope.liaison_community_ids:
        roles.add("liaison")
    if (case.assignee_id and case.assignee_id == user.pk) or (
            case.department_id and case.department_id in scope.department_ids):
        roles.add("handler")
    if case.to_volunteers and "grid" in roles:
        roles.add("handler")
    if case.department is not None and case.department.supervisor_id == user.pk:
        roles.add("supervisor")
    if scope.department_ids:
        summoned, lead = _whistle_departments(case)
        if summoned & scope.department_ids:
            roles.add("summoned")
        if lead in scope.department_ids:
            roles.add("lead")
    return frozenset(roles)


def _whistle_departments(case: Case) -> tuple[frozenset[int], int | None]:
    """The departments summoned by the case's open whistle, and its lead (cached on the case)."""
    cache = getattr(case, "_whistle_departments", None)
    if cache is None:
        from .models import WhistleSummons  # noqa: PLC0415 (moved with this module's rewrite (one view per move))

        rows = list(WhistleSummons.objects.filter(whistle__case_id=case.pk,
                                                  whistle__result_at__isnull=True)
                    .values_list("department_id", "whistle__lead_id"))
        cache = (frozenset(d for d, _l in rows), rows[0][1] if rows else None)
        case._whistle_departments = cache  # type: ignore[attr-defined]  # kept on the instance
    return cache


def shares_place(scope: Scope, case: Case) -> bool:
    """Whether a resident shares the place of ``case``, and so may say "me too".

    The public parts of a building they live in (its stairwells, its roof, a
    place in it), a public place of a grid at or above their home, or their
    own flat. Never the inside of another household's flat: what happens
    there is that household's business. ``selectors.shared_cases`` is the
    same rule as a filter.
    """
    if case.household_id:
        return case.household_id in scope.household_ids
    if case.building_id:
        return case.building_id in scope.household_building_ids
    return bool(case.place_id) and case.grid_id in scope.reach_grid_ids


def _is_follower(user: User | AnonymousUser, case: Case) -> bool:
    cache = getattr(case, "_follower_ids", None)
    if cache is None:
        cache = set(case.followers.values_list("user_id", flat=True))
        case._follower_ids = cache  # type: ignore[attr-defined]  # kept on the instance
    return user.pk in cache


def can_see(user: Actor, case: Case) -> bool:
    """Whether the case exists for this person at all (if not: a 404)."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    roles = roles_for(user, case) - {"neighbour"}
    return bool(roles) or (case.on_behalf_by_id is not None and case.on_behalf_by_id == user.pk)


def sees_in_full(user: Actor, case: Case) -> bool:
    """Who is shown everything of a case a resident may be shown: the people who
    work it, its reporter and whoever filed it for them.

    Everyone else who sees it (a follower) gets a neighbour's view: no
    reporter, no flat number, no phone numbers, no voice, no photos of the
    inside of another household's flat, no staff-only steps.
    """
    if user is None:
        return True
    roles = roles_for(user, case)
    return bool(roles & (STAFF_ROLES | {"reporter", "household"})) or (
        case.on_behalf_by_id is not None and case.on_behalf_by_id == user.pk)


def inside_others_flat(user: Actor, case: Case) -> bool:
    """The case is inside a flat this person does not live in."""
    return bool(case.household_id) and case.household_id not in scope_of(user).household_ids


def sees_photo(user: Actor, case: Case, photo: CasePhoto) -> bool:
    """The case page and ``/media/`` ask this same question of every photo.

    Staff see every photo; a photo of a staff-only step is theirs alone. A
    photo of a case inside a flat shows someone's home: only its household,
    the reporter and staff see it, never a follower from another flat.
    """
    if not can_see(user, case):
        return False
    if user is None or roles_for(user, case) & STAFF_ROLES:
        return True
    if photo.event is not None and photo.event.internal:
        return False
    return sees_in_full(user, case) or not inside_others_flat(user, case)


def check_move(case: Case, kind: str, actor: Actor) -> Move:
    """Raise ``WorkflowError`` unless ``actor`` may make move ``kind`` on ``case`` now."""
    move = MOVES.get(kind)
    if move is None:
        raise WorkflowError(_("没有这个操作。"))
    roles = roles_for(actor, case)
    if not (roles & move.roles):
        raise WorkflowError(
            _("您不能对这件诉求做“%(move)s”。")
            % {"move": move.label}, forbidden=True)
    if case.status not in move.sources:
        raise WorkflowError(
            _("这件诉求现在是“%(state)s”，不能“%(move)s”。")
            % {"state": Status(case.status).label, "move": move.label})
    return move


def dispatch_kind(case: Case) -> str:
    """转办 a case that is already dispatched (or in progress) is 改派: the one place
    that says so (the service records it, the case page's 转办 form stays)."""
    reassign = MOVES[EventKind.REASSIGN]
    return EventKind.REASSIGN if case.status in reassign.sources else EventKind.DISPATCH


def allowed_moves(user: Actor, case: Case) -> list[str]:
    """The moves this person could make on this case now (for showing buttons)."""
    roles = roles_for(user, case)
    return [k for k, m in MOVES.items() if case.status in m.sources and roles & m.roles]


# --- Disputes (矛盾纠纷): the five-step mechanism ------------------------------------
#
# Opening a dispute is the screening record (dispute_open). Then:
#   find        screening → problem found        (a note)
#   intervene   found → early intervention        (a note)
#   mediate     intervention → follow-up visits   (date, mediators, agreement text or file;
#                                                  the visits are scheduled)
#   visit       follow_up → follow_up             (a note)
#   close       follow_up → closed                (made by the service after the last visit)
# Roles: ``party`` (a person in it), ``mediator``, ``grid`` (its grid or above), ``admin``.



def _dispute_table() -> dict[str, Move]:
    from .choices import DisputeStage as DS  # noqa: PLC0415 (moved with this module's rewrite (one view per move))

    staff = frozenset({"grid", "mediator", "admin"})
    return {
        "find": _m("find", {DS.SCREENING}, DS.FOUND, staff, ("note",), gettext_lazy("发现问题")),
        "intervene": _m("intervene", {DS.FOUND}, DS.INTERVENTION, staff, ("note",),
                        gettext_lazy("提前介入")),
        "mediate": _m("mediate", {DS.INTERVENTION}, DS.FOLLOW_UP, staff,
                      ("date", "mediators", "agreement"), gettext_lazy("联合调解")),
        "visit": _m("visit", {DS.FOLLOW_UP}, None, staff, ("note",), gettext_lazy("回访")),
        # Made by the service after the last visit, by whoever recorded it.
        "close": _m("close", {DS.FOLLOW_UP}, DS.CLOSED, staff, (), gettext_lazy("化解归档")),
        "note": _m("note", {DS.SCREENING, DS.FOUND, DS.INTERVENTION, DS.FOLLOW_UP}, None,
                   staff, ("note",), gettext_lazy("记录")),
    }


DISPUTE_MOVES: dict[str, Move] = _dispute_table()


def dispute_roles_for(user: User | AnonymousUser | None, dispute: Dispute) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    scope = scope_of(user)
    roles = set()
    if any(p.user_id == user.pk for p in dispute.parties.all()):
        roles.add("party")
    if any(m.user_id == user.pk for m in dispute.mediators.all()):
        roles.add("mediator")
    if dispute.grid_id in scope.grid_ids:
        roles.add("grid")
    if scope.is_superuser or dispute.community_id in scope.admin_community_ids:
        roles.add("admin")
    return frozenset(roles)


def check_dispute_move(dispute: Dispute, kind: str, actor: User) -> Move:
    move = DISPUTE_MOVES.get(kind)
    if move is None:
        raise WorkflowError(_("没有这个操作。"))
    if not (dispute_roles_for(actor, dispute) & move.roles):
        raise WorkflowError(_("您不能办理这件纠纷。"), forbidden=True)
    if dispute.stage not in move.sources:
        raise WorkflowError(_("这件纠纷现在不能“%(move)s”。")
                            % {"move": move.label})
    return move
