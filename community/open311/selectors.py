"""Reads of the Open311 interface: services, and cases as GeoReport service requests."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from buildings.models import Building, Community, Grid, PublicPlace, Unit
from community.choices import OPEN_STATES, EventKind, Status
from community.models import Case, CaseEvent, Category
from portal.phones import mask_phones_in_text

from .models import ApiKey, RequestToken

DEFAULT_DAYS = 90
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset of Asia/Shanghai, as GeoReport v2 asks (W3C format)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def services() -> QuerySet[Category]:
    return Category.objects.filter(active=True).order_by("order", "id")


def buildings() -> list[Building]:
    return list(Building.objects.select_related("community").order_by("community_id", "number"))


# --- Where a request is: a point, an address, an id --------------------------------
#
# Platforms give a location as GeoReport v2 does: ``lat``/``long``, an
# ``address_string`` or an ``address_id``. Each is matched to one of the register's
# buildings or public places; what matches nothing still becomes a case, 待定位,
# on the top grid of the community it most likely belongs to.

EARTH_RADIUS_M = 6_371_000
_BUILDING_IN_TEXT = re.compile(r"(\d{1,4})\s*(?:号楼|号栋|栋|幢|#)")
_UNIT_IN_TEXT = re.compile(r"(\d{1,3})\s*单元")
_BARE_PAIR = re.compile(r"^(\d{1,4})\s*[-－—]\s*(\d{1,3})(?:\s*[-－—]\s*\w+)?$")


@dataclass(frozen=True)
class Location:
    """What a request's location matched: a building (and unit) or a place; or,
    unmatched, the community whose top grid gets the case."""

    community: Community | None
    building: Building | None = None
    unit: Unit | None = None
    place: PublicPlace | None = None

    @property
    def placed(self) -> bool:
        return self.building is not None or self.place is not None


def match_metres() -> float:
    return float(getattr(settings, "OPEN311_MATCH_METRES", 150))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (good to well under a metre at a community's scale)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


COMMUNITY_REACH_M = 20_000
"""How far an unmatched point still tells which community it belongs to."""


def _nearest(lat: float, lon: float, within: float) -> tuple[float, Building | PublicPlace] | None:
    """The nearest building or place within ``within`` metres. A bounding box in the
    query first (a county has thousands of buildings), then haversine in Python."""
    dlat = math.degrees(within / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    box = {"latitude__range": (lat - dlat, lat + dlat),
           "longitude__range": (lon - dlon, lon + dlon)}
    best = None
    for model in (Building, PublicPlace):
        rows = model.objects.filter(**box).select_related("community", "grid")
        for row in rows:
            metres = haversine_m(lat, lon, float(row.latitude), float(row.longitude))
            if best is None or metres < best[0]:
                best = (metres, row)
    return best


def location_near(lat, lon) -> Location:
    """The building or place nearest to the point, if within ``OPEN311_MATCH_METRES``;
    else unplaced, in the community of the nearest one within ``COMMUNITY_REACH_M``."""
    lat, lon = float(lat), float(lon)
    best = _nearest(lat, lon, match_metres())
    if best is None or best[0] > match_metres():
        wider = _nearest(lat, lon, max(COMMUNITY_REACH_M, match_metres()))
        return Location(community=wider[1].community if wider else None)
    metres, row = best
    if isinstance(row, PublicPlace):
        return Location(community=row.community, place=row, building=row.building)
    return Location(community=row.community, building=row)


def location_by_id(value: str) -> Location:
    """``address_id``: a building's id (as our answers give it), or ``p<id>`` for a place."""
    value = unicodedata.normalize("NFKC", value or "").strip().lower()
    model = PublicPlace if value.startswith("p") else Building
    digits = value.removeprefix("p")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        return Location(community=None)
    row = model.objects.select_related("community", "grid").filter(pk=int(digits)).first()
    if row is None:
        return Location(community=None)
    if isinstance(row, PublicPlace):
        return Location(community=row.community, place=row, building=row.building)
    return Location(community=row.community, building=row)


