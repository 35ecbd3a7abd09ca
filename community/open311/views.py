"""Open311 GeoReport v2 endpoints, ``/open311/v2/...{.json,.xml}``.

Every call: the format from the suffix, the API key checked (all but
discovery and the service list need one), the per-key (or per-address) rate
limit counted in the cache, and one row in the call log, whatever the answer.
Errors are the specification's list of ``{code, description}`` with the HTTP
status of the same number.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from buildings.models import Building, Unit
from community.models import Category
from community.workflow import WorkflowError
from portal import limits
from portal.clientip import client_ip
from portal.params import BadParameter, parse_datetime, parse_id, parse_ids, parse_int

from . import render, selectors
from .models import KEY_PREFIX_LENGTH, ApiKey, RequestToken
from .services import (
    RequestRejected,
    api_call_log,
    open311_case_submit,
    platform_update_receive,
)

ANONYMOUS_PER_MINUTE = 300
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-26T00:00:00+08:00"


def _over_limit(bucket: str, limit: int) -> bool:
    return not limits.hit(f"open311:{bucket}", limit=limit, window=60)


def endpoint(*, key_required: bool, methods=("GET",)):
    """Wrap a view ``(request, fmt, key, **kwargs) -> (data, root, status)``."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            started = time.monotonic()
            key = None
            case_id = None
            error = ""
            try:
                if request.method not in methods:
                    raise RequestRejected(405, f"Method {request.method} not allowed; "
                                               f"use {', '.join(methods)}.")
                raw = request.headers.get("X-Api-Key", "").strip() \
                    or (request.POST.get("api_key") if request.method == "POST" else None) \
                    or request.GET.get("api_key") or ""
                if raw:
                    key = ApiKey.find(raw)
                    if key is None:
                        raise RequestRejected(403, "api_key 无效或已停用。 Invalid api_key.")
                elif key_required:
                    raise RequestRejected(403, "缺少 api_key。 An api_key is required.")
                if key is not None:
                    if _over_limit(f"k{key.pk}", key.rate_per_minute):
                        raise RequestRejected(429, "调用太频繁，请稍后再试。 Too many requests; "
                                                   "try again in a minute.")
                elif _over_limit(f"ip{client_ip(request)}", ANONYMOUS_PER_MINUTE):
                    raise RequestRejected(429, "调用太频繁。 Too many requests.")
                jurisdiction = request.GET.get("jurisdiction_id") or request.POST.get(
                    "jurisdiction_id")
                if jurisdiction and jurisdiction != jurisdiction_id():
                    raise RequestRejected(404, f"未知的 jurisdiction_id。 Unknown jurisdiction: "
                                               f"{jurisdiction[:60]}")
                data, root, status, headers = view(request, fmt, key, **kwargs)
                response = render.respond(data, fmt, root=root, status=status)
                for name, value in headers.items():
                    response[name] = value
                if root == "service_requests" and request.method == "POST" and data:
                    case_id = int(data[0]["service_request_id"])
            except BadParameter as exc:  # a value the view let through: still the spec's 400
                error = exc.message
                response = render.error(fmt, 400, exc.message)
            except RequestRejected as exc:
                error = exc.description
                response = render.error(fmt, exc.status, exc.description)
                if exc.status == 405:
                    response["Allow"] = ", ".join(methods)
                if exc.status == 429:
                    response["Retry-After"] = "60"  # the limits count per minute
            api_call_log(key=key, method=request.method or "", path=request.path,
                         query=_logged_query(request),
                         status=response.status_code, error=error, ip=client_ip(request),
                         duration_ms=int((time.monotonic() - started) * 1000), case_id=case_id)
            return response

        return wrapper

    return decorator


def _logged_query(request: HttpRequest) -> str:
    """The query string for the call log, with the key cut to its public prefix."""
    query = request.GET.copy()
    if "api_key" in query:
        query["api_key"] = query["api_key"][:KEY_PREFIX_LENGTH] + "***"
    return query.urlencode()


def jurisdiction_id() -> str:
    return settings.JIAYUAN.get("OPEN311_JURISDICTION", "mulaojiayuan.luocheng")


