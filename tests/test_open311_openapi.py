"""The OpenAPI description at /api/openapi.json, and a Schemathesis fuzz test against it.

Schemathesis generates requests from the description (valid and not) and
sends them to the running app (pytest-django's live_server, on loopback);
whatever it sends, the answer is never a server error, and every answer the
description promises is checked against its schema.
"""

from __future__ import annotations

import json

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")

pytestmark = pytest.mark.django_db(transaction=True)


def test_description_is_served_and_valid_openapi(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.content)
    assert spec["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10


def _all_routes() -> list[str]:
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    return found


def test_every_open311_endpoint_is_described():
    from community.open311.openapi import build

    paths = set(build()["paths"])
    for name in ("discovery", "services", "services/{service_code}", "requests",
                 "requests/{service_request_id}", "tokens/{token}"):
        assert f"/open311/v2/{name}.json" in paths, name
    routes = " ".join(_all_routes())
    assert "<int:pk>/messages/" in routes and "/chat/{conversation_id}/messages/" in paths


@pytest.fixture
def platform(world):
    """A key with a generous limit, two categories and the world's buildings."""
    from community.open311.models import ApiKey
    from community.open311.services import api_key_issue
    from community.tests.factories import category

    category("repair", name="维修")
    category("hygiene", name="环境卫生")
    key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    ApiKey.objects.filter(pk=key.pk).update(rate_per_minute=1_000_000)
    return world, raw


def _excluded_checks():
    from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

    # positive_data_acceptance: a request can fit the description and still be refused
    # for what the data says (no such building, a move the case's state does not allow,
    # a date outside the calendar we keep), with a documented 4xx. ignored_auth: the
    # test puts the real key in on purpose, so the "generated" key is a valid one.
    return [positive_data_acceptance, ignored_auth]


EXCLUDED_CHECKS = _excluded_checks()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_fuzz_every_operation_finds_no_mismatch(live_server, platform, mode, capsys):
    """Schemathesis's positive phase (data the description allows) and negative phase
    (data it forbids), each answer checked with Schemathesis's own checks: no 5xx,
    status codes, content types and bodies as described, and forbidden data refused."""
    from schemathesis import GenerationMode

    from community.open311.openapi import build

    world, raw = platform
    schema = schemathesis.openapi.from_dict(build())
    operations = [result.ok() for result in schema.get_all_operations()]
    http = requests.Session()
    failures: list[tuple] = []
    calls: list[int] = []
    seen_statuses: dict[str, set[int]] = {}
    generation = GenerationMode(mode)

    def fuzz(operation):
        label = f"{operation.method.upper()} {operation.path}"

        @settings(max_examples=20, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=generation),
               real_key=st.booleans(), real_building=st.booleans())
        def run(case, real_key, real_building):
            if real_key:  # reach past the key check most of the time
                if isinstance(case.query, dict) and "api_key" in case.query:
                    case.query["api_key"] = raw
                # The key may come as the X-Api-Key header (the security scheme) too.
                case.headers = {**(case.headers or {}), "X-Api-Key": raw}
                if isinstance(case.body, dict) and generation is GenerationMode.POSITIVE:
                    case.body["api_key"] = raw
                    if real_building:  # and a real category: the rest stays fuzzed
                        # The optional fields are each checked (email, phone, media_url
                        # fetched from allowed hosts, a point...): keep the fuzzed
                        # description only, without NUL (refused everywhere with a 400).
                        description = str(case.body.get("description", "")).replace("\x00", "")
                        case.body = {"api_key": raw,
                                     "description": ("楼道灯不亮 " + description).strip()}
                        case.body["attribute[building]"] = str(world.building_a.pk)
                        case.body["service_code"] = "repair"
            response = case.call(base_url=live_server.url, session=http, timeout=30)
            calls.append(response.status_code)
            seen_statuses.setdefault(label, set()).add(response.status_code)
            try:
                case.validate_response(response, excluded_checks=EXCLUDED_CHECKS)
            except (AssertionError, BaseExceptionGroup) as exc:
                found = getattr(exc, "exceptions", None) or [exc]
                failures.append((label, response.status_code, response.request.url,
                                 response.request.body,
                                 [f"{getattr(f, 'title', '')}: {getattr(f, 'message', f)}"[:300]
                                  for f in found]))

        run()

    nothing_to_negate = 0
    if generation is GenerationMode.NEGATIVE:
        # The chat's session cookie: a browser without one is sent to sign in (302),
        # by design; that is not a GeoReport answer.
        operations = [op for op in operations if not op.path.startswith("/chat/")]
    for operation in operations:
        try:
            fuzz(operation)
        except Unsatisfiable:  # negative phase: the operation takes nothing to get wrong
            nothing_to_negate += 1
    with capsys.disabled():
        print(f"\nSchemathesis {mode} phase: {len(operations)} operations "
              f"({nothing_to_negate} with nothing to negate), {len(calls)} calls, "
              f"{sum(1 for c in calls if c >= 500)} server errors, {len(failures)} failures")
        for label, status, url, body, messages in failures[:40]:
            print(f"  {label} → {status}: {url} {str(body)[:200]} {messages}")
    assert failures == [], failures[:5]
    assert not [c for c in calls if c >= 500]
    if generation is GenerationMode.POSITIVE:
        # The fuzzing went past the door: real answers, not only refusals.
        assert 200 in seen_statuses["GET /open311/v2/requests.json"]
        assert 201 in seen_statuses["POST /open311/v2/requests.json"]
        assert 201 in seen_statuses["POST /open311/v2/requests.xml"]
    else:
        # Wrong input reached the checks and was refused as a GeoReport error.
        assert 400 in seen_statuses["POST /open311/v2/requests.json"]


def test_the_callback_is_described_as_a_webhook():
    from community.open311.openapi import build

    hook = build()["webhooks"]["serviceRequestUpdated"]["post"]
    headers = {p["name"] for p in hook["parameters"]}
    assert {"X-Jiayuan-Signature", "X-Jiayuan-Timestamp", "X-Jiayuan-Delivery"} <= headers
    schema = hook["requestBody"]["content"]["application/json"]["schema"]
    assert schema["items"] == {"$ref": "#/components/schemas/ServiceRequest"}
