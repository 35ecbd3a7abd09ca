"""Care flags: only the grid's workers (and grids above), the community admin and its guides."""

import pytest
from django.urls import reverse

from buildings.access import may
from buildings.tests import factories as f
from portal.models import AuditEntry

from .helpers import flag, guide

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(world):
    flag(world.household_a, "独居老人")
    flag(world.household_a, "低保")
    return world.household_a


def test_who_may_see_a_households_care_flags(world, flagged):
    judge = guide(world.community, f.UserFactory())
    for person in (world.worker_a, world.worker_top, world.admin, judge):
        assert may(person, "patrols.view_care_flags", flagged), person
    for person in (world.worker_b, world.resident_a, world.head_a, world.handler,
                   world.liaison, world.stranger):
        assert not may(person, "patrols.view_care_flags", flagged), person


def test_an_admin_or_guide_of_another_community_sees_nothing(world, flagged):
    other = f.CommunityFactory(name="别的社区")
    assert not may(f.community_admin(other), "patrols.view_care_flags", flagged)
    assert not may(guide(other, f.UserFactory()), "patrols.view_care_flags", flagged)


def test_the_grid_worker_reads_the_flags_and_the_read_is_audited(client, world, flagged):
    client.force_login(world.worker_a)
    page = client.get(reverse("patrols:household", args=[flagged.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "独居老人" in text and "低保" in text
    row = AuditEntry.objects.get(action="patrols.care_flags_read")
    assert row.actor == world.worker_a and row.object_id == str(flagged.pk)
    assert len(row.data["flags"]) == 2


@pytest.mark.parametrize("who", ["worker_b", "resident_a", "handler", "head_a"])
def test_others_are_refused_the_household_page(client, world, flagged, who):
    client.force_login(getattr(world, who))
    assert client.get(reverse("patrols:household", args=[flagged.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="patrols.care_flags_read").exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, world, flagged):
    page = client.get(reverse("patrols:household", args=[flagged.pk]))
    assert page.status_code == 302 and "/accounts/" in page["Location"]
    assert client.get(reverse("patrols:round")).status_code == 302


def test_a_forged_household_id_from_another_grid_is_refused(client, world, flagged):
    """Grid B's worker posts a visit and flags for grid A's household: nothing is written."""
    from buildings.patrols.models import CareFlag, Visit

    client.force_login(world.worker_b)
    visit = client.post(reverse("patrols:visit_new", args=[flagged.pk]),
                        {"met": "head", "finding": "none"})
    assert visit.status_code == 404
    flags = client.post(reverse("patrols:flags", args=[flagged.pk]), {"kind": []})
    assert flags.status_code == 404
    assert not Visit.objects.exists()
    assert CareFlag.objects.filter(household=flagged).count() == 2


def test_the_round_is_refused_to_residents_and_handlers(client, world):
    for person in (world.resident_a, world.handler):
        client.force_login(person)
        assert client.get(reverse("patrols:round")).status_code == 403
        assert client.get(reverse("patrols:coverage")).status_code == 403


def test_a_grid_worker_round_lists_only_their_grid(client, world, flagged):
    client.force_login(world.worker_a)
    text = client.get(reverse("patrols:round")).content.decode()
    assert world.household_a.address in text and world.household_a2.address in text
    assert world.household_b.address not in text
    assert "独居老人" not in text  # the list says 重点户, the flags are on the audited page
    assert "重点户" in text


def test_a_guide_sees_the_households_of_their_community_with_flags(client, world, flagged):
    judge = guide(world.community, f.UserFactory())
    client.force_login(judge)
    text = client.get(reverse("patrols:round")).content.decode()
    assert world.household_a.address in text and world.household_b.address in text
    page = client.get(reverse("patrols:household", args=[flagged.pk])).content.decode()
    assert "独居老人" in page
    assert flagged.phone not in page  # the register's phone is for the grid's staff


def test_visit_files_follow_the_visit(world, flagged):
    from buildings.patrols.services import visit_record

    visit = visit_record(actor=world.worker_a, household=flagged, met="head")
    assert may(world.worker_a, "patrols.view_visit", visit)
    assert may(world.worker_top, "patrols.view_visit", visit)
    assert not may(world.worker_b, "patrols.view_visit", visit)
    assert not may(world.resident_a, "patrols.view_visit", visit)