# --- Parameters -----------------------------------------------------------------

LOCAL = ZoneInfo("Asia/Shanghai")


def _datetime(request: HttpRequest, name: str) -> datetime | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    # A "+" in a query string often arrives as a space.
    value = value.replace(" ", "+") if "T" in value else value
    try:
        return parse_datetime(value, name=name, tz=LOCAL)
    except BadParameter:
        raise RequestRejected(400, f"{name} 不是有效的时间（例如 2026-11-26T08:00:00+08:00）。 "
                                   f"{name} is not a W3C datetime.") from None


def _int(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    try:
        return parse_int(request.GET.get(name, "").strip(), name=name, min=low, max=high,
                         default=default)
    except BadParameter:
        raise RequestRejected(400, f"{name} 应为 {low} 到 {high} 的整数。 "
                                   f"{name} must be a whole number from {low} to {high}.") from None


def _decimal(value: str, name: str, limit: int) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > limit:
        raise RequestRejected(400, f"{name} 不是有效的坐标。 {name} is not a valid coordinate.")
    return number.quantize(Decimal("0.000001"))


# --- Endpoints --------------------------------------------------------------------


@endpoint(key_required=False)
def discovery(request, fmt, key):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"}))
    base = base.rsplit("discovery.json", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": f"{settings.JIAYUAN.get('COMMUNITY_NAME', '仫佬家园')} 综治中心",
        "key_service": "向社区管委会申请接口密钥（Wagtail 管理后台：外部平台接口）。 "
                       "Ask the community administration for an API key.",
        "jurisdiction_id": jurisdiction_id(),
        "endpoints": [{
            "specification": SPEC,
            "url": base,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/xml", "application/json"],
        }],
    }
    return data, "discovery", 200, {}


@endpoint(key_required=False)
def services(request, fmt, key):
    return ([selectors.service_as_dict(c) for c in selectors.services()], "services", 200, {})


def _category(code: str) -> Category:
    category = selectors.services().filter(code=code).first()
    if category is None:
        raise RequestRejected(404, f"没有这个服务类别。 Unknown service_code: {code[:40]}")
    return category


@endpoint(key_required=False)
def service_definition(request, fmt, key, code):
    return selectors.service_definition(_category(code)), "service_definition", 200, {}


@endpoint(key_required=False, methods=("GET", "POST"))
def requests_view(request, fmt, key):
    """GET needs no key (the specification: public fields); a key adds the extended
    attributes and its own cases. POST needs one."""
    if request.method == "POST":
        if key is None:
            raise RequestRejected(403, "缺少 api_key。 An api_key is required.")
        return _submit(request, key)
    ids = None
    raw_ids = request.GET.get("service_request_id", "").strip()
    if raw_ids:
        parts = [p.strip() for p in raw_ids.split(",") if p.strip()]
        try:
            ids = parse_ids(parts, name="service_request_id")
        except BadParameter:
            raise RequestRejected(400, "service_request_id 应为逗号分隔的编号。 "
                                       "service_request_id must be comma-separated ids.") from None
    codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
    states = {p.strip().lower() for p in request.GET.get("status", "").split(",") if p.strip()}
    if not states <= {"open", "closed"}:
        raise RequestRejected(400, "status 只能是 open、closed 或 open,closed。 "
                                   "status must be open, closed or both.")
    status = states.pop() if len(states) == 1 else None
    start, end = _datetime(request, "start_date"), _datetime(request, "end_date")
    if start and end and start > end:
        raise RequestRejected(400, "start_date 晚于 end_date。 start_date is after end_date.")
    updated_after = _datetime(request, "updated_after")
    after_id = None
    if updated_after is not None and request.GET.get("after_id", "").strip():
        after_id = _int(request, "after_id", 0, 0, 2**63 - 1)
    page = _int(request, "page", 1, 1, 100000)
    size = _int(request, "page_size", selectors.DEFAULT_PAGE_SIZE, 1, selectors.MAX_PAGE_SIZE)
    cases = selectors.service_requests(key=key, ids=ids, service_codes=codes, start=start,
                                       end=end, status=status, updated_after=updated_after,
                                       after_id=after_id)
    total = cases.count()
    rows = list(cases[(page - 1) * size: page * size])
    extensions = key is not None and request.GET.get("extensions", "").lower() in {"1", "true"}
    headers = {"X-Total-Count": str(total), "X-Page": str(page), "X-Page-Size": str(size)}
    if updated_after is not None and ids is None and page == 1:
        # Incremental sync: the next page is the cursor after the last row, so a case
        # that changes meanwhile moves further on instead of making another slip by.
        if len(rows) == size and total > size:
            headers["Link"] = _next_link(request, rows[-1].updated_at, rows[-1].pk,
                                         at_name="updated_after")
    elif page * size < total:
        query = request.GET.copy()
        query["page"] = str(page + 1)
        query.pop("api_key", None)
        headers["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    if rows:
        headers["X-Last-Updated"] = timezone.localtime(max(c.updated_at for c in rows)).isoformat()
    return ([selectors.request_as_dict(c, extensions=extensions) for c in rows],
            "service_requests", 200, headers)


def _submit(request, key):
    data = request.POST
    _check_lengths(data, REQUEST_FIELD_LIMITS)
    code = data.get("service_code", "").strip()
    if not code:
        raise RequestRejected(400, "缺少 service_code。 service_code is required.")
    category = _category(code)
    lat = _decimal(data.get("lat", ""), "lat", 90)
    lon = _decimal(data.get("long", ""), "long", 180)
    if (lat is None) != (lon is None):
        raise RequestRejected(400, "lat 和 long 要一起给。 Give both lat and long.")
    location = _location(data, lat, lon)
    # Lengths were checked above, from the table the OpenAPI document is made from.
    description = data.get("description", "")
    ticket = (data.get("attribute[ticket_no]", "") or data.get("attribute[ticket]", "")).strip()
    phone = data.get("phone", "").strip()
    fields = _platform_fields(data)
    try:
        case, _token = open311_case_submit(
            key=key, category=category, location=location,
            description=description, first_name=data.get("first_name", "")[:20],
            last_name=data.get("last_name", "")[:20], phone=phone, lat=lat, lon=lon,
            ticket_no=ticket, **fields,
        )
    except (WorkflowError, ValidationError) as exc:
        message = "; ".join(getattr(exc, "messages", None) or [str(exc)])
        raise RequestRejected(400, message) from None
    # The specification: an id *or* a token. The case exists at once, so the id.
    return ([{
        "service_request_id": str(case.pk),
        "service_notice": f"已登记，{selectors.agency_of(case)}处理，办理时限 "
                          f"{selectors.iso(case.due_at) or ''}",
        "account_id": None,
    }], "service_requests", 201, {})


def _location(data, lat, lon) -> selectors.Location:
    """Where the request is: ``attribute[building]`` (and ``attribute[unit]``), else
    ``address_id``, else ``address_string``, else the point. Only a request with none
    of them is refused (the specification); one that matches nothing is 待定位."""
    building_id = data.get("attribute[building]", "").strip()
    address_id = data.get("address_id", "").strip()
    address = data.get("address_string", "").strip()
    if not (building_id or address_id or address or lat is not None):
        raise RequestRejected(400, _("缺少位置：请给出 lat 和 long、address_string、address_id "
                                     "或 attribute[building]。"))
    if building_id:
        try:
            building = Building.objects.select_related("community").filter(
                pk=parse_id(building_id)).first()
        except BadParameter:
            building = None
        if building is None:
            raise RequestRejected(400, "attribute[building] 不是有效的楼栋。 "
                                       "attribute[building] is not one of the values.")
        unit = None
        unit_no = data.get("attribute[unit]", "").strip()
        if unit_no:
            try:
                unit = Unit.objects.filter(building=building,
                                           number=parse_int(unit_no, min=1, max=999)).first()
            except BadParameter:
                unit = None
            if unit is None:
                raise RequestRejected(400, "attribute[unit] 不是这栋楼的单元。 "
                                           "attribute[unit] is not a unit of that building.")
        return selectors.Location(community=building.community, building=building, unit=unit)
    tried = []
    if address_id:
        tried.append(selectors.location_by_id(address_id[:40]))
    if address and not (tried and tried[-1].placed):
        tried.append(selectors.location_by_address(address))
    if lat is not None and not (tried and tried[-1].placed):
        tried.append(selectors.location_near(lat, lon))
    for found in tried:
        if found.placed:
            return found
    # Unplaced: the community the clues point to, first clue first.
    return next((f for f in tried if f.community is not None), tried[-1])


MAX_EMAIL = 254
MAX_ADDRESS = 200
MAX_MEDIA_URL = 300

# The longest value the server accepts in each text field of a POST; the OpenAPI
# description's maxLength is read from here, and a longer value is a 400.
REQUEST_FIELD_LIMITS = {
    "jurisdiction_id": 60, "service_code": 30, "attribute[building]": 18,
    "attribute[unit]": 3, "attribute[ticket_no]": 60, "attribute[ticket]": 60,
    "lat": 40, "long": 40, "address_string": MAX_ADDRESS, "address_id": 100,
    "email": MAX_EMAIL, "device_id": 100, "account_id": 100, "first_name": 20,
    "last_name": 20, "phone": 20, "description": 4000, "media_url": MAX_MEDIA_URL,
}
UPDATE_FIELD_LIMITS = {
    "jurisdiction_id": 60, "service_request_id": 18, "update_id": 64, "status": 40,
    "external_status_code": 40, "description": 2000, "updated_datetime": 40,
    "media_url": MAX_MEDIA_URL, "first_name": 20, "last_name": 20,
    "attribute[rating]": 1, "attribute[fixed]": 5,
}


def _check_lengths(data, limits: dict[str, int]) -> None:
    for name, limit in limits.items():
        if len(data.get(name, "")) > limit:
            raise RequestRejected(400, _("%(f)s 太长（最多 %(n)d 个字符）。")
                                  % {"f": name, "n": limit})


def _platform_fields(data) -> dict[str, str]:
    """``email``, ``media_url`` and ``address_string``, checked, as the record keeps them."""
    email = data.get("email", "").strip()
    if len(email) > MAX_EMAIL:
        raise RequestRejected(400, _("email 太长。"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RequestRejected(400, _("email 不是有效的邮箱地址。")) from None
    media_url = data.get("media_url", "").strip()
    if len(media_url) > MAX_MEDIA_URL:
        raise RequestRejected(400, _("media_url 太长（最多300个字符）。"))
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            raise RequestRejected(400, _("media_url 不是有效的 http(s) 网址。")) from None
    address = data.get("address_string", "").strip()
    if len(address) > MAX_ADDRESS:
        raise RequestRejected(400, _("address_string 太长（最多200字）。"))
    return {"email": email, "media_url": media_url, "address_string": address}


@endpoint(key_required=False)
def request_view(request, fmt, key, rid):
    try:
        case = selectors.service_requests(key=key, ids=[parse_id(rid)]).first()
    except BadParameter:
        case = None
    if case is None:
        raise RequestRejected(404, f"没有这个诉求。 No service request {rid[:30]}.")
    extensions = key is not None and request.GET.get("extensions", "").lower() in {"1", "true"}
    return [selectors.request_as_dict(case, extensions=extensions)], "service_requests", 200, {}


@endpoint(key_required=True)
def token_view(request, fmt, key, token):
    row = None
    try:
        row = RequestToken.objects.filter(token=uuid.UUID(token)).select_related("case").first()
    except ValueError:
        pass
    if row is None or not (key.sees_all_cases or row.case.source_platform == key.platform):
        raise RequestRejected(404, f"没有这个凭证。 No token {token[:40]}.")
    return ([{"service_request_id": str(row.case_id), "token": str(row.token)}],
            "service_requests", 200, {})


# --- Service request updates (the extension FixMyStreet speaks) --------------------


def _request_id(value: str) -> int:
    try:
        return parse_id((value or "").strip(), name="service_request_id")
    except BadParameter:
        raise RequestRejected(400, "缺少或无效的 service_request_id。 "
                                   "service_request_id is missing or not an id.") from None


def _flag(value: str) -> bool | None:
    value = (value or "").strip().lower()
    if value in {"1", "true", "yes"}:
        return True
    if value in {"0", "false", "no"}:
        return False
    if value:
        raise RequestRejected(400, "attribute[fixed] 应为 true 或 false。 "
                                   "attribute[fixed] must be true or false.")
    return None


@endpoint(key_required=True, methods=("GET", "POST"))
def updates_view(request, fmt, key):
    """``servicerequestupdates``: every public step, or a platform's own update in."""
    if request.method == "POST":
        return _update_in(request, key)
    ids = None
    if request.GET.get("service_request_id", "").strip():
        ids = [_request_id(request.GET["service_request_id"])]
    start, end = _datetime(request, "start_date"), _datetime(request, "end_date")
    after = _cursor(request)
    size = _int(request, "page_size", selectors.DEFAULT_PAGE_SIZE, 1, selectors.MAX_PAGE_SIZE)
    rows = list(selectors.service_request_updates(key=key, ids=ids, start=start, end=end,
                                                  after=after)[:size + 1])
    headers = {}
    if len(rows) > size:
        rows = rows[:size]
        headers["Link"] = _next_link(request, rows[-1].at, rows[-1].pk)
    return ([selectors.update_as_dict(e) for e in rows], "service_request_updates", 200, headers)


def _update_in(request, key):
    data = request.POST
    _check_lengths(data, UPDATE_FIELD_LIMITS)
    rid = _request_id(data.get("service_request_id", ""))
    update_id = data.get("update_id", "").strip()
    if not update_id or len(update_id) > 64:
        raise RequestRejected(400, "缺少 update_id（平台自己的更新编号，最长64字）。 "
                                   "update_id (the platform's own id) is required.")
    raw_rating = (data.get("attribute[rating]") or data.get("rating") or "").strip()
    try:
        rating = parse_int(raw_rating, name="rating", min=1, max=5, default=None)
    except BadParameter:
        raise RequestRejected(400, "rating 应为 1 到 5。 rating must be 1 to 5.") from None
    description = data.get("description", "")
    if len(description) > 2000:
        raise RequestRejected(400, "description 太长（最多2000字）。 description is too long.")
    name = (data.get("last_name", "") + data.get("first_name", "")).strip()[:40]
    try:
        row, _new = platform_update_receive(
            key=key, case_id=rid, update_id=update_id, status=data.get("status", ""),
            external_status=data.get("external_status_code", "")[:40],
            description=description, rating=rating,
            fixed=_flag(data.get("attribute[fixed]", "")), name=name,
            media_url=data.get("media_url", "")[:300])
    except WorkflowError as exc:
        raise RequestRejected(403 if exc.forbidden else 400,
                              f"{exc.message} The update is not allowed in this "
                              f"service request's state.") from None
    return ([{"update_id": str(row.event_id), "service_request_id": str(row.case_id),
              "account_id": None}], "service_request_updates", 201, {})


def _cursor(request) -> tuple[datetime, int | None] | None:
    """``updated_after`` (and ``after_id``, the id of the last row read) as a cursor."""
    at = _datetime(request, "updated_after")
    if at is None:
        return None
    try:
        pk = parse_int(request.GET.get("after_id", "").strip(), name="after_id", min=0,
                       default=None)
    except BadParameter:
        raise RequestRejected(400, "after_id 应为编号。 after_id must be an id.") from None
    return at, pk


def _next_link(request, at: datetime, pk: int, at_name: str = "updated_after") -> str:
    query = request.GET.copy()
    for name in ("api_key", "page"):
        query.pop(name, None)
    query[at_name] = timezone.localtime(at).isoformat()
    query["after_id"] = str(pk)
    return f'<{request.build_absolute_uri(request.path)}?{query.urlencode()}>; rel="next"'


@csrf_exempt  # a POST to a wrong path is answered as GeoReport, not with the CSRF page
def not_found(request, path=""):
    """Anything else under /open311/v2/: the specification's error, in JSON unless .xml."""
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return render.error(fmt, 404, "没有这个接口；请用 .json 或 .xml 结尾。 "
                                  "No such endpoint; end the path in .json or .xml.")
