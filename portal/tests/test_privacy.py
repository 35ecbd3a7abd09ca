"""Personal data (PIPL): the export, deleting an account, and the retention job."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from buildings.choices import ResidencyState
from buildings.models import Residency
from community import statistics
from community.choices import PhotoKind, Status
from community.liaison import services as chat
from community.liaison.models import Conversation, Message, MessagePhoto
from community.models import Case, CaseEvent, CasePhoto
from community.services import case_metoo, case_submit
from community.tests.factories import case_in, category, jpeg
from community.tests.test_services import wav
from notices.models import NoticeRead
from notices.services import notice_acknowledge
from notices.tests.helpers import make_notice
from portal import privacy
from portal.models import AuditEntry, Notification, RetentionSettings, SmsMessage, User
from portal.periodic import REGISTRY, discover
from portal.uploads.photos import clean_photo
from portal.uploads.voice import clean_voice
from volunteers.choices import ClaimState
from volunteers.models import Claim, HoursEntry, PointsEntry
from volunteers.services import ledger_correct, task_claim
from volunteers.tests.factories import task as make_task
from volunteers.tests.factories import volunteer as make_volunteer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _chat(resident, staff, text: str, *, photo: bool = True, voice: bool = True):
    conversation, _ = chat.conversation_open(resident=resident)
    chat.message_post(conversation=conversation, sender=resident, body=text, client_key="a")
    if photo:
        chat.message_post(conversation=conversation, sender=resident, kind="photo",
                          photo=clean_photo(jpeg()), client_key="b")
    if voice:
        v = clean_voice(wav(1))
        chat.message_post(conversation=conversation, sender=resident, kind="voice", voice=v,
                          voice_seconds=1, client_key="c")
    chat.staff_set_duty(staff=staff, on=True)
    chat.conversation_pick_up(conversation=conversation, staff=staff)
    chat.message_post(conversation=conversation, sender=staff, body="您好，马上处理")
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def lives(world, django_capture_on_commit_callbacks):
    """resident_a and their neighbour resident_a2, each with cases, a chat, volunteering."""
    a, a2 = world.resident_a, world.resident_a2
    a.display_name = "韦阿姨"
    a.save(update_fields=["display_name"])
    a2.display_name = "罗大哥"
    a2.save(update_fields=["display_name"])
    with django_capture_on_commit_callbacks(execute=True):
        closed = case_in(world, Status.CLOSED, photos=[jpeg()], voice=wav(2))
        open_case = case_in(world, Status.SUBMITTED, photos=[jpeg()])
        neighbours = case_in(world, Status.CLOSED, reporter=a2, household=world.household_a2,
                             photos=[jpeg()], voice=wav(1))
        case_metoo(actor=a, case_id=case_in(world, Status.SUBMITTED, reporter=a2,
                                            unit=world.household_a2.unit).pk)
        # The handler's photo of the result stays theirs.
        result = CasePhoto(case=closed, kind=PhotoKind.RESULT)
        result.set_clean(clean_photo(jpeg(color=(10, 200, 10))))
        result.save()
        conversation = _chat(a, world.liaison, "我家门口漏水，电话13700001111")
        other_conversation = _chat(a2, world.liaison, "邻居的话", voice=False)
        chat.conversation_close(conversation=other_conversation, actor=world.liaison)
        vol = make_volunteer(community=world.community, user=a, name="韦秀英")
        make_volunteer(community=world.community, user=a2, name="罗邻居")
        future = make_task(building=world.building_a, created_by=world.worker_a, places=1)
        ledger_correct(actor=world.admin, volunteer_id=vol.pk, reason="补录", hours=2, points=20)
        task_claim(actor=a, task_id=future.pk)
        notice = make_notice(title="停水通知", ack_wanted=True)
        notice_acknowledge(user=a, notice=notice)
        NoticeRead.objects.get_or_create(notice=notice, user=a)
    return {"closed": closed, "open": open_case, "neighbours": neighbours,
            "conversation": conversation, "other_conversation": other_conversation,
            "volunteer": vol, "task": future, "notice": notice}


# --- The export ------------------------------------------------------------------------


def test_export_holds_the_persons_data_and_nothing_of_a_neighbour(world, lives):
    a, a2 = world.resident_a, world.resident_a2
    response = client_for(a).get(reverse("portal:privacy_export_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert "no-cache" in response.get("Cache-Control", "") or "no-store" in response.get(
        "Cache-Control", "")
    raw = response.content.decode()
    data = json.loads(raw)
    assert data["format"] == privacy.EXPORT_FORMAT
    assert data["profile"]["phone"] == a.phone  # their own: in full
    assert data["profile"]["display_name"] == "韦阿姨"
    assert [r["household"] for r in data["residencies"]] == [world.household_a.address]
    own = set(Case.objects.filter(reporter=a).values_list("pk", flat=True))
    assert {c["id"] for c in data["cases"]} == own
    closed = next(c for c in data["cases"] if c["id"] == lives["closed"].pk)
    assert closed["rating"] == 5 and closed["voice"] and closed["photos"]
    assert any(e["kind"] == "submit" and e["by_me"] for e in closed["events"])
    assert any(e["note"] == "已修好" for e in closed["events"])
    assert data["followed_cases"] and data["my_entries_on_other_cases"][0]["kind"] == "metoo"
    [conv] = data["liaison_conversations"]
    assert conv["id"] == lives["conversation"].pk
    kinds = [m["kind"] for m in conv["messages"]]
    assert "photo" in kinds and "voice" in kinds
    assert data["volunteer"]["real_name"] == "韦秀英"
    assert data["volunteer"]["claims"][0]["task"] == lives["task"].title
    assert data["volunteer"]["hours_ledger"][0]["hours"] == "2.00"
    assert data["notice_acknowledgements"][0]["notice"] == "停水通知"
    assert data["notice_reads"][0]["notice"] == "停水通知"
    assert len(data["notifications"]) == Notification.objects.filter(recipient=a).count() > 0
    # Nothing of the neighbour's.
    assert a2.phone not in raw, raw[max(0, raw.find(a2.phone) - 400):raw.find(a2.phone) + 40]
    assert "罗大哥" not in raw
    assert "邻居的话" not in raw and "罗邻居" not in raw
    assert str(lives["neighbours"].voice.name) not in raw
    assert AuditEntry.objects.filter(action="account.export", actor=a).exists()


def test_a_forged_id_cannot_fetch_someone_elses_data(world, lives):
    a, a2 = world.resident_a, world.resident_a2
    c = client_for(a)
    for url in (reverse("portal:privacy_export_json") + f"?user={a2.pk}&id={a2.pk}",
                reverse("portal:privacy_export_zip") + f"?user={a2.pk}"):
        response = c.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert a2.phone.encode() not in body
    assert c.get(f"/me/data/export.json/{a2.pk}").status_code == 404
    assert c.get(f"/me/data/{a2.pk}/").status_code == 404
    # Signed out: to the sign-in page, nothing exported.
    response = Client().get(reverse("portal:privacy_export_json"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_zip_has_the_data_and_the_persons_photos_and_voice_notes(world, lives):
    response = client_for(world.resident_a).get(reverse("portal:privacy_export_zip"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"data.json", "README.txt", "index.html"} <= names
    readable = archive.read("index.html").decode()
    assert "楼道灯坏了" in readable and world.resident_a.phone in readable
    data = json.loads(archive.read("data.json"))
    closed = next(c for c in data["cases"] if c["id"] == lives["closed"].pk)
    assert f"files/{closed['voice']}" in names
    assert all(f"files/{p['file']}" in names for p in closed["photos"])
    chat_voice = next(m["voice"] for m in data["liaison_conversations"][0]["messages"]
                      if m["voice"])
    assert archive.read(f"files/{chat_voice}")[:4] == b"\x1a\x45\xdf\xa3"  # stored as WebM
    assert f"files/{lives['neighbours'].voice.name}" not in names
    assert not any(p.image.name in n for p in lives["neighbours"].photos.all() for n in names)


def test_export_costs_a_bounded_number_of_queries(world, lives, django_assert_max_num_queries):
    c = client_for(world.resident_a)
    c.get(reverse("portal:privacy"))  # the session and scope are warm
    with django_assert_max_num_queries(32):
        assert c.get(reverse("portal:privacy_export_json")).status_code == 200


def test_the_page_links_from_me_and_shows_counts(world, lives, django_assert_max_num_queries):
    c = client_for(world.resident_a)
    assert reverse("portal:privacy") in c.get(reverse("portal:me")).content.decode()
    with django_assert_max_num_queries(15):
        response = c.get(reverse("portal:privacy"))
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("portal:privacy_export_zip") in body
    assert reverse("portal:privacy_delete") in body
    assert "365" in body


# --- Deleting an account ---------------------------------------------------------------


def _figures(world):
    today = timezone.localdate()
    f = statistics.figures(start=today - timedelta(days=3), end=today + timedelta(days=1))
    return (f.total, f.closed, f.rated, f.satisfied, f.no_rating, f.by_category, f.by_grid,
            f.on_time)


def _files(case, *, kind=None, exclude=None):
    photos = case.photos.all()
    if kind:
        photos = photos.filter(kind=kind)
    if exclude:
        photos = photos.exclude(kind=exclude)
    return [n for p in photos for n in (p.image.name, p.medium.name, p.thumb.name)]


def test_deletion_anonymises_and_keeps_the_record(world, lives, django_capture_on_commit_callbacks):
    a, a2 = world.resident_a, world.resident_a2
    phone = a.phone
    typed = case_submit(reporter=a, category=category(), household=world.household_a,
                        description="韦阿姨家门口漏水，电话 137 0000 1111，门牌101")
    before = _figures(world)
    events_before = CaseEvent.objects.count()
    cases_before = Case.objects.count()
    closed_files = _files(lives["closed"], exclude=PhotoKind.RESULT)
    result_files = _files(lives["closed"], kind=PhotoKind.RESULT)
    closed_voice = lives["closed"].voice.name
    open_files = _files(lives["open"])
    neighbour_files = _files(lives["neighbours"]) + [lives["neighbours"].voice.name]
    chat_files = [n for p in MessagePhoto.objects.filter(message__conversation=lives["conversation"])
                  for n in (p.image.name, p.thumb.name)]
    neighbour_messages = list(lives["other_conversation"].messages.values_list("body", flat=True))
    neighbour_notes = Notification.objects.filter(recipient=a2).count()
    hours_entries = HoursEntry.objects.filter(volunteer=lives["volunteer"]).count()
    assert all(default_storage.exists(n) for n in closed_files + chat_files + [closed_voice])
    staff_client = client_for(world.worker_a)

    with django_capture_on_commit_callbacks(execute=True):
        counts = privacy.account_erase(user=a)

    a.refresh_from_db()
    # The account: anonymous, signed out, its phone free.
    assert a.phone is None and not a.is_active and a.erased_at
    assert a.display_name == a.first_name == a.last_name == a.email == ""
    assert not a.has_usable_password() and a.username == f"erased-{a.pk}"
    assert a.shown_name == "已注销居民"
    with translation.override("zh-hans"):
        assert str(a) == "已注销居民"
    assert not Residency.objects.filter(user=a, state=ResidencyState.VERIFIED).exists()
    assert not Notification.objects.filter(recipient=a).exists()
    assert not SmsMessage.objects.filter(phone=phone).exists()
    # The community's figures and the case history are as they were.
    assert _figures(world) == before
    assert CaseEvent.objects.count() == events_before
    assert Case.objects.count() == cases_before
    closed = Case.objects.get(pk=lives["closed"].pk)
    assert closed.reporter_id == a.pk and closed.rating == 5 and closed.status == Status.CLOSED
    assert closed.description == "楼道灯坏了"
    # What they typed keeps the problem, loses who they are.
    typed.refresh_from_db()
    assert typed.description == "已注销居民家门口漏水，电话 ［电话已删除］，门牌101"
    assert counts["case_texts_redacted"] == 1
    # Their voice notes and the photos they took on ended cases are gone, files too;
    # on a case still being handled the photos stay for the handler.
    assert not closed.voice
    assert list(closed.photos.values_list("kind", flat=True)) == [PhotoKind.RESULT]
    assert not any(default_storage.exists(n) for n in closed_files + [closed_voice])
    assert all(default_storage.exists(n) for n in result_files)
    assert all(default_storage.exists(n) for n in open_files)
    # Chat: their words, photos and voice notes are gone; the staff's reply stays.
    conv = Conversation.objects.get(pk=lives["conversation"].pk)
    assert conv.status == "closed"
    resident_bodies = list(conv.messages.filter(role="resident").values_list("body", flat=True))
    assert all("漏水" not in b for b in resident_bodies)
    assert not MessagePhoto.objects.filter(message__conversation=conv).exists()
    assert not conv.messages.exclude(voice="").exists()
    assert not any(default_storage.exists(n) for n in chat_files)
    assert conv.messages.filter(role="staff", body="您好，马上处理").exists()
    # Volunteering: the ledger stays, the place on the future task is given back.
    vol = lives["volunteer"]
    vol.refresh_from_db()
    assert vol.real_name == "已注销居民" and vol.phone == ""
    assert HoursEntry.objects.filter(volunteer=vol).count() == hours_entries
    assert vol.hours_total == 2
    assert Claim.objects.get(volunteer=vol).state == ClaimState.WITHDRAWN
    lives["task"].refresh_from_db()
    assert lives["task"].filled == 0
    # Every other person's data is untouched.
    a2.refresh_from_db()
    assert a2.is_active and a2.phone and not a2.erased_at
    assert all(default_storage.exists(n) for n in neighbour_files)
    assert list(lives["other_conversation"].messages.values_list("body", flat=True)) == \
        neighbour_messages
    assert Notification.objects.filter(recipient=a2).count() == neighbour_notes
    assert Residency.objects.filter(user=a2, state=ResidencyState.VERIFIED).exists()
    # One audit row with the counts.
    entry = AuditEntry.objects.get(action="account.erase")
    assert entry.object_id == str(a.pk) and entry.data["case_photos"] == counts["case_photos"] > 0
    # Staff see 已注销居民 where the reporter was, and no phone or name.
    page = staff_client.get(reverse("community:detail", args=[closed.pk])).content.decode()
    assert "已注销居民" in page and phone not in page and "韦阿姨" not in page
    bench = staff_client.get(reverse("community:workbench") + "?tab=all").content.decode()
    assert phone not in bench and "韦阿姨" not in bench
    open_page = staff_client.get(reverse("community:workbench")).content.decode()
    assert reverse("community:detail", args=[lives["open"].pk]) in open_page


def test_deletion_in_english_shows_the_translated_name(world):
    privacy.account_erase(user=world.resident_b)
    world.resident_b.refresh_from_db()
    with translation.override("en"):
        assert world.resident_b.shown_name == "Deleted resident"


def test_deletion_through_the_page_signs_out_and_the_phone_can_sign_up_again(
        world, lives, django_capture_on_commit_callbacks):
    a = world.resident_a
    phone = a.phone
    c = client_for(a)
    other_device = client_for(a)
    page = c.get(reverse("portal:privacy_delete"))
    assert page.status_code == 200 and "注销" in page.content.decode()

    # Bad input: a clear message, 400, nothing written.
    response = c.post(reverse("portal:privacy_delete"), {"confirm": "删除"})
    assert response.status_code == 400
    assert "请在框里输入“注销”" in response.content.decode()
    a.refresh_from_db()
    assert a.is_active and a.phone == phone
    assert not AuditEntry.objects.filter(action="account.erase").exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(reverse("portal:privacy_delete"), {"confirm": " 注 销 "})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:privacy_deleted")
    assert "已注销" in c.get(response["Location"]).content.decode()
    # Signed out here and on the other device; no stored session is left.
    for client in (c, other_device):
        r = client.get(reverse("portal:me"))
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert not [s for s in Session.objects.all()
                if s.get_decoded().get("_auth_user_id") == str(a.pk)]

    # The same phone signs up afresh, as a new person with nothing of the old one.
    fresh = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = fresh.post(reverse("account_signup"), {"phone": phone.removeprefix("+86")})
    assert response.status_code == 302
    code = re.search(r"(\d{6})", SmsMessage.objects.filter(phone=phone).latest("id").text)[1]
    assert fresh.post(reverse("account_verify_phone"), {"code": code}).status_code == 302
    new = User.objects.get(phone=phone)
    assert new.pk != a.pk and new.is_active and not new.erased_at
    data = json.loads(fresh.get(reverse("portal:privacy_export_json")).content)
    assert data["cases"] == [] and data["residencies"] == [] and data["volunteer"] is None


def test_a_second_deletion_is_refused(world):
    privacy.account_erase(user=world.resident_b)
    with pytest.raises(privacy.PrivacyError):
        privacy.account_erase(user=world.resident_b)


@pytest.mark.parametrize("role", ["head_a", "worker_a", "handler", "liaison", "admin"])
def test_a_staff_role_is_refused_until_the_admin_removes_it(world, role):
    person = getattr(world, role)
    with pytest.raises(privacy.PrivacyError) as exc:
        privacy.account_erase(user=person)
    assert "社区管理员解除" in str(exc.value)
    c = client_for(person)
    page = c.get(reverse("portal:privacy_delete")).content.decode()
    assert "社区管理员解除" in page and 'name="confirm"' not in page
    response = c.post(reverse("portal:privacy_delete"), {"confirm": "注销"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.is_active and person.phone and not person.erased_at
    assert not AuditEntry.objects.filter(action="account.erase").exists()


def test_superuser_is_refused(world):
    world.stranger.is_superuser = True
    world.stranger.save(update_fields=["is_superuser"])
    assert privacy.erase_blockers(world.stranger)
    with pytest.raises(privacy.PrivacyError):
        privacy.account_erase(user=world.stranger)


def test_delete_needs_post_and_sign_in(world):
    assert Client().get(reverse("portal:privacy_delete")).status_code == 302
    assert client_for(world.resident_a).put(reverse("portal:privacy_delete")).status_code == 405
    assert Client().post(reverse("portal:privacy_delete"), {"confirm": "注销"}).status_code == 302
    world.resident_a.refresh_from_db()
    assert world.resident_a.is_active


# --- Retention -------------------------------------------------------------------------


def _age(case, days):
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=days))


def test_retention_removes_media_of_old_closed_cases_and_chats_only(
        world, lives, django_capture_on_commit_callbacks):
    old, recent = lives["neighbours"], lives["closed"]
    _age(old, 400)
    _age(recent, 10)
    old_open = lives["open"]
    Case.objects.filter(pk=old_open.pk).update(created_at=timezone.now() - timedelta(days=500))
    old_files = _files(old) + [old.voice.name]
    keep_files = _files(recent) + [recent.voice.name] + _files(old_open)
    old_chat = lives["other_conversation"]
    Conversation.objects.filter(pk=old_chat.pk).update(
        closed_at=timezone.now() - timedelta(days=400))
    old_chat_files = [p.image.name for p in MessagePhoto.objects.filter(
        message__conversation=old_chat)]
    open_chat_files = [p.image.name for p in MessagePhoto.objects.filter(
        message__conversation=lives["conversation"])]
    assert old_chat_files and open_chat_files
    events = CaseEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        counts = privacy.retention_sweep()

    assert counts["case_photos"] == 1 and counts["case_voice"] == 1
    assert counts["chat_photos"] == 1
    assert counts["files"] == 3 + 1 + 3
    old.refresh_from_db()
    assert not old.photos.exists() and not old.voice
    assert old.status == Status.CLOSED and old.rating == 5 and old.description
    assert not any(default_storage.exists(n) for n in old_files + old_chat_files)
    assert all(default_storage.exists(n) for n in keep_files + open_chat_files)
    assert Message.objects.filter(conversation=old_chat, body="邻居的话").exists()
    assert CaseEvent.objects.count() == events
    entry = AuditEntry.objects.get(action="privacy.retention")
    assert entry.data["case_photos"] == 1 and entry.data["days"] == 365

    # A second run finds nothing more, and says so.
    assert privacy.retention_sweep()["files"] == 0
    assert AuditEntry.objects.filter(action="privacy.retention").count() == 2


def test_retention_follows_the_setting_and_can_be_off(world, lives,
                                                       django_capture_on_commit_callbacks):
    _age(lives["neighbours"], 40)
    setting = RetentionSettings.load()
    setting.media_days = 0
    setting.save()
    assert privacy.retention_sweep()["files"] == 0
    assert lives["neighbours"].photos.exists()
    setting.media_days = 30
    setting.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.retention_sweep()["case_photos"] == 1
    assert not lives["neighbours"].photos.exists()


def test_retention_works_in_batches(world, lives, django_capture_on_commit_callbacks):
    for _ in range(3):
        CasePhoto(case=lives["neighbours"], kind=PhotoKind.REPORT).save()
    _age(lives["neighbours"], 400)
    with django_capture_on_commit_callbacks(execute=True):
        counts = privacy.retention_sweep(batch=2)
    assert counts["case_photos"] == 4
    assert not lives["neighbours"].photos.exists()


def test_retention_is_a_periodic_job():
    discover()
    job = REGISTRY["portal.tasks.remove_old_media"]
    assert job.seconds <= 24 * 60 * 60
    result = job.task.enqueue()
    assert result.return_value["files"] == 0


def test_points_ledger_untouched_by_deletion(world, lives):
    before = list(PointsEntry.objects.filter(volunteer=lives["volunteer"])
                  .values_list("points", "reason"))
    privacy.account_erase(user=world.resident_a)
    after = list(PointsEntry.objects.filter(volunteer=lives["volunteer"])
                 .values_list("points", "reason"))
    assert after == before


def test_community_admins_change_the_retention_in_the_wagtail_admin(world):
    # What the migration grants (again: a transactional test may have flushed the group).
    from django.apps import apps

    import_string("portal.migrations.0006_retention_settings_for_community_admins.grant")(
        apps, None)
    world.admin.groups.add(Group.objects.get(name="社区管理员"))
    c = client_for(world.admin)
    url = c.get(reverse("wagtailsettings:edit", args=["portal", "retentionsettings"]))["Location"]
    assert "365" in c.get(url).content.decode()
    response = c.post(url, {"media_days": "180"})
    assert response.status_code == 302
    assert RetentionSettings.load().media_days == 180
    response = c.post(url, {"media_days": "-5"})
    assert response.status_code == 200  # the form again, with its error
    assert RetentionSettings.load().media_days == 180
    resident = client_for(world.resident_a).get(url)
    assert resident.status_code in (302, 403)


def test_what_deletion_writes_into_the_records_is_in_the_sites_language(world):
    from django.utils import translation

    from buildings.models import Residency

    with translation.override("en"):  # the leaver reads English
        privacy.account_erase(user=world.resident_b)
    ended = Residency.objects.filter(user=world.resident_b).latest("pk")
    assert ended.reason == "账号已注销"
