"""Reading the relocation office's register spreadsheet into a checked plan.

The office keeps its list of relocated families in Excel: one row per flat,
with columns such as 楼栋, 单元, 楼层, 门牌号, 户主姓名, 联系电话, 人口数,
搬迁前村屯, 备注. This module turns such a file (xlsx, or csv saved from Excel)
into an :class:`ImportPlan`: which flats are new, which are already in the
register unchanged, which units must be created, and every row that cannot be
taken with its row number (as Excel shows it) and the reasons, in plain
Chinese with English after it. Nothing here writes: ``build_plan`` is a pure
function of the file's rows and a snapshot of the register;
``buildings.services.register_import`` applies a plan, all or nothing.

The rules:

* **Columns** are found by their header, in the first ten rows (a title row
  above the header is fine). Chinese headers and common variants are accepted
  (楼栋/楼号/栋号/幢, 单元/单元号, 门牌号/房号/户号/室, 户主姓名/户主/姓名,
  联系电话/电话/手机号, 人口数/家庭人口/人数, 搬迁前村屯/原村屯/迁出地, 备注),
  and the English field names. 楼栋, 单元, 门牌号 and 户主姓名 are required
  columns; the others may be missing.
* **Buildings must already be in the register** (staff create them in the
  admin, with their grid): a row naming an unknown building is rejected.
  A building is named by its number ("3", "3栋", "3号楼", "3幢") or its name.
* **Units may be created** for a building that exists, if the unit number is
  between 1 and ``MAX_UNITS_PER_BUILDING``; a larger one is rejected as a typo.
* **楼层** may be left empty when the flat number says it (501 → 5, 1203 → 12);
  it must lie between -3 and the building's number of floors, and not be 0.
* **人口数** is empty (taken as 1) or a whole number from 1 to ``MAX_MEMBERS``.
* **联系电话** is empty or a mainland mobile number (``portal.phones``); it is
  stored as +86….
* **The same flat twice in the file** rejects the later row, naming the earlier.
* **A flat already in the register**: if every detail is the same, the row is
  counted as unchanged and skipped (so the office can send the whole list again
  with new families added); if any detail differs, it is rejected as a
  duplicate: corrections to existing flats are made in the admin, where they
  are seen, not silently by a re-import.
* **纬度/经度** (optional columns) are the building's coordinates (WGS-84, as
  a phone's map shows them), both or neither: a building without coordinates
  gets them; the same ones again change nothing; different ones from the
  register's, or from an earlier row for the same building, reject the row
  (corrections are made in the admin, as for flats).
* **A whole-file problem** (not xlsx/csv, an old .xls, an unknown text
  encoding, no header, no data, too many rows) raises :class:`ImportFileError`.
  CSV may be UTF-8 with or without BOM, GB18030 (what Chinese Excel writes),
  or UTF-16 ("Unicode text", tab-separated).

A plan is applied only if no row was rejected: the office fixes the sheet and
uploads it again, so the register never holds half an import.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from portal.errors import Refused
from portal.phones import normalize_phone

from .access import may, scope_of
from .models import Building, Household, Unit

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNITS_PER_BUILDING = 20
MAX_MEMBERS = 30
LOWEST_FLOOR = -3
HEADER_SCAN_ROWS = 10

# field → accepted headers (compared after normalising: no spaces, no "*",
# no "(必填)", lower case). The first one is what the template file uses.
COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("楼栋", "楼栋号", "楼号", "栋", "栋号", "幢", "幢号", "楼幢", "楼幢号", "楼宇",
                 "building"),
    "unit": ("单元", "单元号", "unit"),
    "floor": ("楼层", "层", "层数", "所在楼层", "floor"),
    "number": ("门牌号", "门牌", "房号", "房间号", "户号", "室", "房屋号", "flat", "room",
               "number"),
    "head_name": ("户主姓名", "户主", "姓名", "户主名", "head_name", "head"),
    "phone": ("联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "电话号码", "phone"),
    "members": ("人口数", "人口", "家庭人口", "家庭人口数", "户人口数", "人数", "members"),
    "origin_village": ("搬迁前村屯", "原村屯", "搬迁前住址", "原住址", "迁出地", "原居住地",
                       "村屯", "origin_village", "origin"),
    "note": ("备注", "说明", "note"),
    "latitude": ("纬度", "楼栋纬度", "latitude", "lat"),
    "longitude": ("经度", "楼栋经度", "longitude", "lng", "lon", "long"),
}
REQUIRED_COLUMNS = ("building", "unit", "number", "head_name")
MAX_LENGTHS = {"head_name": 40, "origin_village": 60, "note": 200}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_HEADER_NOISE = re.compile(r"[\s*＊:：]|[（(]\s*(必填|选填|可选)\s*[)）]")
_BUILDING = re.compile(r"^(\d{1,4})\s*(栋|号楼|号栋|幢|号|楼|#)?$")
_UNIT = re.compile(r"^(\d{1,3})\s*(单元|号)?$")
_FLOOR = re.compile(r"^(-?\d{1,3})\s*(层|楼|f|F)?$")
_NUMBER = re.compile(r"^[0-9A-Za-z\-]{1,10}$")
_MEMBERS = re.compile(r"^(\d{1,3})\s*(人|口)?$")


class ImportFileError(Refused):
    """The file as a whole cannot be read; the message is for the person who sent it."""


# --- Reading the file ---------------------------------------------------------


@dataclass
class SourceRow:
    """One data row of the sheet: its row number as Excel shows it, and its cells."""

    row: int
    cells: dict[str, str]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel stores 501 and 13812345678 as floats.
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    # NFKC turns full-width digits and spaces (１２３, "　") into plain ones.
    return unicodedata.normalize("NFKC", str(value)).strip()


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    import openpyxl  # noqa: PLC0415 (lazy: heavy (~1 s), only for a spreadsheet)

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(
            _("无法打开这个 Excel 文件，它可能已损坏。请在 Excel 中重新保存为 .xlsx 后再上传。")
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_cell_text(v) for v in values]))
            if number > MAX_ROWS + HEADER_SCAN_ROWS + 1:
                break
        return rows
    except Exception as exc:
        raise ImportFileError(
            _("读取 Excel 文件时出错，请在 Excel 中重新保存为 .xlsx 后再上传。")
        ) from exc
    finally:
        workbook.close()


def _decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        # GB18030 decodes almost any bytes, so UTF-8 (strict) must be tried first.
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportFileError(
        _("无法识别这个 CSV 文件的编码。请在 Excel 中“另存为”“CSV UTF-8”或 .xlsx 后再上传。")
    )


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows = []
        for number, values in enumerate(reader, start=1):
            rows.append((number, [_cell_text(v) for v in values]))
            if number > MAX_ROWS + HEADER_SCAN_ROWS + 1:
                break
        return rows
    except csv.Error as exc:
        raise ImportFileError(
            _("CSV 文件格式有误：%(error)s。") % {"error": exc}
        ) from exc


def read_table(data: bytes, file_name: str) -> list[tuple[int, list[str]]]:
    """Every row of the file's first sheet as text cells, with its row number (from 1)."""
    name = (file_name or "").lower()
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            _("文件太大（超过 %(mb)d MB）。")
            % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if not data:
        raise ImportFileError(_("文件是空的。"))
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        raise ImportFileError(
            _("这是旧版 Excel（.xls）文件。请在 Excel 中“另存为” .xlsx 或 CSV 后再上传。")
        )
    if name.endswith((".xlsx", ".xlsm")):
        if not data.startswith(_ZIP_MAGIC) or not zipfile.is_zipfile(io.BytesIO(data)):
            raise ImportFileError(
                _("这个文件不是有效的 .xlsx 文件。")
            )
        return _read_xlsx(data)
    if name.endswith((".csv", ".txt")):
        if data.startswith(_ZIP_MAGIC):
            raise ImportFileError(
                _("这个文件不是 CSV 文本文件。")
            )
        return _read_csv(data)
    raise ImportFileError(
        _("请上传 .xlsx 或 .csv 文件。")
    )


