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


def test_only_our_upload_folders_are_looked_at(world, media):
    (media / "original_images").mkdir()
    (media / "original_images" / "notice.jpg").write_bytes(b"wagtail's own")
    (media / "stray.txt").write_bytes(b"top level")
    _age(media, 30)
    assert media_sweep_orphans(now=timezone.now() + timedelta(days=1))["removed"] == 0
    assert _files(media) == ["original_images/notice.jpg", "stray.txt"]
    folders = upload_folders()
    assert {"cases/", "community/", "liaison/", "disputes/"} <= set(folders)
    assert "original_images/" not in folders
