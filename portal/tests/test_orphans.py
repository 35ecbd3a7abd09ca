"""Files left behind by a rolled-back transaction are swept; nothing referenced ever is."""

import os
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from community.models import Case, CasePhoto
from community.services import case_submit
from community.tests.factories import category, jpeg
from portal.models import AuditEntry
from portal.orphans import media_sweep_orphans, upload_folders
from portal.tests import upload_samples
from portal.uploads import clean_photo

pytestmark = pytest.mark.django_db


def wav(seconds):
    return SimpleUploadedFile("v.wav", upload_samples.wav(seconds), content_type="audio/wav")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _age(root, days):
    past = time.time() - days * 86400
    for p in root.rglob("*"):
        if p.is_file():
            os.utime(p, (past, past))


def test_a_rolled_back_report_leaves_files_that_the_sweep_removes(world, media):
    kept = case_submit(reporter=world.resident_a, category=category(), description="灯坏了",
                       photos=[jpeg()], voice=wav(3))
    kept_files = _files(media)
    assert len(kept_files) == 4  # three photo sizes and the voice note

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction.atomic():
        case_submit(reporter=world.resident_b, category=category(), description="漏水",
                    photos=[jpeg(), jpeg()], voice=wav(2))
        raise Refused
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1
    orphans = sorted(set(_files(media)) - set(kept_files))
    assert len(orphans) == 7  # 2 photos × 3 sizes + a voice note, with no row

    # Young files may belong to a transaction still running: kept.
    counts = media_sweep_orphans()
    assert counts["removed"] == 0 and counts["kept_young"] == 7
    assert not AuditEntry.objects.filter(action="media.sweep_orphans").exists()

    _age(media, 2)
    counts = media_sweep_orphans()
    assert counts == {"checked": 11, "removed": 7, "kept_young": 0}
    assert _files(media) == kept_files
    entry = AuditEntry.objects.get(action="media.sweep_orphans")
    assert entry.data["removed"] == 7

    # The case that was kept still has every file.
    kept.refresh_from_db()
    photo = kept.photos.get()
    for f in (photo.image, photo.medium, photo.thumb, kept.voice):
        assert (media / f.name).exists()


def test_every_upload_folder_is_swept_patrols_notices_and_chat_too(world, media):
    """A request killed before its commit leaves files in every app that takes uploads:
    a patrol visit (photos, voice), a notice's photo (a Wagtail image), a chat photo.
    The sweep once skipped patrols/ (an app missing from a hand-kept list) and
    Wagtail's original_images/ (a notice photo is saved in the notice's transaction)."""
    from buildings.patrols.services import visit_record
    from community.liaison import services as chat
    from notices.choices import Category as NoticeCategory
    from notices.services import notice_post

    kept_visit = visit_record(actor=world.worker_a, household=world.household_a, met="head",
                              photos=[jpeg()], voice=wav(2))
    kept_notice, _ = notice_post(author=world.head_a, title="停水通知",
                                 category=NoticeCategory.OTHER, text="明天停水",
                                 building_ids=[world.building_a.pk], photo=jpeg())
    chat.staff_set_duty(staff=world.liaison, on=True)
    conversation, _ = chat.conversation_open(resident=world.resident_a)
    kept_files = _files(media)

    class Killed(Exception):
        pass

    with pytest.raises(Killed), transaction.atomic():
        visit_record(actor=world.worker_a, household=world.household_a, met="head",
                     photos=[jpeg()], voice=wav(2))
        raise Killed
    with pytest.raises(Killed), transaction.atomic():
        notice_post(author=world.head_a, title="停电通知", category=NoticeCategory.OTHER,
                    text="后天停电", building_ids=[world.building_a.pk], photo=jpeg())
        raise Killed
    with pytest.raises(Killed), transaction.atomic():
        chat.message_post(conversation=conversation, sender=world.resident_a, body="看图",
                          client_key="k1", photo=clean_photo(jpeg()))
        raise Killed
    orphans = sorted(set(_files(media)) - set(kept_files))
    folders = {name.split("/", 1)[0] for name in orphans}
    assert folders == {"patrols", "original_images", "liaison"}, orphans

    _age(media, 2)
    counts = media_sweep_orphans()
    assert counts["removed"] == len(orphans), (counts, orphans)
    assert _files(media) == kept_files
    kept_visit.refresh_from_db()
    assert (media / kept_visit.voice.name).exists()
    for photo in kept_visit.photos.all():
        assert (media / photo.image.name).exists()
    image = next(b.value for b in kept_notice.specific.body if b.block_type == "image")
    assert (media / image.file.name).exists()


def test_only_our_upload_folders_are_looked_at(world, media):
    (media / "original_images").mkdir()
    (media / "original_images" / "notice.jpg").write_bytes(b"no row: a killed notice")
    (media / "documents").mkdir()
    (media / "documents" / "minutes.pdf").write_bytes(b"no row: a killed upload")
    (media / "stray.txt").write_bytes(b"top level")
    (media / "elsewhere").mkdir()
    (media / "elsewhere" / "x.bin").write_bytes(b"no field writes here")
    _age(media, 30)
    assert media_sweep_orphans(now=timezone.now() + timedelta(days=1))["removed"] == 2
    assert _files(media) == ["elsewhere/x.bin", "stray.txt"]
    folders = upload_folders()
    assert {"cases/", "community/", "liaison/", "disputes/", "patrols/", "original_images/",
            "images/", "documents/"} <= set(folders)
