"""The whistle's selectors: the figures per department, the panel, the choices."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from buildings.tests import factories as f
from community.choices import Status
from community.tests.factories import case_in
from community.whistle.selectors import figures_by_department, panel, whistle_choices
from community.whistle.services import whistle_report_in
from community.whistle.tests.test_services import FRIDAY_4PM, _blow

S = Status
pytestmark = pytest.mark.django_db


def test_statistics_per_department(world):
    from community.statistics import figures, rows_for_export

    case = case_in(world, S.DISPATCHED)
    _blow(world, case, now=FRIDAY_4PM)
    whistle_report_in(actor=world.handler, case_id=case.pk, note="到",
                      now=FRIDAY_4PM + timedelta(hours=1))
    whistle_report_in(actor=world.other_handler, case_id=case.pk, note="到",
                      now=timezone.make_aware(datetime(2026, 11, 30, 14, 30)))
    f_ = figures(community_ids=[world.community.pk], start=FRIDAY_4PM.date(),
                 end=FRIDAY_4PM.date() + timedelta(days=30))
    rows = {w["name"]: w for w in f_.whistles}
    assert rows["物业"] == {"name": "物业", "received": 1, "on_time": 1, "late": 0,
                          "median_hours": 1.0}
    assert rows["供水公司"] == {"name": "供水公司", "received": 1, "on_time": 0, "late": 1,
                            "median_hours": 5.5}
    assert ["物业", 1, 1, 0, 1.0] in rows_for_export(f_)
    other = figures(community_ids=[f.CommunityFactory(name="别的社区").pk], start=FRIDAY_4PM.date(),
                    end=FRIDAY_4PM.date() + timedelta(days=30))
    assert other.whistles == []


def test_the_departments_to_summon_are_the_cases_communitys(world):
    f.DepartmentFactory(community=f.CommunityFactory(name="别的社区"), name="外社区物业")
    case = case_in(world, S.TRIAGED)
    assert whistle_choices(case) == [world.other_department, world.department]


def test_the_residents_panel_names_the_departments_and_nothing_more(world):
    case = case_in(world, S.DISPATCHED)
    assert panel(case, staff=True) is None
    _blow(world, case, now=FRIDAY_4PM)
    whistle_report_in(actor=world.handler, case_id=case.pk, note="已到现场",
                      now=FRIDAY_4PM + timedelta(hours=1))
    assert panel(case, staff=False) == {"names": ["物业", "供水公司"], "lead": "物业"}
    staff = panel(case, staff=True)
    assert [row.note for row in staff["rows"]] == ["已到现场", ""]
    assert panel(case_in(world, S.DISPATCHED), staff=True) is None  # another case's whistle


def test_the_figures_keep_to_the_communities_asked_for(world):
    case = case_in(world, S.DISPATCHED)
    _blow(world, case, now=FRIDAY_4PM)
    period = {"start": FRIDAY_4PM - timedelta(days=1), "end": FRIDAY_4PM + timedelta(days=1)}
    ours = figures_by_department(community_ids=[world.community.pk], **period)
    assert sorted(row["name"] for row in ours) == ["供水公司", "物业"]
    other = f.CommunityFactory(name="别的社区")
    assert figures_by_department(community_ids=[other.pk], **period) == []
