"""Every case URL for every role, forged ids, bad input, and query budgets."""

import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from community.choices import Status
from community.models import Case, CaseEvent
from portal.tests import upload_samples

from .factories import case_in, category, jpeg
from .test_services import wav

S = Status


def client_for(user) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def detail(case):
    return reverse("community:detail", args=[case.pk])


def act(case, kind):
    return reverse("community:act", args=[case.pk, kind])


# --- Who sees what -----------------------------------------------------------------------

SEES = {
    # role: states in which the case page exists for them
    "resident_a": set(S), "worker_a": set(S), "worker_top": set(S), "liaison": set(S),
    "admin": set(S),
    "handler": {S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED},
    "resident_a2": set(), "resident_b": set(), "head_a": set(), "head_b": set(),
    "worker_b": set(), "other_handler": set(), "stranger": set(),
}


@pytest.mark.parametrize("state", [S.SUBMITTED, S.DISPATCHED, S.CLOSED],
                         ids=["submitted", "dispatched", "closed"])
def test_case_page_for_every_role(world, state):
    case = case_in(world, state)
    for role, states in SEES.items():
        response = client_for(getattr(world, role)).get(detail(case))
        assert response.status_code == (200 if state in states else 404), (role, state)
    assert client_for(None).get(detail(case)).status_code == 302  # to the sign-in page
    assert client_for(world.resident_a).get(
        reverse("community:detail", args=[999999])).status_code == 404


ACTIONS = ["triage", "decline", "merge", "dispatch", "accept", "hand_back", "resolve",
           "feedback", "comment", "urge", "supervise", "followup"]


@pytest.mark.parametrize("kind", ACTIONS)
def test_forged_ids_are_404_and_nothing_changes(world, kind):
    case = case_in(world, S.TRIAGED)
    before = CaseEvent.objects.count()
    for role in ("resident_b", "worker_b", "other_handler", "stranger", "head_b"):
        response = client_for(getattr(world, role)).post(act(case, kind), {
            "text": "x", "reason": "x", "to": f"d{world.department.pk}", "fixed": "yes",
            "rating": "5", "category": "repair", "priority": "normal"})
        assert response.status_code == 404, (role, kind)
    assert CaseEvent.objects.count() == before


@pytest.mark.parametrize("role, kind, state", [
    ("resident_a", "triage", S.SUBMITTED),
    ("resident_a", "dispatch", S.TRIAGED),
    ("resident_a", "resolve", S.IN_PROGRESS),
    ("handler", "dispatch", S.DISPATCHED),
    ("handler", "feedback", S.RESOLVED),
    ("worker_a", "feedback", S.RESOLVED),
    ("worker_a", "accept", S.DISPATCHED),
    ("liaison", "dispatch", S.TRIAGED),
    ("admin", "urge", S.DISPATCHED),
])
def test_forbidden_moves_are_403(world, role, kind, state):
    case = case_in(world, state)
    before = CaseEvent.objects.count()
    response = client_for(getattr(world, role)).post(act(case, kind), {
        "text": "x", "to": f"d{world.department.pk}", "fixed": "yes", "rating": "5",
        "category": "repair", "priority": "normal"})
    assert response.status_code == 403
    assert "不能" in response.content.decode() or "权限" in response.content.decode()
    assert CaseEvent.objects.count() == before


