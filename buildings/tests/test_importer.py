"""The register import (``buildings.importer``): reading the office's sheet, every rejection,
the plan. Applying a plan, all or nothing, is the services' part (test_services)."""

import io

import openpyxl
import pytest
from django.utils import translation

from buildings import importer
from buildings.importer import ImportFileError, ImportPlan, parse_file, plan_import
from buildings.services import register_import
from buildings.tests import factories as f
from portal.models import AuditEntry

pytestmark = pytest.mark.django_db

HEADER = ["楼栋", "单元", "楼层", "门牌号", "户主姓名", "联系电话", "人口数", "搬迁前村屯", "备注"]


def csv_bytes(rows, *, header=HEADER, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, *, header=HEADER, title=None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rejected(plan: ImportPlan) -> dict[int, str]:
    return {r.row: r.reason for r in plan.rejected}


# --- Reading files --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_the_encodings_chinese_excel_writes(world, encoding):
    data = csv_bytes([["1", "2", "3", "301", "罗秀英", "138 1234 5678", "4", "四把镇", "低保户"]],
                     encoding=encoding)
    plan = plan_import(data, "花名册.csv", world.community)
    assert plan.rejected == []
    [new] = plan.new
    assert (new.building_id, new.unit_number, new.floor, new.number) == (
        world.building_a.pk, 2, 3, "301")
    assert new.head_name == "罗秀英"
    assert new.phone == "+8613812345678"
    assert (new.members, new.origin_village, new.note) == (4, "四把镇", "低保户")
    assert plan.units == [(world.building_a.pk, 2)]


def test_xlsx_with_a_title_row_numeric_cells_and_header_variants(world):
    header = ["楼号", "单元号", "房号", "户主", "手机号码", "家庭人口", "原村屯"]
    data = xlsx_bytes(
        [[1, 1, 201.0, "银建国", 13912345678, 3, "东门镇"],
         ["2栋", "1单元", "302室", "吴玉兰", None, None, None]],
        header=header, title="仫佬家园易地搬迁安置户花名册",
    )
    plan = plan_import(data, "名册.xlsx", world.community)
    assert plan.rejected == []
    first, second = plan.new
    assert first.row == 3 and second.row == 4  # rows as Excel numbers them
    assert (first.number, first.floor, first.phone, first.members) == ("201", 2, "+8613912345678", 3)
    assert (second.building_id, second.number, second.floor, second.members) == (
        world.building_b.pk, "302", 3, 1)
    assert plan.units == []


def test_utf16_tab_separated_unicode_text(world):
    text = "\t".join(HEADER) + "\n" + "\t".join(["1", "1", "2", "202", "韦海燕", "", "", "", ""])
    plan = plan_import(text.encode("utf-16"), "名册.txt", world.community)
    assert [h.number for h in plan.new] == ["202"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4 whatever", "名册.pdf", "请上传 .xlsx 或 .csv 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "名册.xls", "旧版 Excel"),
        (b"not a zip at all", "名册.xlsx", "不是有效的 .xlsx"),
        (b"PK\x03\x04broken zip", "名册.xlsx", "不是有效的 .xlsx"),
        (b"\xff\xfeA\x00B", "名册.csv", "无法识别这个 CSV 文件的编码"),
        (b"\x81\xff\x81\xff,\xfe\xfe", "名册.csv", "无法识别这个 CSV 文件的编码"),
        (b"", "名册.csv", "文件是空的"),
        ("姓名,电话\n罗,138\n".encode(), "名册.csv", "找不到表头"),
        (",".join(HEADER).encode() + b"\n,,,\n", "名册.csv", "没有数据行"),
    ],
)
def test_unreadable_files_say_why(data, name, message):
    with pytest.raises(ImportFileError) as caught:
        parse_file(data, name)
    assert message in str(caught.value)


def test_missing_header_names_the_missing_columns():
    with pytest.raises(ImportFileError) as caught:
        parse_file("楼栋,单元,姓名\n1,1,罗\n".encode(), "a.csv")
    assert "门牌号" in str(caught.value)


