"""The county's pages above the communities: who sees what, the roll-up, the drill-down, 督办."""

import pytest
from django.test import Client
from django.urls import reverse

from community.choices import EventKind, Status
from community.county.rollups import REPORT_IN_SOURCES, refresh
from community.models import CaseEvent
from community.tests.factories import case_in

from .helpers import make_county


@pytest.fixture
def county(world):
    return make_county(world)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_township_admin_cannot_reach_another_township(world, county):
    mine = case_in(world, Status.DISPATCHED)
    theirs = case_in(world, Status.SUBMITTED, reporter=county["other_resident"],
                     household=county["other_resident"].residencies.get().household)
    c = _client(county["east_admin"])
    assert c.get(reverse("county:region", args=[county["east"].pk])).status_code == 200
    # Forged ids: the other township, the county above, the other community, its case.
    assert c.get(reverse("county:region", args=[county["west"].pk])).status_code == 404
    assert c.get(reverse("county:region", args=[county["county"].pk])).status_code == 404
    assert c.get(reverse("county:supervision", args=[county["west"].pk])).status_code == 404
    assert c.get(reverse("county:community_cases",
                         args=[county["other"].pk])).status_code == 404
    assert c.get(reverse("community:detail", args=[theirs.pk])).status_code == 404
    assert c.get(reverse("community:detail", args=[mine.pk])).status_code == 200
    # The county admin reaches both.
    cc = _client(county["county_admin"])
    assert cc.get(reverse("community:detail", args=[theirs.pk])).status_code == 200
    assert cc.get(reverse("county:region", args=[county["west"].pk])).status_code == 200


def test_people_without_a_region_are_refused(world, county):
    for user in (world.admin, world.worker_a, world.resident_a):
        assert _client(user).get(reverse("county:index")).status_code == 403


def test_overseer_sees_personal_data_masked_and_may_only_supervise(world, county):
    case = case_in(world, Status.DISPATCHED)
    case.description = "楼道漏水，请打 13800138000 联系"
    case.reporter_phone = "13800138000"
    case.save(update_fields=["description", "reporter_phone"])
    c = _client(county["county_admin"])
    page = c.get(reverse("community:detail", args=[case.pk])).content.decode()
    assert "13800138000" not in page and "138****8000" in page
    assert world.household_a.number not in page.split("地点")[1].split("</p>")[0]
    assert "提交督办意见" in page and "接收办理" not in page
    # 改派 is made through the 转办 form (workflow.dispatch_kind): it has no URL of its own.
    for kind in ("accept", "comment", "dispatch", "decline"):
        r = c.post(reverse("community:act", args=[case.pk, kind]), {"text": "x", "reason": "x"})
        assert r.status_code in (400, 403), kind
    r = c.post(reverse("community:act", args=[case.pk, "supervise"]), {"text": "请尽快办理"})
    assert r.status_code in (200, 302, 303)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SUPERVISE,
                                    actor=county["county_admin"]).exists()
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED


def test_rollup_drills_down_from_county_to_the_cases(world, county):
    closed = case_in(world, Status.CLOSED)
    case_in(world, Status.SUBMITTED)
    refresh()
    c = _client(county["county_admin"])
    page = c.get(reverse("county:region", args=[county["county"].pk]))
    text = page.content.decode()
    assert "东门镇" in text and "四把镇" in text and "满意率 100.0%" in text
    town_url = reverse("county:region", args=[county["east"].pk])
    assert town_url in text
    town = c.get(town_url + "?start=2000-01-01&end=2100-01-01").content.decode()
    assert "测试社区" in town and "四把社区" not in town
    cases_url = reverse("county:community_cases", args=[world.community.pk])
    assert cases_url in town
    listed = c.get(cases_url + "?show=satisfied&start=2000-01-01&end=2100-01-01")
    assert reverse("community:detail", args=[closed.pk]) in listed.content.decode()
    assert listed.content.decode().count("case-link") == 1


def test_exports_and_bad_input(world, county):
    case_in(world, Status.CLOSED)
    refresh()
    c = _client(county["county_admin"])
    url = reverse("county:region", args=[county["county"].pk])
    csv = c.get(url + "?export=csv")
    assert csv["Content-Type"].startswith("text/csv") and "东门镇" in csv.content.decode()
    assert c.get(url + "?export=xlsx").content[:2] == b"PK"
    assert c.get(url + "?export=pdf").status_code == 400
    assert c.get(url + "?start=2026-13-01").status_code == 400
    cases = reverse("county:community_cases", args=[world.community.pk])
    assert c.get(cases + "?show=nothing").status_code == 400
    assert c.get(cases + "?from=-1").status_code == 400


def test_report_in_hook_feeds_the_column(world, county):
    REPORT_IN_SOURCES.append(lambda ids, start, end: {world.community.pk: (2, 30.0)})
    try:
        c = _client(county["east_admin"])
        text = c.get(reverse("county:region", args=[county["east"].pk])).content.decode()
        assert "平均报到用时（分钟） 15.0" in text
    finally:
        REPORT_IN_SOURCES.pop()


