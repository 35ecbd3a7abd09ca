"""吹哨报到: the moves × roles with a whistle blown, the services' rows, the 督办 ladder
for late report-ins, the working-hour limit and the case page's access (working hours themselves:
community/tests/test_workdays.py; the figures: test_selectors)."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from buildings.tests import factories as f
from community.choices import EventKind, Ladder, Status
from community.models import CaseEvent, LoopSettings, Whistle, WhistleSummons
from community.tests.factories import case_in
from community.whistle.services import (
    whistle_blow,
    whistle_give_result,
    whistle_report_in,
    whistles_supervise_due,
)
from community.workflow import WorkflowError, check_move
from portal.models import AuditEntry, Notification, SmsMessage

S = Status
pytestmark = pytest.mark.django_db
# Friday 27 November 2026, 16:00 Beijing time: 1.5 office hours left that day.
FRIDAY_4PM = timezone.make_aware(datetime(2026, 11, 27, 16, 0))


@pytest.fixture
def police(world):
    """A third department of the community, with its handler: never summoned here."""
    dept = f.DepartmentFactory(community=world.community, name="社区警务室")
    return dept, f.handler(dept)


def _blow(world, case, **kw):
    return whistle_blow(actor=world.worker_a, case_id=case.pk,
                        departments=[world.department, world.other_department],
                        lead=world.department, note="楼道漏水，物业和供水一起来", **kw)


def _fresh(case):
    return type(case).objects.select_related("department").get(pk=case.pk)


# --- moves × roles ----------------------------------------------------------------------


WHISTLE_STATES = [S.TRIAGED, S.DISPATCHED, S.IN_PROGRESS]
EXPECTED = {
    # move: roles that may make it once a whistle (物业 leads, 供水公司 summoned) is open
    "report_in": {"lead_handler", "summoned_handler"},
    "whistle_result": {"lead_handler"},
    "whistle": {"grid", "grid_above", "admin"},
    "whistle_late": {"system"},
}


@pytest.mark.parametrize("state", WHISTLE_STATES, ids=[s.value for s in WHISTLE_STATES])
def test_every_whistle_move_for_every_role(world, police, state):
    case = case_in(world, state, unit=world.household_a.unit)
    _blow(world, case)
    people = {"reporter": world.resident_a, "neighbour_elsewhere": world.resident_b,
              "grid": world.worker_a, "other_grid": world.worker_b,
              "grid_above": world.worker_top, "liaison": world.liaison,
              "lead_handler": world.handler, "summoned_handler": world.other_handler,
              "not_summoned_handler": police[1], "admin": world.admin,
              "stranger": world.stranger, "system": None}
    wrong = []
    for kind, roles in EXPECTED.items():
        for role, person in people.items():
            # 物业 also handles the dispatched case: its handler's own moves are its own
            expect = role in roles
            try:
                check_move(_fresh(case), kind, person)
                got = True
            except WorkflowError as exc:
                got = False
                assert exc.forbidden, (kind, role)
            if got != expect:
                wrong.append((kind, role, "allowed" if got else "refused"))
    assert wrong == []


@pytest.mark.parametrize("state", [S.SUBMITTED, S.RESOLVED, S.CLOSED])
def test_no_whistle_before_triage_or_after_the_result(world, state):
    case = case_in(world, state)
    with pytest.raises(WorkflowError) as exc:
        _blow(world, case)
    assert not exc.value.forbidden and "不能“吹哨报到”" in exc.value.message
    assert not Whistle.objects.exists()


# --- blowing ------------------------------------------------------------------------------


def test_blow_summons_each_department_with_a_working_hour_limit(world, police):
    LoopSettings.load()  # default: 4 working hours
    case = case_in(world, S.DISPATCHED)
    whistle = _blow(world, case, now=FRIDAY_4PM)
    # 16:00–17:30 Friday is 1.5 hours; the other 2.5 on Monday from 08:00.
    due = timezone.make_aware(datetime(2026, 11, 30, 10, 30))
    assert whistle.due_at == due and whistle.lead == world.department
    assert sorted(WhistleSummons.objects.values_list("department__name", "due_at")) == [
        ("供水公司", due), ("物业", due)]
    event = CaseEvent.objects.get(case=case, kind=EventKind.WHISTLE)
    assert event.actor == world.worker_a and event.internal
    assert sorted(event.data["departments"]) == sorted(
        [world.department.pk, world.other_department.pk])
    assert AuditEntry.objects.filter(action="case.whistle").count() == 1
    # The summons reaches each department's handlers, in-app and by SMS, as a dispatch does.
    for person in (world.handler, world.other_handler):
        assert Notification.objects.filter(recipient=person,
                                           title__startswith="吹哨报到：请在").exists()
        assert SmsMessage.objects.filter(phone=person.phone, text__contains="吹哨报到").exists()
    assert not Notification.objects.filter(recipient=police[1]).exists()
    told = Notification.objects.get(recipient=world.resident_a, title__startswith="社区已召集")
    assert "物业" in told.title and "供水公司" in told.title


@pytest.mark.parametrize("departments, lead, message", [
    (["department"], "department", "至少要召集两个部门"),
    (["department", "other_department"], "police", "牵头部门必须是被召集的部门之一"),
])
def test_blow_refuses_too_few_departments_or_an_outside_lead(world, police, departments, lead,
                                                             message):
    case = case_in(world, S.TRIAGED)
    depts = {"department": world.department, "other_department": world.other_department,
             "police": police[0]}
    with pytest.raises(WorkflowError) as exc:
        whistle_blow(actor=world.worker_a, case_id=case.pk,
                     departments=[depts[d] for d in departments], lead=depts[lead])
    assert message in exc.value.message
    assert not Whistle.objects.exists()


def test_blow_refuses_another_communitys_department_and_a_second_whistle(world):
    case = case_in(world, S.TRIAGED)
    elsewhere = f.DepartmentFactory(name="别的社区物业", community=f.CommunityFactory(name="别的社区"))
    with pytest.raises(WorkflowError, match="只能召集本社区的部门"):
        whistle_blow(actor=world.worker_a, case_id=case.pk,
                     departments=[world.department, elsewhere], lead=world.department)
    _blow(world, case)
    with pytest.raises(WorkflowError, match="已经吹过哨"):
        _blow(world, case)
    assert Whistle.objects.count() == 1


# --- reporting in, the result ---------------------------------------------------------------


def test_report_in_on_time_and_late_then_the_lead_gives_the_result(world):
    case = case_in(world, S.DISPATCHED)
    whistle = _blow(world, case, now=FRIDAY_4PM)
    s = whistle_report_in(actor=world.handler, case_id=case.pk, note="王师傅带工具来",
                          now=FRIDAY_4PM + timedelta(minutes=30))
    assert s.department == world.department and not s.late
    late = whistle_report_in(actor=world.other_handler, case_id=case.pk, note="抢修队下午到",
                             now=timezone.make_aware(datetime(2026, 11, 30, 11, 0)))
    assert late.late and late.reported_by == world.other_handler
    events = CaseEvent.objects.filter(case=case, kind=EventKind.REPORT_IN).order_by("pk")
    assert [e.data["late"] for e in events] == [False, True]
    assert [e.data["hours"] for e in events] == [0.5, 4.5]
    with pytest.raises(WorkflowError, match="已经报到过了"):
        whistle_report_in(actor=world.other_handler, case_id=case.pk, note="再报一次")
    with pytest.raises(WorkflowError) as exc:
        whistle_give_result(actor=world.other_handler, case_id=case.pk, text="修好了")
    assert exc.value.forbidden  # only the lead gives the result
    whistle_give_result(actor=world.handler, case_id=case.pk, text="水管已换，楼道已清理")
    case.refresh_from_db()
    whistle.refresh_from_db()
    assert case.status == S.RESOLVED and case.resolved_at is not None
    assert whistle.result == "水管已换，楼道已清理" and whistle.result_at is not None
    assert Notification.objects.filter(recipient=world.resident_a,
                                       title="您的诉求有了办理结果，请确认").exists()


def test_the_lead_reports_in_before_giving_the_result(world):
    case = case_in(world, S.DISPATCHED)
    _blow(world, case)
    with pytest.raises(WorkflowError, match="牵头部门请先报到"):
        whistle_give_result(actor=world.handler, case_id=case.pk, text="修好了")
    assert _fresh(case).status == S.DISPATCHED


def test_a_department_not_summoned_cannot_report_in(world, police):
    case = case_in(world, S.DISPATCHED)
    _blow(world, case)
    with pytest.raises(WorkflowError) as exc:
        whistle_report_in(actor=police[1], case_id=case.pk, note="我们也来")
    assert exc.value.forbidden
    assert not WhistleSummons.objects.filter(reported_at__isnull=False).exists()


def test_report_in_needs_a_note(world):
    case = case_in(world, S.DISPATCHED)
    _blow(world, case)
    with pytest.raises(WorkflowError, match="请写下报到情况"):
        whistle_report_in(actor=world.other_handler, case_id=case.pk, note="  ")


# --- the 督办 ladder -----------------------------------------------------------------------


def test_late_report_ins_climb_the_ladder_once_per_step(world):
    supervisor = f.UserFactory()
    world.other_department.supervisor = supervisor
    world.other_department.save(update_fields=["supervisor"])
    case = case_in(world, S.DISPATCHED)
    _blow(world, case, now=FRIDAY_4PM)  # due Monday 30 November 10:30
    whistle_report_in(actor=world.handler, case_id=case.pk, note="到了",
                      now=FRIDAY_4PM + timedelta(minutes=5))
    monday = timezone.make_aware(datetime(2026, 11, 30, 10, 0))
    assert whistles_supervise_due(now=monday) == {"overdue": 0, "escalate": 0, "report": 0}
    monday_noon = monday + timedelta(hours=2)
    assert whistles_supervise_due(now=monday_noon) == {"overdue": 1, "escalate": 0, "report": 0}
    assert whistles_supervise_due(now=monday_noon) == {"overdue": 0, "escalate": 0, "report": 0}
    waiting = WhistleSummons.objects.get(department=world.other_department)
    assert waiting.ladder == Ladder.OVERDUE
    assert Notification.objects.filter(recipient=world.other_handler,
                                       title="吹哨报到超时未报到").exists()
    assert not Notification.objects.filter(recipient=world.handler,
                                           title="吹哨报到超时未报到").exists()
    # As for an overdue case: 催办 once a whole working day has gone by late (Tuesday).
    tuesday = monday + timedelta(days=1)
    assert whistles_supervise_due(now=tuesday)["escalate"] == 0
    wednesday = monday + timedelta(days=2)
    assert whistles_supervise_due(now=wednesday)["escalate"] == 1
    assert Notification.objects.filter(recipient=supervisor,
                                       title="催办：吹哨报到超时未报到").exists()
    assert Notification.objects.filter(recipient=world.worker_top,
                                       title="催办：吹哨报到超时未报到").exists()
    friday = monday + timedelta(days=4)
    assert whistles_supervise_due(now=friday)["report"] == 1
    assert Notification.objects.filter(recipient=world.admin,
                                       title="通报：吹哨报到严重超时").exists()
    steps = list(CaseEvent.objects.filter(case=case, kind=EventKind.WHISTLE_LATE)
                 .values_list("data__ladder", flat=True))
    assert steps == [Ladder.OVERDUE, Ladder.ESCALATED, Ladder.REPORTED]
    # Reported in at last: the ladder stops.
    whistle_report_in(actor=world.other_handler, case_id=case.pk, note="到了", now=friday)
    assert whistles_supervise_due(now=friday + timedelta(days=7)) == {
        "overdue": 0, "escalate": 0, "report": 0}


def test_the_periodic_job_is_registered():
    from portal.periodic import REGISTRY, discover

    discover()
    assert any(name.endswith("supervise_whistles") for name in REGISTRY)
