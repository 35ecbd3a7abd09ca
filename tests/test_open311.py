"""Open311 GeoReport v2 conformance: every endpoint, in JSON and XML, and its errors."""

from __future__ import annotations

import json
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from community.choices import Channel, Status
from community.models import Case
from community.open311.models import ApiCall, ApiKey, RequestToken
from community.open311.services import api_key_issue
from community.services import case_submit, case_triage
from community.tests.factories import case_in, category

BASE = "/open311/v2"
FORMATS = ["json", "xml"]


@pytest.fixture
def setup(world):
    repair = category("repair", name="维修", hint="水管、电梯、门窗坏了")
    category("hygiene", name="环境卫生")
    key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    return world, repair, key, raw


def parse(response, fmt):
    """The body as Python data: JSON as is; XML as (root tag, list of dicts or a dict)."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content)
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)

    def value(element):
        children = list(element)
        if not children:
            return element.text or ""
        tags = {c.tag for c in children}
        if len(tags) == 1 and len(children) > 1 or element.tag in {
                "services", "service_requests", "attributes", "values", "endpoints",
                "formats", "errors"}:
            return [value(c) for c in children]
        return {c.tag: value(c) for c in children}

    return value(root)


def post(client, data, fmt="json"):
    return client.post(f"{BASE}/requests.{fmt}", data)


def new_request(client, world, raw, fmt="json", **extra):
    data = {"api_key": raw, "service_code": "repair",
            "attribute[building]": str(world.building_a.pk), "attribute[unit]": "1",
            "description": "3楼楼道灯不亮", "first_name": "阿姨", "last_name": "吴",
            "phone": "13900001234", "lat": "24.778", "long": "108.901", **extra}
    return post(client, data, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(client, db, fmt):
    response = client.get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    data = parse(response, fmt)
    endpoint = data["endpoints"][0] if fmt == "json" else data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"application/xml", "application/json"}
    assert "+08:00" in data["changeset"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_lists_our_categories(client, setup, fmt):
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    services = parse(response, fmt)
    codes = {s["service_code"] for s in services}
    assert {"repair", "hygiene"} <= codes
    repair = next(s for s in services if s["service_code"] == "repair")
    assert repair["service_name"] == "维修"
    assert repair["metadata"] in (True, "true")
    assert repair["type"] == "realtime"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_asks_for_the_building(client, setup, fmt):
    world = setup[0]
    response = client.get(f"{BASE}/services/repair.{fmt}")
    assert response.status_code == 200
    definition = parse(response, fmt)
    assert definition["service_code"] == "repair"
    building = next(a for a in definition["attributes"] if a["code"] == "building")
    # Optional: a platform may locate a request by lat/long or address instead.
    assert building["required"] in (False, "false")
    assert building["datatype"] == "singlevaluelist"
    assert str(world.building_a.pk) in {v["key"] for v in building["values"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404_in_the_error_format(client, setup, fmt):
    response = client.get(f"{BASE}/services/nothing.{fmt}")
    assert response.status_code == 404
    errors = parse(response, fmt)
    assert str(errors[0]["code"]) == "404"
    assert "nothing" in errors[0]["description"]
    raw = setup[3]
    response = post(client, {"api_key": raw, "service_code": "nothing",
                             "attribute[building]": "1", "description": "x"}, fmt)
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_registers_a_hotline_case_that_follows_the_seven_steps(client, setup, fmt):
    world, repair, key, raw = setup
    response = new_request(client, world, raw, fmt, **{"attribute[ticket_no]": f"LC-{fmt}"})
    assert response.status_code == 201, response.content
    body = parse(response, fmt)[0]
    case = Case.objects.get(pk=int(body["service_request_id"]))
    assert "token" not in body  # the specification: an id or a token, not both
    assert case.channel == Channel.HOTLINE
    assert case.source_platform == "罗城12345"
    assert case.external_id == f"LC-{fmt}"
    assert case.status == Status.SUBMITTED
    assert case.reporter is None and case.reporter_phone == "13900001234"
    assert case.unit.number == 1 and case.building == world.building_a
    assert case.events.filter(kind="submit").exists()
    # The same ticket sent again is the same case.
    again = new_request(client, world, raw, fmt, **{"attribute[ticket_no]": f"LC-{fmt}"})
    assert parse(again, fmt)[0]["service_request_id"] == body["service_request_id"]
    # The token (kept for platforms that ask for it) leads to the case.
    token = RequestToken.objects.get(case=case).token
    response = client.get(f"{BASE}/tokens/{token}.{fmt}", {"api_key": raw})
    assert response.status_code == 200
    assert parse(response, fmt)[0]["service_request_id"] == body["service_request_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_errors(client, setup, fmt):
    world, repair, key, raw = setup
    before = Case.objects.count()
    bad_key = new_request(client, world, "jy_not-a-key", fmt)
    assert bad_key.status_code == 403
    assert str(parse(bad_key, fmt)[0]["code"]) == "403"
    no_key = post(client, {"service_code": "repair"}, fmt)
    assert no_key.status_code == 403
    missing = post(client, {"api_key": raw, "service_code": "repair", "description": "x"}, fmt)
    assert missing.status_code == 400
    assert "attribute[building]" in parse(missing, fmt)[0]["description"]
    for extra in ({"attribute[building]": "999999"}, {"attribute[unit]": "77"},
                  {"lat": "north"}, {"long": ""}, {"service_code": ""},
                  {"description": "", "attribute[ticket_no]": "empty"}):
        response = new_request(client, world, raw, fmt, **extra)
        assert response.status_code == 400, (extra, response.content)
        assert parse(response, fmt)[0]["description"]
    assert Case.objects.count() == before  # nothing half-written


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_with_filters_and_status_mapping(client, setup, fmt):
    world, repair, key, raw = setup
    ids = [int(parse(new_request(client, world, raw, **{"attribute[ticket_no]": f"T{i}"}),
                     "json")[0]["service_request_id"]) for i in range(3)]
    # One of them goes all the way round the loop, by the community's people.
    from community import services as loop

    loop.case_triage(actor=world.worker_a, case_id=ids[0])
    loop.case_dispatch(actor=world.worker_a, case_id=ids[0], department=world.department)
    loop.case_accept(actor=world.handler, case_id=ids[0])
    loop.case_resolve(actor=world.handler, case_id=ids[0], text="灯已换好")
    # A case of the community's own residents is not this platform's to see.
    own = case_in(world, "submitted")

    response = client.get(f"{BASE}/requests.{fmt}", {"api_key": raw})
    assert response.status_code == 200
    items = parse(response, fmt)
    got = {int(i["service_request_id"]) for i in items}
    assert got == set(ids) and own.pk not in got
    first = next(i for i in items if int(i["service_request_id"]) == ids[0])
    assert first["status"] == "open"  # resolved, waiting for the resident: still open
    assert "灯已换好" in first["status_notes"]
    assert first["agency_responsible"] == world.department.name
    assert first["requested_datetime"].endswith("+08:00")
    assert first["service_code"] == "repair"

    def query(**params):
        r = client.get(f"{BASE}/requests.{fmt}", {"api_key": raw, **params})
        assert r.status_code == 200, r.content
        return {int(i["service_request_id"]) for i in parse(r, fmt)}

    assert query(service_request_id=f"{ids[1]},{ids[2]}") == {ids[1], ids[2]}
    assert query(service_code="hygiene") == set()
    assert query(status="open") == set(ids)
    assert query(status="closed") == set()
    now = timezone.localtime()
    assert query(start_date=(now - timedelta(hours=1)).isoformat()) == set(ids)
    assert query(end_date=(now - timedelta(days=1)).isoformat()) == set()
    # Declined by the grid worker: closed, with the reason as the note.
    loop.case_decline(actor=world.worker_a, case_id=ids[1], reason="属于供电所，已告知来电人")
    assert query(status="closed") == {ids[1]}
    closed = parse(client.get(f"{BASE}/requests/{ids[1]}.{fmt}", {"api_key": raw}), fmt)[0]
    assert closed["status"] == "closed" and "供电所" in closed["status_notes"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request_and_unknown_ids(client, setup, fmt):
    world, repair, key, raw = setup
    rid = parse(new_request(client, world, raw), "json")[0]["service_request_id"]
    response = client.get(f"{BASE}/requests/{rid}.{fmt}", {"api_key": raw,
                                                             "extensions": "true"})
    assert response.status_code == 200
    item = parse(response, fmt)[0]
    assert item["service_request_id"] == rid
    assert item["extended_attributes"]["channel"] == "hotline"
    for unknown in ("999999", "abc"):
        response = client.get(f"{BASE}/requests/{unknown}.{fmt}", {"api_key": raw})
        assert response.status_code == 404
        assert str(parse(response, fmt)[0]["code"]) == "404"
    own = case_in(world, "submitted")  # exists, but not this platform's: looks absent
    assert client.get(f"{BASE}/requests/{own.pk}.{fmt}", {"api_key": raw}).status_code == 404
    assert client.get(f"{BASE}/tokens/not-a-token.{fmt}", {"api_key": raw}).status_code == 404
    # No key: the public fields (the specification: "Requires API key: No").
    public = client.get(f"{BASE}/requests/{rid}.{fmt}", {"extensions": "true"})
    assert public.status_code == 200
    item = parse(public, fmt)[0]
    assert item["service_request_id"] == rid and "extended_attributes" not in item


def test_paging_and_changes_since_let_a_platform_sync(client, setup):
    world, repair, key, raw = setup
    ids = [int(parse(new_request(client, world, raw, **{"attribute[ticket_no]": f"P{i}"}),
                     "json")[0]["service_request_id"]) for i in range(5)]
    page1 = client.get(f"{BASE}/requests.json", {"api_key": raw, "page_size": 2})
    assert page1["X-Total-Count"] == "5"
    assert 'rel="next"' in page1["Link"] and "api_key" not in page1["Link"]
    seen = []
    for page in (1, 2, 3):
        r = client.get(f"{BASE}/requests.json", {"api_key": raw, "page_size": 2, "page": page})
        seen += [int(i["service_request_id"]) for i in json.loads(r.content)]
    assert sorted(seen) == sorted(ids)
    # Changes since the last sync: only the case that moved, oldest change first.
    mark = json.loads(client.get(f"{BASE}/requests.json", {"api_key": raw}).content)
    since = max(i["updated_datetime"] for i in mark)
    from community import services as loop

    loop.case_triage(actor=world.worker_a, case_id=ids[2])
    changed = client.get(f"{BASE}/requests.json", {"api_key": raw, "updated_after": since})
    assert [int(i["service_request_id"]) for i in json.loads(changed.content)] == [ids[2]]
    bad = client.get(f"{BASE}/requests.json", {"api_key": raw, "updated_after": "yesterday"})
    assert bad.status_code == 400
    assert client.get(f"{BASE}/requests.json", {"api_key": raw, "page": "0"}).status_code == 400
    assert client.get(f"{BASE}/requests.json",
                      {"api_key": raw, "status": "maybe"}).status_code == 400


def test_every_call_is_logged_and_keys_are_rate_limited(client, setup):
    world, repair, key, raw = setup
    ApiKey.objects.filter(pk=key.pk).update(rate_per_minute=3)
    codes = [client.get(f"{BASE}/requests.json", {"api_key": raw}).status_code
             for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    assert client.get(f"{BASE}/requests.json", {"api_key": raw})["Retry-After"] == "60"
    client.get(f"{BASE}/requests.json", {"api_key": "jy_wrong"})
    calls = list(ApiCall.objects.order_by("id"))
    assert [c.status for c in calls][-7:] == [200, 200, 200, 429, 429, 429, 403]
    assert calls[0].platform == "罗城12345" and calls[0].key_id == key.pk
    key.refresh_from_db()
    assert key.last_used_at is not None
    # Only the hash of the key is stored.
    assert raw not in key.key_hash and key.prefix == raw[:8]


def test_wrong_method_unknown_path_and_jurisdiction(client, setup):
    world, repair, key, raw = setup
    response = client.post(f"{BASE}/services.json")
    assert response.status_code == 405 and json.loads(response.content)[0]["code"] == 405
    response = client.get(f"{BASE}/requests.html")
    assert response.status_code == 404 and json.loads(response.content)[0]["code"] == 404
    response = client.get(f"{BASE}/services.xml", {"jurisdiction_id": "elsewhere"})
    assert response.status_code == 404
    assert ET.fromstring(response.content).tag == "errors"


def test_admin_creates_a_key_and_sees_it_once(client, world):
    world.admin.is_superuser = True
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_superuser", "is_staff"])
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/admin/open311/keys/new/", {
        "platform": "罗城12345", "contact": "值班长", "active": "on",
        "rate_per_minute": "60", "callback_secret": "a-shared-secret-for-signing"},
        follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get(platform="罗城12345")
    text = response.content.decode()
    shown = text[text.index("jy_"):].split()[0].split("<")[0]
    assert ApiKey.find(shown) == key
    assert client.get("/admin/open311/calls/").status_code == 200
    # In Wagtail's History tab too, not only in our audit table.
    from wagtail.models import ModelLogEntry

    entry = ModelLogEntry.objects.get(action="wagtail.create", object_id=str(key.pk))
    assert entry.user == world.admin
    history = client.get(f"/admin/open311/keys/history/{key.pk}/")
    assert history.status_code == 200 and str(entry.message) in history.content.decode()


def test_the_call_log_keeps_a_real_address_never_a_forged_header(client, setup, settings):
    world, repair, key, raw = setup
    settings.TRUSTED_PROXIES = []
    client.get(f"{BASE}/services.json", HTTP_X_FORWARDED_FOR="not-an-ip",
               REMOTE_ADDR="198.51.100.30")
    # What Daphne's --proxy-headers used to hand over: the header as the address.
    client.get(f"{BASE}/services.json", REMOTE_ADDR="not-an-ip")
    assert list(ApiCall.objects.order_by("id").values_list("ip", flat=True)) == [
        "198.51.100.30", "0.0.0.0"]


def test_anonymous_limit_counts_the_address_not_the_header(client, setup, settings,
                                                           monkeypatch):
    from community.open311 import views

    monkeypatch.setattr(views, "ANONYMOUS_PER_MINUTE", 3)
    settings.TRUSTED_PROXIES = []
    codes = [client.get(f"{BASE}/services.json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
                        REMOTE_ADDR="198.51.100.31").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_that_sees_all_cases_gets_no_phone_numbers(client, setup, fmt):
    """Residents' own words go out with every phone number in them masked."""
    world, _repair, _key, _raw = setup
    key, raw = api_key_issue(actor=world.admin, platform="县网格中心", sees_all_cases=True)
    case = case_submit(reporter=world.resident_a, category=category(),
                       household=world.household_a,
                       description="灯坏了，打我电话13812345678或座机0772-5123456")
    case_triage(actor=world.worker_a, case_id=case.pk, note="已联系，回电 139 0000 1234")
    response = client.get(f"{BASE}/requests/{case.pk}.{fmt}", {"api_key": raw})
    assert response.status_code == 200
    text = response.content.decode()
    for digits in ("13812345678", "5123456", "139 0000 1234", "13900001234"):
        assert digits not in text
    [item] = parse(response, fmt)
    assert item["description"] == "灯坏了，打我电话138****5678或座机0772-*****56"
    assert item["status_notes"].endswith("已联系，回电 139****1234")