def test_the_template_file_reads_back():
    rows = parse_file(importer.template_workbook(), "template.xlsx")
    assert [r.row for r in rows] == [2]
    assert rows[0].cells["head_name"] == "罗秀英"
    assert set(rows[0].cells) == set(importer.TEMPLATE_COLUMNS)


# --- Checking rows --------------------------------------------------------------


def test_every_rejection_reason_with_its_row_number(world):
    rows = [
        ["1", "2", "3", "301", "罗秀英", "13812345678", "4", "四把镇", ""],  # 2: fine
        ["9", "1", "1", "101", "黄金凤", "", "", "", ""],                   # 3: unknown building
        ["1", "2", "3", "301", "罗秀英", "13812345678", "4", "四把镇", ""],  # 4: same as row 2
        ["1", "1", "1", "101", "别人", "", "", "", ""],                     # 5: in the register
        ["1", "1", "2", "201", "莫家强", "1381234", "", "", ""],             # 6: malformed phone
        ["1", "1", "2", "202", "", "", "", "", ""],                         # 7: no head name
        ["1", "二", "2", "203", "蒙德胜", "", "", "", ""],                   # 8: unit not a number
        ["1", "99", "2", "204", "覃春生", "", "", "", ""],                   # 9: unit 99
        ["1", "1", "12", "1201", "卢美玲", "", "", "", ""],                  # 10: floor above top
        ["1", "1", "3", "301", "石志明", "", "多", "", ""],                   # 11: members not a number
        ["1", "1", "3", "302", "廖永福", "", "0", "", ""],                   # 12: members 0
        ["1", "1", "3", "3/02#", "包丽华", "", "", "", ""],                  # 13: bad flat number
        ["", "", "", "", "", "", "", "", ""],                               # 14: blank: skipped
        ["1", "1", "", "B1", "梁桂芳", "", "", "", ""],                       # 15: no floor
        ["1", "1", "楼上", "401", "谢海燕", "", "", "", ""],                  # 16: floor not a number
        ["", "1", "4", "402", "罗建国", "", "", "", ""],                      # 17: no building
        ["1", "1", "4", "403", "罗" * 41, "", "", "", ""],                   # 18: name too long
    ]
    plan = plan_import(csv_bytes(rows), "a.csv", world.community)
    reasons = rejected(plan)
    assert [h.row for h in plan.new] == [2]
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18]
    assert "登记册中没有“9”这栋楼" in reasons[3]
    assert "与第 2 行是同一户" in reasons[4]
    with translation.override("en"):
        english = rejected(plan_import(csv_bytes(rows), "a.csv", world.community))
    assert "Same flat as row 2" in english[4] and "Malformed phone" not in english[4]
    assert "登记册中已有这一户" in reasons[5]
    assert "不是有效的手机号码" in reasons[6]
    assert "“户主姓名”为空" in reasons[7]
    assert "单元“二”不是数字" in reasons[8]
    assert "单元号 99 不合理" in reasons[9]
    assert "楼层 12 不合理" in reasons[10]
    assert "人口数“多”不对" in reasons[11]
    assert "人口数“0”不对" in reasons[12]
    assert "门牌号“3/02#”格式不对" in reasons[13]
    assert "缺少楼层" in reasons[15]
    assert "楼层“楼上”不是数字" in reasons[16]
    assert "“楼栋”为空" in reasons[17]
    assert "“户主姓名”太长" in reasons[18]
    assert not plan.ok


def test_a_row_may_have_several_reasons(world):
    plan = plan_import(csv_bytes([["9", "1", "1", "101", "", "12", "", "", ""]]), "a.csv",
                       world.community)
    [rejection] = plan.rejected
    assert len(rejection.reasons) == 3  # no head name, unknown building, bad phone