def _header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", text).lower()


_ALIASES = {_header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def _columns_of(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _ALIASES.get(_header_key(cell))
        if name and name not in found:
            found[name] = index
    return found


def column_label(name: str) -> str:
    return COLUMNS[name][0]


def source_rows(table: list[tuple[int, list[str]]]) -> list[SourceRow]:
    """Find the header among the first rows, then give each data row its named cells."""
    best: dict[str, int] = {}
    header_at = None
    for position, (_number, cells) in enumerate(table[:HEADER_SCAN_ROWS]):
        columns = _columns_of(cells)
        if all(name in columns for name in REQUIRED_COLUMNS):
            header_at, best = position, columns
            break
        if len(columns) > len(best):
            best = columns
    if header_at is None:
        missing = "、".join(column_label(n) for n in REQUIRED_COLUMNS if n not in best)
        raise ImportFileError(
            _("找不到表头：前 %(n)d 行中没有找到这几列：%(missing)s。请使用模板文件的列名。")
            % {"n": HEADER_SCAN_ROWS, "missing": missing}
        )
    rows = []
    for number, cells in table[header_at + 1:]:
        if not any(cells):
            continue  # blank lines between blocks of the sheet
        named = {
            name: (cells[index] if index < len(cells) else "") for name, index in best.items()
        }
        rows.append(SourceRow(row=number, cells=named))
    if not rows:
        raise ImportFileError(_("文件中没有数据行。"))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            _("一次最多导入 %(max)d 行，请把文件分成几份。")
            % {"max": MAX_ROWS}
        )
    return rows


def parse_file(data: bytes, file_name: str) -> list[SourceRow]:
    """The file's data rows with named cells, or ImportFileError."""
    return source_rows(read_table(data, file_name))


# --- The register as the plan sees it ----------------------------------------


@dataclass
class RegisterSnapshot:
    """What the plan checks against: one community's buildings, units and flats."""

    community_id: int
    building_by_key: dict[str, int]
    """"3" and "3栋" (its number and its name) → building id."""
    floors: dict[int, int]
    labels: dict[int, str]
    units: dict[tuple[int, int], int]
    """(building id, unit number) → unit id."""
    households: dict[tuple[int, int, str], tuple]
    """(building id, unit number, flat number) → (floor, head, phone, members, village, note)."""
    coordinates: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Building id → (latitude, longitude) as six-decimal strings, for those that have them."""


def register_snapshot(community) -> RegisterSnapshot:
    """Read the register of ``community`` (four queries, whatever its size)."""

    building_by_key: dict[str, int] = {}
    floors: dict[int, int] = {}
    labels: dict[int, str] = {}
    coordinates: dict[int, tuple[str, str]] = {}
    for pk, number, name, floor_count, lat, lon in Building.objects.filter(
        community=community
    ).values_list("pk", "number", "name", "floors", "latitude", "longitude"):
        if lat is not None and lon is not None:
            coordinates[pk] = (f"{lat:.6f}", f"{lon:.6f}")
        building_by_key[str(number)] = pk
        if name:
            building_by_key.setdefault(unicodedata.normalize("NFKC", name).strip(), pk)
        floors[pk] = floor_count
        labels[pk] = name or f"{number}栋"
    units = {
        (b, n): pk
        for pk, b, n in Unit.objects.filter(building__community=community).values_list(
            "pk", "building_id", "number"
        )
    }
    households = {
        (b, u, number): (floor, head, phone, members, village, note)
        for b, u, number, floor, head, phone, members, village, note in Household.objects.filter(
            unit__building__community=community
        ).values_list(
            "unit__building_id", "unit__number", "number", "floor", "head_name", "phone",
            "members", "origin_village", "note",
        )
    }
    return RegisterSnapshot(
        community_id=community.pk,
        building_by_key=building_by_key,
        floors=floors,
        labels=labels,
        units=units,
        households=households,
        coordinates=coordinates,
    )


# --- The plan -----------------------------------------------------------------


@dataclass
class NewHousehold:
    row: int
    building_id: int
    unit_number: int
    floor: int
    number: str
    head_name: str
    phone: str
    members: int
    origin_village: str
    note: str

    def details(self) -> tuple:
        return (self.floor, self.head_name, self.phone, self.members, self.origin_village,
                self.note)


@dataclass
class Rejection:
    row: int
    reasons: list[str]
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)


@dataclass
class ImportPlan:
    """What an import would do. JSON round-trips through ``to_json``/``from_json``."""

    community_id: int
    file_name: str
    file_sha256: str
    source: list[SourceRow]
    new: list[NewHousehold] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    """Row numbers of flats already in the register with the same details."""
    units: list[tuple[int, int]] = field(default_factory=list)
    """(building id, unit number) of units to create."""
    rejected: list[Rejection] = field(default_factory=list)
    coordinates: list[tuple[int, str, str]] = field(default_factory=list)
    """(building id, latitude, longitude) of buildings that get coordinates."""

    @property
    def ok(self) -> bool:
        """May be applied: nothing rejected, something to write."""
        return not self.rejected and bool(self.new or self.units or self.coordinates)

    @property
    def fingerprint(self) -> str:
        """Equal for two plans that would write the same rows and reject the same ones."""
        outcome = {
            "community": self.community_id,
            "new": [asdict(h) for h in self.new],
            "units": [list(u) for u in self.units],
            "unchanged": self.unchanged,
            "rejected": [r.row for r in self.rejected],
            "coordinates": [list(c) for c in self.coordinates],
        }
        return hashlib.sha256(
            json.dumps(outcome, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()

    def to_json(self) -> dict:
        return {
            "community_id": self.community_id,
            "file_name": self.file_name,
            "file_sha256": self.file_sha256,
            "source": [[r.row, r.cells] for r in self.source],
            "new": [asdict(h) for h in self.new],
            "unchanged": self.unchanged,
            "units": [list(u) for u in self.units],
            "rejected": [asdict(r) for r in self.rejected],
            "coordinates": [list(c) for c in self.coordinates],
        }

    @classmethod
    def from_json(cls, data: dict) -> ImportPlan:
        return cls(
            community_id=data["community_id"],
            file_name=data["file_name"],
            file_sha256=data["file_sha256"],
            source=[SourceRow(row=row, cells=cells) for row, cells in data["source"]],
            new=[NewHousehold(**h) for h in data["new"]],
            unchanged=list(data["unchanged"]),
            units=[tuple(u) for u in data["units"]],
            rejected=[Rejection(**r) for r in data["rejected"]],
            coordinates=[tuple(c) for c in data.get("coordinates", [])],
        )


def _building_id(value: str, snapshot: RegisterSnapshot) -> int | None:
    if value in snapshot.building_by_key:
        return snapshot.building_by_key[value]
    match = _BUILDING.match(value)
    if match:
        return snapshot.building_by_key.get(str(int(match.group(1))))
    return None


def _check_row(source: SourceRow, snapshot: RegisterSnapshot) -> tuple[NewHousehold | None,
                                                                       list[str]]:
    """One row → the flat it describes, or the reasons it cannot be taken."""
    cells = source.cells
    reasons: list[str] = []

    def cell(name: str) -> str:
        return cells.get(name, "").strip()

    for name in REQUIRED_COLUMNS:
        if not cell(name):
            reasons.append(
                _("“%(column)s”为空。 %(column)s is empty.") % {"column": column_label(name)}
            )

    building_id = None
    if cell("building"):
        building_id = _building_id(cell("building"), snapshot)
        if building_id is None:
            reasons.append(
                _("登记册中没有“%(value)s”这栋楼，请先在后台添加楼栋。")
                % {"value": cell("building")}
            )

    unit_number = None
    if cell("unit"):
        match = _UNIT.match(cell("unit"))
        if not match:
            reasons.append(
                _("单元“%(value)s”不是数字。 Unit “%(value)s” is not a number.")
                % {"value": cell("unit")}
            )
        else:
            unit_number = int(match.group(1))
            exists = building_id is not None and (building_id, unit_number) in snapshot.units
            if not exists and not 1 <= unit_number <= MAX_UNITS_PER_BUILDING:
                reasons.append(
                    _("单元号 %(value)d 不合理（应为 1–%(max)d）。")
                    % {"value": unit_number, "max": MAX_UNITS_PER_BUILDING}
                )
                unit_number = None

    number = cell("number").removesuffix("室").removesuffix("号").removesuffix("房").strip()
    if cell("number") and not _NUMBER.match(number):
        reasons.append(
            _("门牌号“%(value)s”格式不对（应为如 501 的数字或字母，最多10位）。")
            % {"value": cell("number")}
        )
        number = ""

    floor = None
    if cell("floor"):
        match = _FLOOR.match(cell("floor"))
        if match:
            floor = int(match.group(1))
        else:
            reasons.append(
                _("楼层“%(value)s”不是数字。 Floor “%(value)s” is not a number.")
                % {"value": cell("floor")}
            )
    elif number.isascii() and number.isdigit() and len(number) >= 3:  # "²" is a digit too
        floor = int(number[:-2])
    elif number:
        reasons.append(
            _("缺少楼层，且无法从门牌号看出。")
        )
    if floor is not None and building_id is not None:
        top = snapshot.floors[building_id]
        if floor == 0 or not LOWEST_FLOOR <= floor <= top:
            reasons.append(
                _("楼层 %(floor)d 不合理（%(building)s 共 %(top)d 层）。")
                % {"floor": floor, "building": snapshot.labels[building_id], "top": top}
            )

    phone = ""
    if cell("phone"):
        try:
            phone = normalize_phone(cell("phone"))
        except ValidationError:
            reasons.append(
                _("联系电话“%(value)s”不是有效的手机号码（应为11位，如 13812345678）。")
                % {"value": cell("phone")}
            )

    members = 1
    if cell("members"):
        match = _MEMBERS.match(cell("members"))
        if not match or not 1 <= int(match.group(1)) <= MAX_MEMBERS:
            reasons.append(
                _("人口数“%(value)s”不对（应为 1–%(max)d 的整数）。")
                % {"value": cell("members"), "max": MAX_MEMBERS}
            )
        else:
            members = int(match.group(1))

    reasons += _coordinates(cell("latitude"), cell("longitude"))[1]

    for name, limit in MAX_LENGTHS.items():
        if len(cell(name)) > limit:
            reasons.append(
                _("“%(column)s”太长（最多 %(max)d 个字）。")
                % {"column": column_label(name), "max": limit}
            )

    if reasons:
        return None, reasons
    return NewHousehold(
        row=source.row,
        building_id=building_id,
        unit_number=unit_number,
        floor=floor,
        number=number,
        head_name=cell("head_name"),
        phone=phone,
        members=members,
        origin_village=cell("origin_village"),
        note=cell("note"),
    ), []


def _coordinates(lat: str, lon: str) -> tuple[tuple[str, str] | None, list[str]]:
    """The 纬度/经度 cells → six-decimal strings, or the reason they cannot be taken."""
    if not lat and not lon:
        return None, []
    if not lat or not lon:
        return None, [_("纬度和经度要一起填。")]
    values = []
    for text, limit in ((lat, 90), (lon, 180)):
        try:
            number = Decimal(text.removesuffix("°").strip())
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) > limit:
            return None, [_("坐标“%(lat)s, %(lon)s”不对（应为如 24.779000, 108.902000 的度数）。")
                          % {"lat": lat, "lon": lon}]
        values.append(f"{number.quantize(Decimal('0.000001')):.6f}")
    return (values[0], values[1]), []


def build_plan(source: list[SourceRow], snapshot: RegisterSnapshot, *, file_name: str = "",
               file_sha256: str = "") -> ImportPlan:
    """Check every row against the register; never writes. Pure: same input, same plan."""
    plan = ImportPlan(community_id=snapshot.community_id, file_name=file_name,
                      file_sha256=file_sha256, source=source)
    seen: dict[tuple[int, int, str], int] = {}
    new_units: dict[tuple[int, int], None] = {}
    new_coordinates: dict[int, tuple[tuple[str, str], int]] = {}
    for row in source:
        household, reasons = _check_row(row, snapshot)
        point = _coordinates(row.cells.get("latitude", "").strip(),
                             row.cells.get("longitude", "").strip())[0]
        if household is not None and point is not None:
            building_id = household.building_id
            label = snapshot.labels[building_id]
            known = snapshot.coordinates.get(building_id)
            earlier = new_coordinates.get(building_id)
            if known is not None and known != point:
                reasons = [_("登记册中%(building)s的坐标已是 %(lat)s, %(lon)s，与此行不同；"
                             "如需更正请在后台修改。")
                           % {"building": label, "lat": known[0], "lon": known[1]}]
                household = None
            elif earlier is not None and earlier[0] != point:
                reasons = [_("%(building)s的坐标与第 %(row)d 行不同。")
                           % {"building": label, "row": earlier[1]}]
                household = None
            elif known is None and earlier is None:
                new_coordinates[building_id] = (point, row.row)
        if household is not None:
            key = (household.building_id, household.unit_number, household.number)
            address = (f"{snapshot.labels[household.building_id]} "
                       f"{household.unit_number}单元 {household.number}")
            if key in seen:
                reasons = [
                    _("与第 %(row)d 行是同一户（%(address)s）。")
                    % {"row": seen[key], "address": address}
                ]
            elif key in snapshot.households:
                if snapshot.households[key] == household.details():
                    seen[key] = row.row
                    plan.unchanged.append(row.row)
                    continue
                existing = snapshot.households[key]
                reasons = [
                    _("登记册中已有这一户（%(address)s，户主 %(name)s），且信息不同；如需更正请在后台修改。")
                    % {"address": address, "name": existing[1] or "—"}
                ]
            else:
                seen[key] = row.row
                if (household.building_id, household.unit_number) not in snapshot.units:
                    new_units[(household.building_id, household.unit_number)] = None
                plan.new.append(household)
                continue
        plan.rejected.append(Rejection(row=row.row, reasons=reasons, cells=row.cells))
    plan.units = list(new_units)
    plan.coordinates = [(b, point[0], point[1]) for b, (point, _row) in new_coordinates.items()]
    return plan


def plan_import(data: bytes, file_name: str, community) -> ImportPlan:
    """Read ``data`` and check it against ``community``'s register (ImportFileError if unreadable)."""
    source = parse_file(data, file_name)
    return build_plan(source, register_snapshot(community), file_name=file_name[:200],
                      file_sha256=hashlib.sha256(data).hexdigest())


# --- The template file --------------------------------------------------------

TEMPLATE_EXAMPLE = ["3", "2", "5", "501", "罗秀英", "13812345678", "4", "四把镇", ""]
TEMPLATE_COLUMNS = ("building", "unit", "floor", "number", "head_name", "phone", "members",
                    "origin_village", "note")


def template_workbook() -> bytes:
    """An .xlsx with the expected columns, one example row and a sheet of instructions."""
    import openpyxl  # noqa: PLC0415 (lazy: heavy (~1 s), only for a spreadsheet)
    from openpyxl.styles import Font  # noqa: PLC0415 (lazy: heavy (~1 s), only for a spreadsheet)

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "住户登记"
    sheet.append([column_label(n) for n in TEMPLATE_COLUMNS])
    sheet.append(TEMPLATE_EXAMPLE)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in ("A", "B", "C", "D", "G"):
        sheet.column_dimensions[column].width = 8
    for column in ("E", "H"):
        sheet.column_dimensions[column].width = 14
    sheet.column_dimensions["F"].width = 16
    sheet.column_dimensions["I"].width = 24
    # Text format, so Excel keeps 0-leading flat numbers and long phone numbers as typed.
    for column in ("D", "F"):
        for row in range(2, 5002):
            sheet[f"{column}{row}"].number_format = "@"
    notes = workbook.create_sheet("填写说明")
    for line in (
        "每行一户。楼栋、单元、门牌号、户主姓名必填。",
        "楼栋须已在登记册中（在后台先添加楼栋）；单元不存在时会自动新建（1–20）。",
        "楼层可留空，会按门牌号推算（501 → 5层）。",
        "联系电话为11位手机号；人口数为 1–30 的整数，留空按 1 计。",
        "有任何一行不合格时整份文件都不导入；请按预览中列出的行号改正后重新上传。",
        _("可另加“纬度”“经度”两列：楼栋的坐标（如 24.779000、108.902000），"
          "用于把热线报来的位置对到楼栋；同一栋楼填一次即可。"),
        "One flat per row. 楼栋, 单元, 门牌号 and 户主姓名 are required.",
        "If any row is rejected, nothing is imported: fix the listed rows and upload again.",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def may_import_into(user, community) -> bool:
    """Community admins import into their own community; superusers into any."""

    if not may(user, "buildings.import_register"):
        return False
    scope = scope_of(user)
    return scope.is_superuser or community.pk in scope.admin_community_ids


_ADDRESS = re.compile(
    r"^(\d{1,4})\s*(?:栋|号楼|幢|#|[-－—]|\s)\s*(\d{1,3})\s*(?:单元|[-－—]|\s)\s*"
    r"([0-9A-Za-z]{1,10})\s*(?:室|号)?$"
)


def parse_address(text: str) -> tuple[int, int, str] | None:
    """"3栋 2单元 501", "3栋2单元501" or "3-2-501" → (3, 2, "501"); anything else → None."""
    match = _ADDRESS.match(unicodedata.normalize("NFKC", text or "").strip())
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3)
