"""Reads of the Open311 interface: services, and cases as GeoReport service requests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from buildings.models import Building
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
                "required": True,
                "datatype_description": "楼栋（必填）。 The building, one of the values.",
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
