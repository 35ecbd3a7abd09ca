"""The register's services: applying an import plan (``register_import``), all or nothing, re-checked
at confirm, for the community's admins only. Reading the sheet and the plan are in test_importer."""

import pytest
from django.core.exceptions import PermissionDenied

from buildings.importer import ImportPlan, plan_import
from buildings.models import Building, Household, RegisterImport, Unit
from buildings.services import (
    RegisterChanged,
    RegisterError,
    register_import,
    register_import_preview,
    register_import_replan,
)
from buildings.tests import factories as f
from buildings.tests.test_importer import csv_bytes, rejected, xlsx_bytes
from portal.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_apply_writes_units_and_households_and_an_audit_row(world):
    rows = [["1", "2", "3", "301", "罗秀英", "13812345678", "4", "四把镇", ""],
            ["1", "2", "3", "302", "银建国", "", "", "", ""],
            ["2", "1", "2", "201", "吴玉兰", "", "2", "", ""]]
    plan = plan_import(csv_bytes(rows), "a.csv", world.community)
    record = register_import_preview(actor=world.admin, plan=plan)
    assert record.state == RegisterImport.State.PREVIEWED
    assert (record.new_count, record.unit_count, record.rejected_count) == (3, 1, 0)
    applied = register_import(actor=world.admin, plan=ImportPlan.from_json(record.plan),
                              record=record)
    assert applied.state == RegisterImport.State.APPLIED
    assert applied.applied_by == world.admin
    unit = Unit.objects.get(building=world.building_a, number=2)
    assert set(unit.households.values_list("number", flat=True)) == {"301", "302"}
    assert Household.objects.get(unit=unit, number="301").phone == "+8613812345678"
    entry = AuditEntry.objects.get(action="register.import")
    assert entry.actor == world.admin
    assert entry.data["households"] == 3 and entry.data["units"] == 1
    with pytest.raises(RegisterError, match="已经完成"):
        register_import(actor=world.admin, plan=ImportPlan.from_json(record.plan),
                        record=applied)
    assert Household.objects.filter(unit=unit).count() == 2


def test_one_bad_row_and_nothing_is_written(world):
    rows = [["1", "2", "3", "301", "罗秀英", "", "", "", ""],
            ["1", "2", "3", "302", "银建国", "12345", "", "", ""]]
    plan = plan_import(csv_bytes(rows), "a.csv", world.community)
    before = (Household.objects.count(), Unit.objects.count())
    with pytest.raises(RegisterError, match="有 1 行未通过检查"):
        register_import(actor=world.admin, plan=plan)
    assert (Household.objects.count(), Unit.objects.count()) == before
    assert not AuditEntry.objects.filter(action="register.import").exists()


def test_confirm_after_the_register_changed_is_refused_then_replanned(world):
    rows = [["1", "2", "3", "301", "罗秀英", "", "", "", ""],
            ["1", "2", "3", "302", "银建国", "", "", "", ""]]
    plan = plan_import(csv_bytes(rows), "a.csv", world.community)
    record = register_import_preview(actor=world.admin, plan=plan)
    # Meanwhile someone adds flat 302 in the admin, with another head.
    unit = Unit.objects.create(building=world.building_a, number=2)
    Household.objects.create(unit=unit, floor=3, number="302", head_name="别人")
    with pytest.raises(RegisterChanged) as caught:
        register_import(actor=world.admin, plan=ImportPlan.from_json(record.plan), record=record)
    assert "登记册有了变化" in str(caught.value)
    assert list(Household.objects.filter(unit=unit).values_list("number", flat=True)) == ["302"]
    record.refresh_from_db()
    assert record.state == RegisterImport.State.PREVIEWED
    fresh = caught.value.plan
    assert rejected(fresh).keys() == {3}
    record = register_import_replan(actor=world.admin, record=record, plan=fresh)
    assert record.rejected_count == 1
    with pytest.raises(RegisterError, match="未通过检查"):
        register_import(actor=world.admin, plan=ImportPlan.from_json(record.plan), record=record)


def test_a_removed_building_is_noticed_at_confirm(world):
    building = f.BuildingFactory(community=world.community, grid=world.grid_a, number=30)
    plan = plan_import(csv_bytes([["30", "1", "1", "101", "罗", "", "", "", ""]]), "a.csv",
                       world.community)
    assert plan.ok
    building.delete()
    with pytest.raises(RegisterChanged):
        register_import(actor=world.admin, plan=plan)
    assert not Building.objects.filter(number=30).exists()


@pytest.mark.parametrize("who", ["resident_a", "head_a", "worker_a", "liaison", "stranger"])
def test_only_community_admins_may_import(world, who):
    plan = plan_import(csv_bytes([["1", "2", "3", "301", "罗", "", "", "", ""]]), "a.csv",
                       world.community)
    with pytest.raises(PermissionDenied):
        register_import_preview(actor=getattr(world, who), plan=plan)
    with pytest.raises(PermissionDenied):
        register_import(actor=getattr(world, who), plan=plan)
    assert not Unit.objects.filter(number=2).exists()


def test_an_admin_of_another_community_may_not_import_here(world):
    other_admin = f.community_admin(f.CommunityFactory(name="别的社区"))
    plan = plan_import(csv_bytes([["1", "2", "3", "301", "罗", "", "", "", ""]]), "a.csv",
                       world.community)
    with pytest.raises(PermissionDenied):
        register_import(actor=other_admin, plan=plan)


def five_thousand_rows(community, grid) -> list[list]:
    Building.objects.bulk_create(
        [Building(community=community, grid=grid, number=n, name=f"{n}栋", floors=13)
         for n in range(101, 151)]
    )
    rows = []
    for building in range(101, 151):
        for unit in range(1, 5):
            for floor in range(1, 14):
                for flat in (1, 2):
                    rows.append([building, unit, floor, f"{floor}0{flat}", "罗秀英",
                                 f"139{len(rows):08d}", 3, "四把镇", ""])
    return rows[:5000]


def test_five_thousand_households_in_one_go(world, django_assert_max_num_queries):
    rows = five_thousand_rows(world.community, world.grid_a)
    data = xlsx_bytes(rows)
    with django_assert_max_num_queries(6):
        plan = plan_import(data, "big.xlsx", world.community)
    assert len(plan.new) == 5000 and plan.rejected == []
    record = register_import_preview(actor=world.admin, plan=plan)
    before = Household.objects.count()
    # Not one per row: SQLite takes ~110 households per INSERT (999 parameters), PostgreSQL 1,000.
    with django_assert_max_num_queries(80):
        register_import(actor=world.admin, plan=ImportPlan.from_json(record.plan), record=record)
    assert Household.objects.count() == before + 5000
    units = {(row[0], row[1]) for row in rows}
    assert Unit.objects.filter(building__number__gte=101).count() == len(units) == 193