def location_by_address(text: str) -> Location:
    """An address as people write it, through the register's names: "3栋2单元",
    "仫佬家园 3 栋", "3号楼", "３栋", "3-2-501", a building's own name or a public
    place's name. A community's name in it narrows the search to that community;
    a building number that several communities share, with none named, is not a match.
    """
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))[:200]
    if not text:
        return Location(community=None)
    communities = [c for c in Community.objects.order_by("-name") if c.name and c.name in text]
    community = max(communities, key=lambda c: len(c.name)) if communities else None
    if community is not None:
        text = text.replace(community.name, "")
    scope = {"community": community} if community is not None else {}
    places = [p for p in PublicPlace.objects.filter(**scope).select_related(
        "community", "grid", "building", "unit") if p.name and p.name.replace(" ", "") in text]
    if len(places) >= 1:
        place = max(places, key=lambda p: len(p.name))
        if sum(1 for p in places if p.name == place.name) == 1:
            return Location(community=place.community, place=place, building=place.building,
                            unit=place.unit)
    buildings = Building.objects.filter(**scope).select_related("community", "grid")
    number = unit_no = None
    match = _BUILDING_IN_TEXT.search(text)
    pair = _BARE_PAIR.match(text)
    if match:
        number = int(match.group(1))
        unit_match = _UNIT_IN_TEXT.search(text, match.end())
        unit_no = int(unit_match.group(1)) if unit_match else None
    elif pair:
        number, unit_no = int(pair.group(1)), int(pair.group(2))
    elif text.isdigit() and len(text) <= 4:
        number = int(text)
    candidates = []
    if number is not None:
        candidates = list(buildings.filter(number=number))
    if not candidates:
        named = [b for b in buildings if b.name and b.name.replace(" ", "") in text]
        if named:
            longest = max(len(b.name) for b in named)
            candidates = [b for b in named if len(b.name) == longest]
    if len(candidates) != 1:
        return Location(community=community)
    building = candidates[0]
    unit = Unit.objects.filter(building=building, number=unit_no).first() if unit_no else None
    return Location(community=building.community, building=building, unit=unit)


def top_grid(community: Community | None) -> Grid | None:
    """Where an unplaced case goes: the community's top grid (the one without a parent),
    so its grid worker sees it. Without a community: this site's own (``COMMUNITY_NAME``),
    else the first one."""
    if community is None:
        name = settings.JIAYUAN.get("COMMUNITY_NAME", "")
        community = (Community.objects.filter(name=name).first()
                     or Community.objects.order_by("pk").first())
    if community is None:
        return None
    return Grid.objects.filter(community=community, depth=1).order_by("path").first()


def service_as_dict(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.hint or category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": category.hint.replace("、", ",") if category.hint else "",
        "group": "诉求",
    }


def service_definition(category: Category) -> dict:
    """The extra questions: which building (required), which unit, the platform's ticket."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": "building",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "楼栋。 The building, one of the values.",
                "order": 1,
                "description": "问题在哪一栋楼？ Which building?",
                "values": [{"key": str(b.pk), "name": f"{b.community.name} {b.label}"}
                           for b in buildings()],
            },
            {
                "variable": True,
                "code": "unit",
                "datatype": "number",
                "required": False,
                "datatype_description": "单元号，例如 2。 The stairwell entrance number.",
                "order": 2,
                "description": "哪个单元？ Which unit?",
            },
            {
                "variable": True,
                "code": "ticket_no",
                "datatype": "string",
                "required": False,
                "datatype_description": "平台工单号；同一工单号只登记一次。 "
                                        "The platform's ticket number; sent twice, stored once.",
                "order": 3,
                "description": "平台工单号 Platform ticket number",
            },
        ],
    }


def visible_cases(key: ApiKey | None) -> QuerySet[Case]:
    """A key's cases; without a key (the specification's public read), the cases of
    public places only: never one inside a household's flat."""
    cases = Case.objects.all()
    if key is None:
        return cases.filter(household__isnull=True)
    if not key.sees_all_cases:
        cases = cases.filter(source_platform=key.platform)
    return cases


def service_requests(*, key: ApiKey | None, ids: list[int] | None = None,
                     service_codes: list[str] | None = None, start: datetime | None = None,
                     end: datetime | None = None, status: str | None = None,
                     updated_after: datetime | None = None,
                     after_id: int | None = None) -> QuerySet[Case]:
    """The cases this key may see, filtered as GeoReport v2 says.

    Without ids or dates the window is the last 90 days (the specification's
    default). ``updated_after`` (our extension; with ``after_id``, the id of the last
    row read, a cursor) lists every case changed since then, oldest change first, so
    a platform can sync incrementally.
    """
    cases = visible_cases(key).select_related(
        "category", "department", "building", "unit__building", "community")
    if ids is not None:
        # The specification: service_request_id overrides every other filter.
        cases = cases.filter(pk__in=ids).order_by("-created_at", "-id")
        service_codes, start, end, status, updated_after = None, None, None, None, None
        after_id = None
    if service_codes:
        cases = cases.filter(category__code__in=service_codes)
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATES)
    elif status == "closed":
        cases = cases.exclude(status__in=OPEN_STATES)
    if updated_after is not None:
        # A cursor, not a page number: a case changed while a platform pages gets a
        # later updated_at and comes again further on; none slips between pages.
        later = Q(updated_at__gt=updated_after)
        if after_id is not None:
            later |= Q(updated_at=updated_after, pk__gt=after_id)
        cases = cases.filter(later).order_by("updated_at", "id")
    elif ids is None:
        if start is None and end is None:
            start = timezone.now() - timedelta(days=DEFAULT_DAYS)
        cases = cases.order_by("-created_at", "-id")
    if start is not None:
        cases = cases.filter(created_at__gte=start)
    if end is not None:
        cases = cases.filter(created_at__lte=end)
    return cases.prefetch_related(Prefetch(
        "events", queryset=CaseEvent.objects.filter(internal=False).order_by("at", "id"),
        to_attr="public_events"))


