"""The state machine table: every move, in every state, for every role.

The expectations are written out here, apart from ``community.workflow``, so
the table is checked against the design rather than against itself.
"""

import re
from pathlib import Path

import pytest

from buildings.tests import factories as f
from community.choices import Status
from community.workflow import MOVES, WorkflowError, check_move

from .factories import case_in

S = Status
ALL_STATES = list(S)
STAFF_SORT = {"grid", "grid_above", "liaison", "admin"}

# move: (states it may be made in, roles that may make it)
EXPECTED = {
    "triage": ({S.SUBMITTED, S.TRIAGED}, STAFF_SORT),
    "decline": ({S.SUBMITTED, S.TRIAGED}, STAFF_SORT),
    "merge": ({S.SUBMITTED, S.TRIAGED}, STAFF_SORT),
    "dispatch": ({S.TRIAGED}, {"grid", "grid_above", "admin"}),
    "reassign": ({S.DISPATCHED, S.IN_PROGRESS}, {"grid", "grid_above", "admin"}),
    "accept": ({S.DISPATCHED}, {"handler", "system"}),
    "hand_back": ({S.DISPATCHED, S.IN_PROGRESS}, {"handler"}),
    "resolve": ({S.IN_PROGRESS}, {"handler", "system"}),
    "confirm": ({S.RESOLVED}, {"reporter"}),
    "reopen": ({S.RESOLVED}, {"reporter"}),
    "auto_close": ({S.RESOLVED}, {"system"}),
    "comment": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED},
                {"reporter", "follower", "grid", "grid_above", "liaison", "handler", "admin"}),
    "metoo": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"neighbour"}),
    "urge": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"reporter", "follower"}),
    "supervise": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED},
                  {"grid", "grid_above", "supervisor", "admin"}),
    "followup": ({S.RESOLVED, S.CLOSED}, {"grid", "grid_above", "liaison", "admin"}),
    "remind": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"system"}),
    "overdue": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"system"}),
    "escalate": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"system"}),
    "report": ({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"system"}),
    # 吹哨报到: with no whistle blown, nobody is summoned or leads (community/whistle/tests/test_services.py has the rest).
    "whistle": ({S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"grid", "grid_above", "admin"}),
    "report_in": ({S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, set()),
    "whistle_result": ({S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, set()),
    "whistle_late": ({S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS}, {"system"}),
}
# The department's people are part of a case only once it was dispatched to them.
DEPARTMENT_STATES = {S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED}
ROLES = ["reporter", "follower", "neighbour", "resident_elsewhere", "building_head", "grid",
         "other_grid", "grid_above", "liaison", "handler", "other_handler", "supervisor", "admin",
         "stranger", "system"]


def test_the_table_has_exactly_the_expected_moves():
    assert set(MOVES) == set(EXPECTED)
    for kind, (states, _roles) in EXPECTED.items():
        assert set(MOVES[kind].sources) == states, kind


@pytest.fixture
def people(world):
    supervisor = f.UserFactory()
    world.department.supervisor = supervisor
    world.department.save(update_fields=["supervisor"])
    # The case is at the stairwell of building A: a neighbour lives in that
    # building; resident_b, in building B, is nobody to it.
    neighbour = f.resident_of(f.HouseholdFactory(unit=world.household_a.unit, number="103",
                                                 floor=1))
    return {
        "reporter": world.resident_a, "follower": world.resident_a2,
        "neighbour": neighbour, "resident_elsewhere": world.resident_b,
        "building_head": world.head_a,
        "grid": world.worker_a, "other_grid": world.worker_b, "grid_above": world.worker_top,
        "liaison": world.liaison, "handler": world.handler,
        "other_handler": world.other_handler, "supervisor": supervisor,
        "admin": world.admin, "stranger": world.stranger, "system": None,
    }


@pytest.mark.parametrize("state", ALL_STATES, ids=[s.value for s in ALL_STATES])
def test_every_move_for_every_role(world, people, state):
    from community.models import CaseFollower

    case = case_in(world, state, unit=world.household_a.unit)
    case.refresh_from_db()
    CaseFollower.objects.get_or_create(case=case, user=world.resident_a2)
    fresh = type(case).objects.select_related("department").get(pk=case.pk)
    wrong = []
    for kind, (states, roles) in EXPECTED.items():
        for role in ROLES:
            allowed_role = role in roles
            if role in ("handler", "supervisor") and state not in DEPARTMENT_STATES:
                allowed_role = False
            expect = allowed_role and state in states
            try:
                check_move(fresh, kind, people[role])
                got = True
            except WorkflowError as exc:
                got = False
                # A person who may never make the move is told so (403), not "wrong state".
                if not allowed_role:
                    assert exc.forbidden, (kind, role, state)
            if got != expect:
                wrong.append((kind, role, state.value, "allowed" if got else "refused"))
    assert wrong == []


def test_nothing_but_the_services_assigns_a_case_status():
    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "services.py":
            continue
        if re.search(r"\bcase\.status\s*=[^=]", path.read_text()):
            offenders.append(str(path))
    assert offenders == []
    text = (root / "services.py").read_text()
    # In services, only _move assigns it.
    assert len(re.findall(r"case\.status\s*=[^=]", text)) == 1


def test_events_are_never_edited(world):
    from django.core.exceptions import ValidationError

    case = case_in(world, S.TRIAGED)
    event = case.events.first()
    event.note = "changed"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
