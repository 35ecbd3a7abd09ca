"""Visits, a finding into the loop, the overdue report."""

from datetime import timedelta

import pytest
from django.utils import timezone

from buildings.patrols.models import OverdueReport, Visit
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


def test_a_guides_visit_is_recorded_the_same_way_and_can_become_a_case(world):
    from buildings.tests import factories as f

    from .helpers import guide

    judge = guide(world.community, f.UserFactory())
    visit = visit_record(actor=judge, household=world.household_b, met="head",
                         finding="hardship", note="老人看病难")
    assert visit.as_guide and visit.grid == world.grid_b
    visit = visit_to_case(actor=judge, visit_id=visit.pk, category=category())
    assert visit.case.on_behalf_by == judge
