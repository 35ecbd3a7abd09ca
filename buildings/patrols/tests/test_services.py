"""Visits, a finding into the loop, the overdue report, coverage."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from buildings.patrols.models import OverdueReport, Visit
from buildings.patrols.selectors import coverage, round_for
from buildings.patrols.services import (
    PatrolError,
    overdue_visits_report,
    visit_record,
    visit_to_case,
    visit_to_dispute,
)
from community.tests.factories import category, jpeg
from portal.models import AuditEntry, Notification

from .helpers import flag

pytestmark = pytest.mark.django_db


def test_a_visit_sent_twice_with_one_key_is_stored_once(world):
    key = "6f1c1b8e-8d1e-4c7e-9d7f-0e1a2b3c4d5e"
    first = visit_record(actor=world.worker_a, household=world.household_a, met="head",
                         condition="good", finding="safety", note="楼道堆放杂物",
                         photos=[jpeg()], client_key=key)
    again = visit_record(actor=world.worker_a, household=world.household_a, met="head",
                         finding="safety", note="楼道堆放杂物", client_key=key)
    assert again.pk == first.pk
    assert Visit.objects.count() == 1 and first.photos.count() == 1
    assert AuditEntry.objects.filter(action="patrols.visit").count() == 1


def test_a_visit_to_another_grid_is_refused(world):
    with pytest.raises(PatrolError) as exc:
        visit_record(actor=world.worker_b, household=world.household_a, met="head")
    assert exc.value.forbidden and "不在您负责的范围内" in exc.value.message
    assert not Visit.objects.exists()


def test_a_finding_needs_words(world):
    with pytest.raises(PatrolError, match="发现了问题"):
        visit_record(actor=world.worker_a, household=world.household_a, met="head",
                     finding="hardship")


def test_a_finding_becomes_a_case_for_the_household_linked_back(world):
    flag(world.household_a, "独居老人")
    visit = visit_record(actor=world.worker_a, household=world.household_a, met="head",
                         finding="facility", note="厨房水管漏水", photos=[jpeg()])
    visit = visit_to_case(actor=world.worker_a, visit_id=visit.pk, category=category())
    case = visit.case
    assert case.household == world.household_a and case.on_behalf_by == world.worker_a
    assert case.channel == "visit" and case.description == "厨房水管漏水"
    assert case.photos.count() == 1
    assert case.patrol_visit == visit
    # Tapped again: the same case.
    assert visit_to_case(actor=world.worker_a, visit_id=visit.pk,
                         category=category()).case_id == case.pk
    # What goes out to platforms carries the finding, never the care flags.
    from community.open311.selectors import request_as_dict

    assert "独居老人" not in str(request_as_dict(case, extensions=True))


def test_a_finding_becomes_a_dispute_at_problem_found(world):
    visit = visit_record(actor=world.worker_a, household=world.household_a, met="head",
                         finding="dispute", note="与楼上邻居因漏水争吵")
    visit = visit_to_dispute(actor=world.worker_a, visit_id=visit.pk, title="漏水纠纷")
    dispute = visit.dispute
    assert dispute.title == "漏水纠纷" and dispute.stage == "found"
    assert [r.kind for r in dispute.records.all()] == ["open", "find"]
    with pytest.raises(PatrolError, match="已经转办"):
        visit_to_case(actor=world.worker_a, visit_id=visit.pk, category=category())


def test_nothing_found_is_not_taken_into_the_loop(world):
    visit = visit_record(actor=world.worker_a, household=world.household_a, met="nobody")
    with pytest.raises(PatrolError, match="没有发现问题"):
        visit_to_case(actor=world.worker_a, visit_id=visit.pk, category=category())


def test_the_round_puts_flagged_households_first_and_overdue_on_top(world):
    today = timezone.localdate()
    flag(world.household_a2, "独居老人", since=today - timedelta(days=20))
    items = round_for(world.worker_a, today=today)
    assert [d.household for d in items] == [world.household_a2, world.household_a]
    assert items[0].flagged and items[0].overdue and items[0].days_overdue == 20
    visit_record(actor=world.worker_a, household=world.household_a, met="head")
    items = round_for(world.worker_a, today=today)
    assert items[-1].household == world.household_a and items[-1].done


def test_overdue_flagged_visits_reach_the_admin_once(world):
    today = timezone.localdate()
    flag(world.household_a, "独居老人", since=today - timedelta(days=10))  # escalates after 3
    flag(world.household_b, "低保", since=today - timedelta(days=2))  # not yet
    assert overdue_visits_report(today=today) == 1
    assert overdue_visits_report(today=today) == 0
    note = Notification.objects.get(recipient=world.admin)
    assert note.title == "重点户走访超期" and "超期 10 天" in note.body
    assert OverdueReport.objects.count() == 1
    assert not Notification.objects.filter(recipient=world.worker_a).exists()


def test_coverage_per_grid_and_up_the_tree(world):
    today = timezone.localdate()
    flag(world.household_b, "独居老人", since=today - timedelta(days=5))
    visit_record(actor=world.worker_a, household=world.household_a, met="head",
                 finding="safety", note="电线老化")
    visit_record(actor=world.worker_a, household=world.household_a2, met="family")
    rows = {r.grid.code: r for r in coverage([world.grid_top, world.grid_a, world.grid_b],
                                             today=today)}
    a, b, top = rows["W1-A"], rows["W1-B"], rows["W1"]
    assert (a.households, a.visited, a.flagged, a.overdue) == (2, 2, 0, 0)
    assert (b.households, b.visited, b.flagged, b.overdue) == (1, 0, 1, 1)
    assert (top.households, top.visited, top.flagged, top.overdue) == (3, 2, 1, 1)
    assert a.findings["safety"] == 1 and top.findings["safety"] == 1 and b.findings["safety"] == 0
    assert top.percent == 67


def test_coverage_page_for_a_grid_worker_shows_their_grids_only(client, world,
                                                               django_assert_max_num_queries):
    client.force_login(world.worker_a)
    with django_assert_max_num_queries(20):
        text = client.get("/patrols/coverage/").content.decode()
    assert "A网格" in text and "B网格" not in text


def test_demo_data_loads_twice():
    from buildings import demo as register
    from buildings.patrols import demo
    from buildings.patrols.models import CareFlag, Guide

    register.load()
    demo.load()
    demo.load()
    assert CareFlag.objects.count() == 5 and Guide.objects.count() == 1
    assert Visit.objects.count() == 1


def test_a_guides_visit_is_recorded_the_same_way_and_can_become_a_case(world):
    from buildings.tests import factories as f

    from .helpers import guide

    judge = guide(world.community, f.UserFactory())
    visit = visit_record(actor=judge, household=world.household_b, met="head",
                         finding="hardship", note="老人看病难")
    assert visit.as_guide and visit.grid == world.grid_b
    visit = visit_to_case(actor=judge, visit_id=visit.pk, category=category())
    assert visit.case.on_behalf_by == judge


def _last_month_day(day: int) -> datetime:
    """10:00 on ``day`` of last month, local time."""
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=day)
    return timezone.make_aware(datetime.combine(last_month, time(10, 0)))


def test_coverage_of_a_past_month_counts_that_months_visits_and_flags_only(world):
    from buildings.patrols.selectors import month_day

    now_visit = visit_record(actor=world.worker_a, household=world.household_a, met="head")
    old = visit_record(actor=world.worker_a, household=world.household_a2, met="family",
                       finding="safety", note="电线老化")
    Visit.objects.filter(pk=old.pk).update(visited_at=_last_month_day(15))
    month_end = timezone.localdate().replace(day=1) - timedelta(days=1)
    flag(world.household_b, "独居老人", since=month_end - timedelta(days=40))
    flag(world.household_a, "低保", since=month_end + timedelta(days=1))  # set this month
    past = {r.grid.code: r for r in coverage([world.grid_a, world.grid_b],
                                             today=month_day(month_end.replace(day=1)))}
    assert month_day(month_end.replace(day=1)) == month_end
    a, b = past["W1-A"], past["W1-B"]
    # Last month: flat a2 was visited (not a, whose visit is this month); nobody was
    # flagged in grid A yet; b's flag was overdue by the month's end.
    assert (a.households, a.visited, a.flagged, a.overdue) == (2, 1, 0, 0)
    assert a.findings["safety"] == 1
    assert (b.flagged, b.overdue) == (1, 1)
    now = {r.grid.code: r for r in coverage([world.grid_a], today=timezone.localdate())}
    assert (now["W1-A"].visited, now["W1-A"].flagged) == (1, 1)
    assert now["W1-A"].findings["safety"] == 0
    assert now_visit.household_id == world.household_a.pk


def test_the_coverage_page_picks_a_past_month_and_refuses_a_bad_one(client, world):
    for household, day in ((world.household_a2, 3), (world.household_a, 5)):
        old = visit_record(actor=world.worker_a, household=household, met="family")
        Visit.objects.filter(pk=old.pk).update(visited_at=_last_month_day(day))
    visit_record(actor=world.worker_a, household=world.household_a, met="head")
    client.force_login(world.worker_a)
    month = _last_month_day(1).strftime("%Y-%m")
    text = client.get(f"/patrols/coverage/?month={month}").content.decode()
    assert "已走访 2 / 2 户" in text and f'value="{month}"' in text
    assert "已走访 1 / 2 户" in client.get("/patrols/coverage/").content.decode()
    for bad, says in (("2026-13", "不是有效的月份"), ("11/2026", "不是有效的月份"),
                      ("2999-01", "不能是还没到的月份")):
        response = client.get(f"/patrols/coverage/?month={bad}")
        assert response.status_code == 400, bad
        assert says in response.content.decode(), bad