def test_a_flat_already_in_the_register_with_the_same_details_is_unchanged(world):
    h = world.household_a
    row = [str(world.building_a.number), "1", str(h.floor), h.number, h.head_name, h.phone,
           str(h.members), h.origin_village, h.note]
    plan = plan_import(csv_bytes([row]), "a.csv", world.community)
    assert plan.rejected == [] and plan.new == []
    assert plan.unchanged == [2]
    assert not plan.ok  # nothing to write


def test_buildings_are_matched_within_the_community_only(world):
    other = f.CommunityFactory(name="别的社区")
    f.BuildingFactory(community=other, number=7)
    plan = plan_import(csv_bytes([["7", "1", "1", "101", "罗", "", "", "", ""]]), "a.csv",
                       world.community)
    assert list(rejected(plan)) == [2]


def test_the_plan_round_trips_through_json(world):
    plan = plan_import(csv_bytes([["1", "2", "3", "301", "罗秀英", "", "", "", ""],
                                  ["9", "1", "1", "101", "罗", "", "", "", ""]]),
                       "a.csv", world.community)
    again = ImportPlan.from_json(plan.to_json())
    assert again.fingerprint == plan.fingerprint
    assert again.rejected[0].reason == plan.rejected[0].reason


# --- Applying: all or nothing ---------------------------------------------------


# --- Size -------------------------------------------------------------------------


# --- Coordinates: optional 纬度/经度 columns give a building its place on the map ------

GEO_HEADER = [*HEADER, "纬度", "经度"]


def test_coordinates_columns_set_a_buildings_point_once(world):
    h = world.household_a
    same_flat = [str(world.building_a.number), "1", str(h.floor), h.number, h.head_name,
                 h.phone, str(h.members), h.origin_village, h.note]
    rows = [[*same_flat, "24.779", "108.902"],  # unchanged flat, the building gets its point
            ["1", "2", "3", "301", "罗秀英", "", "", "", "", "24.779000", "108.902000"],
            ["2", "1", "2", "201", "吴玉兰", "", "", "", "", "", ""]]  # may stay empty
    plan = plan_import(csv_bytes(rows, header=GEO_HEADER), "a.csv", world.community)
    assert plan.rejected == []
    assert plan.coordinates == [(world.building_a.pk, "24.779000", "108.902000")]
    again = ImportPlan.from_json(plan.to_json())
    assert again.fingerprint == plan.fingerprint
    register_import(actor=world.admin, plan=again)
    world.building_a.refresh_from_db()
    world.building_b.refresh_from_db()
    assert (str(world.building_a.latitude), str(world.building_a.longitude)) == (
        "24.779000", "108.902000")
    assert world.building_b.latitude is None
    assert AuditEntry.objects.get(action="register.import").data["coordinates"] == 1
    # The same point again is nothing new; a different one is a correction for the admin.
    plan = plan_import(csv_bytes([[*same_flat, "24.779", "108.902"]], header=GEO_HEADER),
                       "b.csv", world.community)
    assert plan.rejected == [] and plan.coordinates == [] and not plan.ok
    plan = plan_import(csv_bytes([[*same_flat, "24.8", "108.9"]], header=GEO_HEADER),
                       "c.csv", world.community)
    assert "坐标已是 24.779000, 108.902000" in rejected(plan)[2]


def test_bad_coordinates_are_rejected_with_the_row(world):
    rows = [["1", "2", "3", "301", "罗秀英", "", "", "", "", "24.779", ""],
            ["1", "2", "3", "302", "银建国", "", "", "", "", "北纬", "108.9"],
            ["1", "2", "3", "303", "吴玉兰", "", "", "", "", "124.7", "108.9"],
            ["2", "1", "2", "201", "覃", "", "", "", "", "24.1", "108.1"],
            ["2", "1", "2", "202", "韦", "", "", "", "", "24.2", "108.1"]]
    plan = plan_import(csv_bytes(rows, header=GEO_HEADER), "a.csv", world.community)
    reasons = rejected(plan)
    assert "一起填" in reasons[2]
    assert "坐标“北纬, 108.9”不对" in reasons[3]
    assert "124.7" in reasons[4]
    assert "与第 5 行不同" in reasons[6]
    assert 5 not in reasons