def test_reads_as_the_specification_says(client, setup):
    world, repair, key, raw = setup
    rid = parse(new_request(client, world, raw), "json")[0]["service_request_id"]
    flat = case_in(world, "submitted")
    if flat.household_id:  # inside someone's flat: never public
        assert client.get(f"{BASE}/requests/{flat.pk}.json").status_code == 404
    anon = client.get(f"{BASE}/requests.json", {"status": "open,closed", "page_size": 1000})
    assert anon.status_code == 200, anon.content
    assert rid in {r["service_request_id"] for r in parse(anon, "json")}
    assert client.get(f"{BASE}/requests.json", {"page_size": 1001}).status_code == 400
    # service_request_id overrides the other filters.
    only = client.get(f"{BASE}/requests.json", {"api_key": raw, "service_request_id": rid,
                                                "status": "closed", "service_code": "hygiene"})
    assert [r["service_request_id"] for r in parse(only, "json")] == [rid]
    # A POST to an unknown path: a GeoReport error, not the CSRF page.
    csrf_client = client.__class__(enforce_csrf_checks=True)
    wrong = csrf_client.post(f"{BASE}/request.json", {"api_key": raw})
    assert wrong.status_code == 404 and parse(wrong, "json")[0]["code"] == 404
    # POST still needs a key.
    assert post(client, {"service_code": "repair"}).status_code == 403
    discovery = parse(client.get(f"{BASE}/discovery.json"), "json")
    assert discovery["jurisdiction_id"] == "mulaojiayuan.luocheng"