def test_a_move_in_the_wrong_state_is_400(world):
    case = case_in(world, S.CLOSED)
    response = client_for(world.worker_a).post(act(case, "triage"),
                                               {"category": "repair", "priority": "high"})
    assert response.status_code == 400
    assert "不能" in response.content.decode()


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind, role, state, data", [
    ("decline", "worker_a", S.SUBMITTED, {"reason": ""}),
    ("hand_back", "handler", S.DISPATCHED, {"reason": "  "}),
    ("resolve", "handler", S.IN_PROGRESS, {"text": ""}),
    ("dispatch", "worker_a", S.TRIAGED, {"to": "d999999"}),
    ("feedback", "resident_a", S.RESOLVED, {"fixed": "yes"}),
    ("feedback", "resident_a", S.RESOLVED, {"fixed": "yes", "rating": "9"}),
])
def test_missing_or_wrong_input_is_400_and_nothing_written(world, kind, role, state, data):
    case = case_in(world, state)
    before = CaseEvent.objects.count()
    response = client_for(getattr(world, role)).post(act(case, kind), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert CaseEvent.objects.count() == before
    assert Case.objects.get(pk=case.pk).status == state


def test_result_with_a_file_that_is_not_an_image(world):
    case = case_in(world, S.IN_PROGRESS)
    response = client_for(world.handler).post(
        act(case, "resolve"),
        {"text": "修好了", "photos": [SimpleUploadedFile("a.jpg", b"%PDF-1.4 nope", "image/jpeg")]},
        HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and "不是照片" in str(body["errors"])
    assert Case.objects.get(pk=case.pk).status == S.IN_PROGRESS


def _report(world, **extra):
    data = {"category": category().code, "where": f"h{world.household_a.pk}",
            "description": "楼道灯不亮", "client_key": str(uuid.uuid4())}
    data.update(extra)
    return data


@pytest.mark.parametrize("extra, field", [
    ({"photos": [jpeg() for _ in range(7)]}, "photos"),
    ({"photos": [SimpleUploadedFile("x.png", b"GIF89a-not-really", "image/png")]}, "photos"),
    ({"voice": wav(75)}, "voice"),
    ({"description": "", "category": "repair"}, "description"),
    ({"category": ""}, "category"),
    ({"where": "h999999"}, "where"),
])
def test_report_bad_input(world, extra, field):
    c = client_for(world.resident_a)
    response = c.post(reverse("community:new"), _report(world, **extra),
                      HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["ok"] is False and field in body["errors"], body
    assert body["message"]
    assert Case.objects.count() == 0
    # Without JavaScript: the page again, 400, with the message.
    response = c.post(reverse("community:new"), _report(world, **extra))
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


@pytest.mark.parametrize("make", [
    upload_samples.heic_with_gps,
    lambda: upload_samples.id3_then(upload_samples.phone_jpeg((320, 240))),
    lambda: upload_samples.id3_then(b"<html><script>x()</script></html>" * 40),
    upload_samples.wav_with_byte_rate_zero,
    lambda: upload_samples.random_bytes(1_900_000),
    upload_samples.opus_of_random_packets,
], ids=["heic", "id3-jpeg", "id3-html", "wav-byte-rate-0", "random", "opus-random-packets"])
def test_report_with_something_that_only_looks_like_a_recording(world, settings, make):
    """Security issue 7: these were stored as voice notes, as sent."""
    folder = Path(settings.MEDIA_ROOT) / "cases" / "voice"
    before = set(folder.rglob("*")) if folder.exists() else set()
    c = client_for(world.resident_a)
    voice = SimpleUploadedFile("voice.m4a", make(), "audio/mp4")
    response = c.post(reverse("community:new"), _report(world, voice=voice),
                      HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert "这不是录音文件" in response.json()["errors"]["voice"][0]
    assert Case.objects.count() == 0
    assert (set(folder.rglob("*")) if folder.exists() else set()) == before


def test_report_with_a_real_recording_stores_it_re_encoded(world):
    c = client_for(world.resident_a)
    data = upload_samples.recording(3, fmt="ipod", codec="aac", rate=44100,
                                    tags={"comment": "SECRET"})
    voice = SimpleUploadedFile("voice.m4a", data, "audio/mp4")
    response = c.post(reverse("community:new"), _report(world, voice=voice),
                      HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    stored = Case.objects.get().voice
    assert stored.name.endswith(".webm")
    stored_bytes = stored.read()
    assert stored_bytes != data and b"SECRET" not in stored_bytes
    assert upload_samples.decoded_seconds(stored_bytes) == pytest.approx(3, abs=0.2)


def test_report_json_and_plain_post_and_the_same_key_twice(world):
    c = client_for(world.resident_a)
    data = _report(world, photos=[jpeg(), jpeg()])
    response = c.post(reverse("community:new"), data, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["ok"] is True
    case = Case.objects.get()
    assert response.json()["url"].startswith(detail(case))
    data["photos"] = [jpeg(), jpeg()]
    response = c.post(reverse("community:new"), data)
    assert response.status_code == 303
    assert Case.objects.count() == 1 and case.photos.count() == 2


def test_the_poster_link_fills_in_the_stairwell(world):
    unit = world.household_a.unit
    response = client_for(world.resident_b).get(
        reverse("community:new") + f"?building={unit.building_id}&unit={unit.pk}")
    assert f'<option value="u{unit.pk}" selected>' in response.content.decode()
    response = client_for(world.resident_b).post(
        reverse("community:new") + f"?building={unit.building_id}&unit={unit.pk}",
        {"category": category().code, "where": f"u{unit.pk}", "description": "楼道堆杂物"})
    assert response.status_code == 303
    case = Case.objects.get()
    assert case.unit == unit and case.grid == world.grid_a and case.household is None


def test_me_too_shown_before_sending(world):
    case_in(world, S.SUBMITTED, unit=world.household_a.unit)  # their shared stairwell
    c = client_for(world.resident_a2)
    page = c.get(reverse("community:new") + "?category=repair").content.decode()
    assert "我也遇到" in page
    fragment = c.get(reverse("community:similar"),
                     {"category": "repair", "where": f"h{world.household_a2.pk}"})
    assert "我也遇到" in fragment.content.decode()
    case = Case.objects.get()
    assert c.post(act(case, "metoo")).status_code == 303
    assert client_for(world.resident_a2).get(detail(case)).status_code == 200


def test_on_behalf_filing_by_a_building_head(world):
    c = client_for(world.head_a)
    response = c.post(reverse("community:new") + "?behalf=1", {
        "behalf": "1", "category": category().code, "where": f"b{world.building_a.pk}",
        "flat": "102", "channel": "phone", "reporter_name": "覃大爷",
        "reporter_phone": world.resident_a2.phone[3:], "description": "家里停水"})
    assert response.status_code == 303, response.content.decode()[:500]
    case = Case.objects.get()
    assert case.reporter == world.resident_a2 and case.household == world.household_a2
    assert case.channel == "phone" and case.on_behalf_by == world.head_a
    assert client_for(world.resident_a).get(
        reverse("community:new") + "?behalf=1").status_code == 403


def test_workbench_access_and_tabs(world):
    case_in(world, S.SUBMITTED)
    assert client_for(world.resident_a).get(reverse("community:workbench")).status_code == 403
    page = client_for(world.worker_a).get(reverse("community:workbench")).content.decode()
    assert "楼道灯坏了" in page
    assert "楼道灯坏了" not in client_for(world.worker_b).get(
        reverse("community:workbench")).content.decode()
    assert "楼道灯坏了" not in client_for(world.handler).get(
        reverse("community:workbench")).content.decode()


# --- Query budgets -----------------------------------------------------------------------------


def _many(world, n):
    from community.services import case_dispatch, case_triage

    for i in range(n):
        case = case_in(world, S.SUBMITTED)
        if i % 2:
            case_triage(actor=world.worker_a, case_id=case.pk)
        if i % 4 == 3:
            case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)


@pytest.mark.parametrize("url, role", [
    ("/cases/workbench/", "worker_a"), ("/cases/workbench/?tab=waiting", "worker_a"),
    ("/cases/workbench/?tab=doing", "handler"), ("/cases/", "resident_a"),
    ("/me/", "resident_a"), ("/me/", "worker_a"),
])
def test_list_queries_do_not_grow_with_cases(world, django_assert_max_num_queries, url, role):
    _many(world, 3)
    c = client_for(getattr(world, role))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    _many(world, 25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert c.get(url).status_code == 200


def test_case_page_queries_are_bounded(world, django_assert_max_num_queries):
    case = case_in(world, S.RESOLVED)
    c = client_for(world.resident_a)
    with django_assert_max_num_queries(20):
        assert c.get(detail(case)).status_code == 200


def test_categories_show_their_english_name_when_the_reader_chose_english(world, client):
    from django.utils import translation

    from community.models import Category

    cat = Category.objects.create(code="lamp", name="路灯", name_en="Street lights")
    plain = Category.objects.create(code="other2", name="其他")
    with translation.override("en"):
        assert cat.label == "Street lights" and str(cat) == "Street lights"
        assert plain.label == "其他"  # no English given: the Chinese name
    with translation.override("zh-hans"):
        assert cat.label == "路灯"
