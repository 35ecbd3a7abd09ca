"""The round's pages: the list's query count, 我的, the coverage page, the admin screens for flags and guides."""

import pytest
from django.urls import reverse

from buildings.patrols.models import Visit
from buildings.patrols.services import visit_record
from buildings.tests import factories as f

from .helpers import _last_month_day, flag, guide

pytestmark = pytest.mark.django_db


def test_the_round_costs_the_same_for_many_households(client, world,
                                                      django_assert_max_num_queries):
    for n in range(30):
        h = f.HouseholdFactory(unit=world.household_a.unit, number=f"9{n:02d}")
        if n % 3 == 0:
            flag(h, "低保")
    client.force_login(world.worker_a)
    with django_assert_max_num_queries(15):
        page = client.get(reverse("patrols:round"))
    assert page.status_code == 200
    assert "待走访 32 户" in page.content.decode()


def test_me_shows_the_round_to_workers_and_guides_only(client, world):
    flag(world.household_a, "独居老人")
    client.force_login(world.worker_a)
    text = client.get(reverse("portal:me")).content.decode()
    assert "巡网排查" in text and "本月待走访 2 户" in text
    client.force_login(guide(world.community, f.UserFactory()))
    assert "本月待走访 3 户" in client.get(reverse("portal:me")).content.decode()
    client.force_login(world.resident_a)
    assert "巡网排查" not in client.get(reverse("portal:me")).content.decode()


def test_the_admin_edits_care_flag_kinds_and_guides(client, world):
    from buildings.patrols.models import CareFlagKind

    client.force_login(world.admin)
    assert client.get("/admin/patrols/careflagkind/").status_code == 200
    added = client.post("/admin/patrols/careflagkind/new/", {
        "name": "重病患者", "visit_days": "10", "escalate_days": "5", "order": "9",
        "active": "on"})
    assert added.status_code == 302
    assert CareFlagKind.objects.get(name="重病患者").visit_days == 10
    assert client.get("/admin/patrols/guide/").status_code == 200
    client.force_login(world.worker_a)
    assert client.get("/admin/patrols/careflagkind/").status_code in (302, 403)


def test_a_worker_sets_a_households_flags_from_the_phone(client, world):
    from buildings.patrols.models import CareFlag
    from portal.models import AuditEntry

    from .helpers import kind

    client.force_login(world.worker_a)
    alone, poor = kind("独居老人"), kind("低保")
    page = client.post(reverse("patrols:flags", args=[world.household_a.pk]),
                       {"kind": [alone.pk, poor.pk]})
    assert page.status_code == 302
    assert set(CareFlag.objects.filter(household=world.household_a)
               .values_list("kind__name", flat=True)) == {"独居老人", "低保"}
    assert AuditEntry.objects.filter(action="patrols.care_flags_set").count() == 1


def test_coverage_page_for_a_grid_worker_shows_their_grids_only(client, world,
                                                               django_assert_max_num_queries):
    client.force_login(world.worker_a)
    with django_assert_max_num_queries(20):
        text = client.get("/patrols/coverage/").content.decode()
    assert "A网格" in text and "B网格" not in text


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
