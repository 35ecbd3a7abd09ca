"""The hotline talks both ways: a platform's own updates come in as the same
workflow moves as a resident's, and every public step goes out as its own update,
listed by ``servicerequestupdates`` and posted one by one by the callback."""

from __future__ import annotations

import json

import pytest

from community.choices import EventKind, Status
from community.models import Case, CaseEvent
from community.open311 import services
from community.open311.models import PlatformUpdate
from community.open311.services import api_key_issue
from community.services import case_accept, case_dispatch, case_resolve, case_triage
from community.tests.factories import category

from .test_open311_callbacks import Receiver

BASE = "/open311/v2"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def platform(world, receiver):
    category("repair", name="维修")
    key, raw = api_key_issue(actor=world.admin, platform="罗城12345", callback_url=receiver.url)
    return key, raw


def submit(client, world, raw):
    response = client.post(f"{BASE}/requests.json", {
        "api_key": raw, "service_code": "repair", "attribute[building]": str(world.building_a.pk),
        "description": "楼道灯不亮", "attribute[ticket_no]": "LC-77"})
    assert response.status_code == 201, response.content
    return Case.objects.get(pk=json.loads(response.content)[0]["service_request_id"])


def update(client, raw, case, fmt="json", **data):
    return client.post(f"{BASE}/servicerequestupdates.{fmt}",
                       {"api_key": raw, "service_request_id": str(case.pk), **data})


def drive_to_result(world, case):
    case_triage(actor=world.worker_a, case_id=case.pk)
    case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)
    case_accept(actor=world.handler, case_id=case.pk)
    case_resolve(actor=world.handler, case_id=case.pk, text="已更换灯泡")


def test_end_to_end_platform_post_to_close_with_its_own_satisfaction(client, world, platform,
                                                                    receiver):
    key, raw = platform
    case = submit(client, world, raw)
    drive_to_result(world, case)
    # The platform's own follow-up call, while the result waits for the caller.
    r = update(client, raw, case, update_id="FMS-1", status="open",
               external_status_code="followup", description="电话回访：灯已亮")
    assert r.status_code == 201, r.content
    # The caller's satisfaction: confirmed, 5 stars → closed.
    r = update(client, raw, case, update_id="FMS-2", status="closed", description="满意",
               **{"attribute[rating]": "5"})
    assert r.status_code == 201, r.content
    [answer] = json.loads(r.content)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == 5 and not case.no_rating
    assert answer["update_id"] == str(CaseEvent.objects.filter(case=case).latest("id").pk)
    # Sent again: the same step, nothing new.
    events = CaseEvent.objects.filter(case=case).count()
    again = update(client, raw, case, update_id="FMS-2", status="closed",
                   **{"attribute[rating]": "5"})
    assert again.status_code == 201 and json.loads(again.content) == [answer]
    assert CaseEvent.objects.filter(case=case).count() == events
    assert PlatformUpdate.objects.filter(case=case).count() == 2

    # The updates list: every public step, with its own id, time, status and words.
    listed = json.loads(client.get(f"{BASE}/servicerequestupdates.json",
                                   {"api_key": raw, "service_request_id": case.pk}).content)
    assert [u["update_kind"] for u in listed] == [
        "submit", "triage", "dispatch", "accept", "resolve", "followup", "confirm"]
    assert len({u["update_id"] for u in listed}) == 7
    assert [u["status"] for u in listed] == ["open"] * 6 + ["closed"]
    assert "已更换灯泡" in listed[4]["description"]
    assert "灯已亮" in listed[5]["description"]
    # The result text stays in status_notes after the 回访.
    read = json.loads(client.get(f"{BASE}/requests/{case.pk}.json", {"api_key": raw}).content)
    assert read[0]["status"] == "closed"

    # Every callback body, in order, one per step after the registration.
    assert services.callbacks_send_due() == 6
    bodies = [json.loads(r["body"])[0] for r in receiver.received]
    assert [b["update_id"] for b in bodies] == [u["update_id"] for u in listed[1:]]
    assert [b["update"]["update_kind"] for b in bodies] == [u["update_kind"] for u in listed[1:]]
    assert [b["status"] for b in bodies] == ["open"] * 5 + ["closed"]
    assert bodies[3]["status_notes"].endswith("已更换灯泡")
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) == 6


def test_a_move_the_state_does_not_allow_is_a_georeport_error(client, world, platform):
    key, raw = platform
    case = submit(client, world, raw)
    r = update(client, raw, case, "xml", update_id="X-1", status="closed",
               **{"attribute[rating]": "5"})
    assert r.status_code == 400 and b"<errors>" in r.content
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert not PlatformUpdate.objects.exists()


def test_not_fixed_reopens_and_a_note_is_a_comment(client, world, platform):
    key, raw = platform
    case = submit(client, world, raw)
    r = update(client, raw, case, update_id="N-1", status="open", description="来电补充：3单元")
    assert r.status_code == 201
    assert CaseEvent.objects.filter(case=case).latest("id").kind == EventKind.COMMENT
    drive_to_result(world, case)
    r = update(client, raw, case, update_id="N-2", status="reopened", description="还是不亮")
    assert r.status_code == 201, r.content
    case.refresh_from_db()
    assert case.status == Status.TRIAGED and case.fixed is False


def test_another_platform_may_not_speak_for_the_caller(client, world, platform):
    key, raw = platform
    case = submit(client, world, raw)
    drive_to_result(world, case)
    _other, other_raw = api_key_issue(actor=world.admin, platform="110", sees_all_cases=True)
    r = update(client, other_raw, case, update_id="O-1", status="closed",
               **{"attribute[rating]": "1"})
    assert r.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
