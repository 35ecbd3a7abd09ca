"""Backups that restore: fill every kind of record, back up, restore into an
empty installation (an empty database and an empty media folder), and find
every row of every model and every file, byte for byte.

Runs on whichever database the suite runs on: SQLite (the online backup API)
or PostgreSQL (pg_dump -Fc / pg_restore into a fresh empty database).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.utils import load_backend

from portal import backup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def fill(world) -> None:
    """A little of everything the community keeps."""
    from community.liaison import services as chat
    from community.tests.factories import case_in, jpeg
    from portal.services import notify
    from portal.sms import send_sms
    from volunteers import services as volunteering
    from volunteers.tests import factories as vf

    notify(recipient=world.resident_a, title="您的诉求已受理", body="网格员会联系您", sms=True)
    send_sms(phone="+8613800009999", text="测试短信", purpose="test")
    case_in(world, "submitted", photos=[jpeg("a.jpg"), jpeg("b.jpg", color=(10, 200, 10))])
    case_in(world, "submitted", reporter=world.resident_a2, household=world.household_a2,
            photos=[jpeg("c.jpg", color=(0, 0, 250))])
    chat.staff_set_duty(staff=world.liaison, on=True)
    conversation, _ = chat.conversation_open(resident=world.resident_b)
    chat.message_post(conversation=conversation, sender=world.resident_b, body="电梯不动了",
                      client_key="m1")
    chat.conversation_pick_up(conversation=conversation, staff=world.liaison)
    chat.message_post(conversation=conversation, sender=world.liaison, body="马上派人",
                      client_key="m2")
    volunteer = vf.volunteer(community=world.community)
    volunteering.ledger_correct(actor=world.admin, volunteer_id=volunteer.pk, hours=2,
                                points=30, reason="补录3月活动")


def _restored_database(tmp_path: Path):
    """A connection to a new, empty database of the same engine (not one of the aliases)."""
    source = connection.settings_dict
    target = {**source, "TEST": {}, "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True,
              "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "OPTIONS": {}, "TIME_ZONE": None}
    if connection.vendor == "sqlite":
        target["NAME"] = str(tmp_path / "restored.sqlite3")
    else:
        target["NAME"] = f"{source['NAME']}_restore_{secrets.token_hex(3)}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{target["NAME"]}"')
    return load_backend(target["ENGINE"]).DatabaseWrapper(target, alias="restored")


def _drop_restored(target) -> None:
    target.close()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f'DROP DATABASE IF EXISTS "{target.settings_dict["NAME"]}" WITH (FORCE)')


def test_backup_restores_every_row_and_every_file(world, media, tmp_path):
    fill(world)
    before = backup.model_counts()
    files = backup.media_hashes(media)
    # Everything the issue names is really there to be lost.
    for label in ("portal.User", "buildings.Residency", "portal.Notification",
                  "portal.SmsMessage", "community.Case", "community.CasePhoto",
                  "liaison.Message", "volunteers.PointsEntry", "volunteers.HoursEntry"):
        assert before.get(label, 0) > 0, label
    assert len(files) >= 3  # photos (and their smaller copies)

    archive = backup.backup_create(out_dir=tmp_path / "backups")
    assert archive.name.startswith("jiayuan-backup-") and archive.suffix == ".tar"
    manifest = backup.read_manifest(archive)
    assert manifest["counts"] == before
    assert manifest["media"] == files
    assert manifest["engine"] == connection.vendor

    target = _restored_database(tmp_path)
    fresh_media = tmp_path / "restored-media"
    try:
        report = backup.restore_archive(archive, using=target, media_root=fresh_media)
        assert report.ok, (report.count_mismatches, report.missing_files, report.changed_files)
        assert backup.model_counts(target) == before
        assert backup.media_hashes(fresh_media) == files
        # The restored records are the same records, not only as many.
        query = "SELECT id, description FROM community_case ORDER BY id"
        with target.cursor() as restored, connection.cursor() as live:
            restored.execute(query)
            live.execute(query)
            assert restored.fetchall() == live.fetchall()
    finally:
        _drop_restored(target)


def test_a_backup_taken_while_residents_write_restores_and_checks_clean(
        world, media, tmp_path, monkeypatch):
    """Counts and files come from the snapshot the dump holds, not from the live site.

    Before, the manifest was read from the live database and disk after the dump:
    on a busy site, 7 tables differed and 72 files nobody's row pointed to were
    archived, and the restore failed its own check.
    """
    from community.models import Case, CasePhoto
    from community.tests.factories import case_in, jpeg

    fill(world)
    before = backup.model_counts()
    referenced_before = set(CasePhoto.objects.values_list("image", flat=True))
    orphan = media / "community" / "orphan-of-a-killed-request.jpg"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"not referenced by any row")

    def residents_go_on_writing():
        # New rows and files after the snapshot: none of them belong in this backup.
        case_in(world, "submitted", reporter=world.resident_b, household=world.household_b,
                photos=[jpeg("during.jpg", color=(9, 9, 9))])
        Case.objects.filter(reporter=world.resident_a2).delete()

    monkeypatch.setattr(backup, "_snapshot_taken", residents_go_on_writing)
    archive = backup.backup_create(out_dir=tmp_path / "backups")
    manifest = backup.read_manifest(archive)
    assert manifest["counts"] == before
    assert referenced_before <= set(manifest["media"])
    assert "community/orphan-of-a-killed-request.jpg" not in manifest["media"]
    assert not any("during" in name for name in manifest["media"])

    target = _restored_database(tmp_path)
    try:
        report = backup.restore_archive(archive, using=target, media_root=tmp_path / "restored")
        assert report.ok, (report.count_mismatches, report.missing_files, report.changed_files)
        assert backup.model_counts(target) == before
    finally:
        _drop_restored(target)


def test_restore_refuses_an_installation_that_is_not_empty(world, media, tmp_path):
    fill(world)
    archive = backup.backup_create(out_dir=tmp_path)
    with pytest.raises(backup.BackupError, match="not empty|in-memory"):
        backup.restore_archive(archive, media_root=tmp_path / "elsewhere")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    target = _restored_database(tmp_path)
    try:
        with pytest.raises(backup.BackupError, match="MEDIA_ROOT"):
            backup.restore_archive(archive, using=target, media_root=tmp_path / "full",
                                   verify=False)
    finally:
        _drop_restored(target)


def test_restore_finds_a_missing_file_and_rejects_a_foreign_archive(world, media, tmp_path):
    fill(world)
    archive = backup.backup_create(out_dir=tmp_path)
    # Drop one photo from the archive: the restore says which.
    broken = tmp_path / "broken.tar"
    with tarfile.open(archive) as src, tarfile.open(broken, "w") as dst:
        dropped = None
        for member in src.getmembers():
            if member.name.startswith("media/") and dropped is None:
                dropped = member.name[len("media/"):]
                continue
            dst.addfile(member, src.extractfile(member))
    target = _restored_database(tmp_path)
    try:
        report = backup.restore_archive(broken, using=target, media_root=tmp_path / "m2",
                                        verify=False)
        assert report.missing_files == [dropped]
        assert not report.ok
    finally:
        _drop_restored(target)
    foreign = tmp_path / "foreign.tar"
    with tarfile.open(foreign, "w") as tar:
        tar.add(__file__, arcname="evil.py")
    with pytest.raises(backup.BackupError, match="manifest"):
        backup.read_manifest(foreign)


def test_backup_command_writes_one_archive_and_keeps_the_newest(world, media, tmp_path):
    fill(world)
    out = tmp_path / "b"
    for _ in range(3):
        call_command("backup", "--out", str(out), "--keep", "2", stdout=open("/dev/null", "w"))
    archives = sorted(out.glob("jiayuan-backup-*.tar"))
    assert len(archives) == 2
    manifest = json.loads(tarfile.open(archives[-1]).extractfile("manifest.json").read())
    assert manifest["counts"]["community.Case"] == 2


def test_restore_command_refuses_a_live_installation(world, media, tmp_path):
    fill(world)
    archive = backup.backup_create(out_dir=tmp_path)
    with pytest.raises(CommandError, match="not empty|in-memory"):
        call_command("restore", str(archive), stdout=open("/dev/null", "w"))


def test_backup_and_restore_commands_end_to_end_on_sqlite(tmp_path):
    """The documented commands, as an operator runs them, on the embedded default:
    migrate a new installation, back it up, restore into another empty one."""
    import os
    import sys

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.embedded"
    env["SECRET_KEY_FILE"] = str(tmp_path / "secret_key")

    def run(db: Path, media: Path, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=root, capture_output=True, text=True,
            env={**env, "SQLITE_PATH": str(db), "MEDIA_ROOT": str(media)}, timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    first, second = tmp_path / "one.sqlite3", tmp_path / "two.sqlite3"
    run(first, tmp_path / "m1", "migrate", "--noinput", "-v0")
    (tmp_path / "m1" / "documents").mkdir(parents=True)
    (tmp_path / "m1" / "documents" / "p.pdf").write_bytes(secrets.token_bytes(5000))
    (tmp_path / "m1" / "documents" / "nobodys.pdf").write_bytes(b"no row points here")
    run(first, tmp_path / "m1", "shell", "-c",
        "from wagtail.documents.models import Document; "
        "Document.objects.create(title='p', file='documents/p.pdf')")
    out = run(first, tmp_path / "m1", "backup", "--out", str(tmp_path / "b"))
    archive = out.split()[0]
    restored = run(second, tmp_path / "m2", "restore", archive)
    assert "all match" in restored
    assert (tmp_path / "m2" / "documents" / "p.pdf").read_bytes() == \
        (tmp_path / "m1" / "documents" / "p.pdf").read_bytes()
    assert not (tmp_path / "m2" / "documents" / "nobodys.pdf").exists()