def status_of(case: Case) -> str:
    return "open" if case.status in OPEN_STATES else "closed"


def status_notes(case: Case) -> str:
    """Where the case is among our seven steps, in words, with the note of the step
    that brought it there (a later comment or 回访 does not hide the result text;
    those are in the updates list)."""
    step = Status(case.status).label
    events = getattr(case, "public_events", None) or []
    moves = [e for e in events if e.to_status == case.status and e.from_status != e.to_status]
    last = moves[-1] if moves else (events[-1] if events else None)
    note = (last.note or "").strip() if last is not None else ""
    if case.status == Status.CLOSED and case.rating:
        step = f"{step}（满意度 {case.rating}/5）"
    return f"{step}：{note}"[:500] if note else str(step)


def agency_of(case: Case) -> str:
    if case.department_id:
        return case.department.name
    return f"{case.community.name}网格员"


def request_as_dict(case: Case, *, extensions: bool = False) -> dict:
    """A case as a GeoReport service request: what every Open311 answer and callback sends.

    Residents' own words (the description, the notes) go out with every phone
    number in them masked: a key that sees all cases is still not the resident's
    phone book.
    """
    address = case.unit and str(case.unit) or (case.building.label if case.building_id else "")
    data = {
        "service_request_id": str(case.pk),
        "status": status_of(case),
        "status_notes": mask_phones_in_text(status_notes(case)),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": mask_phones_in_text(case.description),
        "agency_responsible": agency_of(case),
        "service_notice": "",
        "requested_datetime": iso(case.created_at),
        # To the microsecond: a platform passes it back as updated_after.
        "updated_datetime": timezone.localtime(case.updated_at).isoformat(),
        "expected_datetime": iso(case.due_at),
        "address": address,
        "address_id": str(case.building_id or ""),
        "zipcode": "",
        "lat": float(case.latitude) if case.latitude is not None else None,
        "long": float(case.longitude) if case.longitude is not None else None,
        "media_url": "",
    }
    if extensions:
        data["extended_attributes"] = {
            "step": case.status,
            "step_name": str(Status(case.status).label),
            "channel": case.channel,
            "source_platform": case.source_platform,
            "ticket_no": case.external_id,
            "number": case.number,
            "priority": case.priority,
            "closed_datetime": iso(case.closed_at),
            "rating": case.rating,
            "fixed": case.fixed,
        }
    return data


# --- Every public step as a GeoReport update (servicerequestupdates) -------------


def event_status(event: CaseEvent) -> str:
    state = event.to_status or event.from_status or Status.SUBMITTED
    return "open" if state in OPEN_STATES else "closed"


def update_as_dict(event: CaseEvent) -> dict:
    """One public step of a case, as the service-request-updates extension has it.

    ``updated_datetime`` is to the microsecond: with ``update_id`` it is the
    cursor a platform passes back.
    """
    state = event.to_status or event.from_status or Status.SUBMITTED
    label = str(EventKind(event.kind).label) if event.kind in EventKind.values else event.kind
    note = mask_phones_in_text((event.note or "").strip())
    return {
        "update_id": str(event.pk),
        "service_request_id": str(event.case_id),
        "status": event_status(event),
        "external_status_code": state,
        "external_status": str(Status(state).label),
        "update_kind": event.kind,
        "description": f"{label}：{note}"[:2000] if note else label,
        "updated_datetime": timezone.localtime(event.at).isoformat(),
        "media_url": "",
        "first_name": "",
        "last_name": "",
    }


def service_request_updates(*, key: ApiKey, ids: list[int] | None = None,
                            start: datetime | None = None, end: datetime | None = None,
                            after: tuple[datetime, int | None] | None = None) -> QuerySet[CaseEvent]:
    """The public steps of the cases this key may see, oldest first (time, then id).

    ``after`` is a cursor (the time and id of the last update read): only later
    steps come back, so a platform that pages on it never misses one.
    """
    events = CaseEvent.objects.filter(internal=False, case__in=visible_cases(key))
    if ids is not None:
        events = events.filter(case_id__in=ids)
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lte=end)
    if after is not None:
        at, pk = after
        events = events.filter(Q(at__gt=at) | Q(at=at, pk__gt=pk) if pk is not None
                               else Q(at__gt=at))
    return events.order_by("at", "id")


def request_at_event(case: Case, event: CaseEvent) -> dict:
    """The case as a service request as it stood right after ``event``: what the
    callback for that step carries, however late it is sent."""
    data = request_as_dict(case)
    update = update_as_dict(event)
    state = event.to_status or event.from_status or Status.SUBMITTED
    step = str(Status(state).label)
    note = (event.note or "").strip()
    data.update({
        "status": update["status"],
        "status_notes": mask_phones_in_text(f"{step}：{note}"[:500] if note else step),
        "updated_datetime": update["updated_datetime"],
        "update_id": update["update_id"],
        "update": update,
    })
    return data


def platform_request_for(case) -> RequestToken | None:
    """What the platform sent with the case (email, address, photo and its outcome)."""
    return RequestToken.objects.filter(case=case).order_by("pk").first()