def test_the_whistles_report_in_times_reach_the_county_page(world, county):
    """The whistle registers itself as a source: two report-ins, 0.5 and 4.5 working
    hours after the whistle (Friday 16:00; Friday 16:30 and Monday 11:00) → 150 minutes."""
    from datetime import datetime, timedelta

    from django.utils import timezone

    from community.whistle.services import whistle_blow, whistle_report_in

    friday_4pm = timezone.make_aware(datetime(2026, 11, 27, 16, 0))
    case = case_in(world, Status.DISPATCHED)
    whistle_blow(actor=world.worker_a, case_id=case.pk,
                 departments=[world.department, world.other_department],
                 lead=world.department, note="楼道漏水", now=friday_4pm)
    whistle_report_in(actor=world.handler, case_id=case.pk, note="到了",
                      now=friday_4pm + timedelta(minutes=30))
    whistle_report_in(actor=world.other_handler, case_id=case.pk, note="下午到",
                      now=timezone.make_aware(datetime(2026, 11, 30, 11, 0)))
    c = _client(county["east_admin"])
    url = reverse("county:region", args=[county["east"].pk])
    text = c.get(url + "?start=2026-11-01&end=2026-11-30").content.decode()
    assert "平均报到用时（分钟） 150.0" in text


def test_supervision_list_shows_overdue_cases_of_the_township(world, county):
    from django.utils import timezone

    late = case_in(world, Status.DISPATCHED)
    late.due_at = timezone.now() - timezone.timedelta(days=3)
    late.save(update_fields=["due_at"])
    text = _client(county["east_admin"]).get(
        reverse("county:supervision", args=[county["east"].pk])).content.decode()
    assert reverse("community:detail", args=[late.pk]) in text


def test_patrol_coverage_keeps_month_rows_and_the_pages_pick_a_month(world, county):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from buildings.patrols.models import Visit
    from buildings.patrols.services import visit_record
    from community.county.models import PatrolFigures

    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    visit = visit_record(actor=world.worker_a, household=world.household_a, met="head")
    Visit.objects.filter(pk=visit.pk).update(
        visited_at=timezone.make_aware(datetime.combine(last_month.replace(day=15), time(10))))
    refresh()
    rows = {r.month: r for r in PatrolFigures.objects.filter(community=world.community)}
    assert set(rows) == {last_month, this_month}
    assert (rows[last_month].visited, rows[this_month].visited) == (1, 0)
    pct = round(100 / rows[last_month].households, 1)
    c = _client(county["east_admin"])
    url = reverse("county:region", args=[county["east"].pk])
    assert f"{this_month:%Y-%m} 走访覆盖率 0.0%" in c.get(url).content.decode()
    page = c.get(url + f"?month={last_month:%Y-%m}").content.decode()
    assert f"{last_month:%Y-%m} 走访覆盖率 {pct}%" in page
    assert f'name="month" value="{last_month:%Y-%m}"' in page
    # The county's link down to the township keeps the month; so does the export.
    county_page = _client(county["county_admin"]).get(
        reverse("county:region", args=[county["county"].pk]) + f"?month={last_month:%Y-%m}")
    assert f"month={last_month:%Y-%m}" in county_page.content.decode()
    csv = c.get(url + f"?month={last_month:%Y-%m}&export=csv").content.decode()
    assert f"{last_month:%Y-%m} 走访覆盖率（%）" in csv and f",{pct}" in csv
    for bad, says in (("2026-13", "不是有效的月份"), ("last", "不是有效的月份"),
                      ("2999-01", "不能是还没到的月份")):
        response = c.get(url + f"?month={bad}")
        assert response.status_code == 400, bad
        assert says in response.content.decode(), bad


def test_the_coverage_figure_leads_to_the_communitys_grids_without_a_household(world, county):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from buildings.patrols.models import Visit
    from buildings.patrols.services import visit_record

    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    visit = visit_record(actor=world.worker_a, household=world.household_a, met="head")
    Visit.objects.filter(pk=visit.pk).update(
        visited_at=timezone.make_aware(datetime.combine(last_month.replace(day=15), time(10))))
    refresh()
    c = _client(county["east_admin"])
    town = c.get(reverse("county:region", args=[county["east"].pk])
                 + f"?month={last_month:%Y-%m}").content.decode()
    url = reverse("county:community_coverage", args=[world.community.pk])
    assert f'{url}?month={last_month:%Y-%m}' in town
    page = c.get(f"{url}?month={last_month:%Y-%m}")
    assert page.status_code == 200
    text = page.content.decode()
    assert world.grid_a.name in text and "已走访 1 / " in text
    # Figures only: no flat, no phone of the household visited.
    assert world.household_a.phone not in text and "13800138000" not in text
    assert reverse("patrols:household", args=[world.household_a.pk]) not in text
    assert c.get(f"{url}?month=2999-01").status_code == 400
    # 四把镇's community is not the east admin's; a resident is no overseer.
    other = reverse("county:community_coverage", args=[county["other"].pk])
    assert c.get(other).status_code == 404
    assert _client(county["county_admin"]).get(other).status_code == 200
    assert _client(world.resident_a).get(url).status_code in (403, 404)


def test_the_report_in_figure_leads_to_the_cases_whistled_on(world, county):
    from community.whistle.services import whistle_blow

    whistled = case_in(world, Status.DISPATCHED)
    quiet = case_in(world, Status.DISPATCHED)
    whistle_blow(actor=world.worker_a, case_id=whistled.pk,
                 departments=[world.department, world.other_department],
                 lead=world.department, note="楼道漏水")
    refresh()
    c = _client(county["east_admin"])
    town = c.get(reverse("county:region", args=[county["east"].pk])).content.decode()
    assert 'data-fig="whistled"' in town and "show=whistled" in town
    listed = c.get(reverse("county:community_cases", args=[world.community.pk])
                   + "?show=whistled").content.decode()
    assert reverse("community:detail", args=[whistled.pk]) in listed
    assert reverse("community:detail", args=[quiet.pk]) not in listed
