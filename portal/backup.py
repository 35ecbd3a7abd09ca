"""Backups that restore: the database and the uploaded files in one archive.

One archive, ``jiayuan-backup-YYYYmmdd-HHMMSS.tar``, holds:

- ``manifest.json``: when, from which database engine, the row count of every
  model and the SHA-256 of every media file (the restore checks both);
- ``database.sqlite3`` (embedded default: SQLite's online backup API, taken
  while the site runs, WAL included) or ``database.pgdump`` (``pg_dump -Fc``);
- ``media/...``: every file under MEDIA_ROOT that a row of the snapshot points to.

Restoring (``manage.py restore ARCHIVE``) goes into an *empty* installation:
an empty database (no tables) and an empty MEDIA_ROOT, and then checks that
every row count and every file hash matches the manifest. Media kept in S3
(``MEDIA_STORAGE=s3``) is not copied: back up the bucket with the provider's
versioning instead; the manifest says so.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import FileField
from django.utils import timezone

FORMAT = 1
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"


class BackupError(Exception):
    """Something that stops a backup or a restore, said plainly."""


@dataclass
class RestoreReport:
    archive: Path
    rows: int = 0
    files: int = 0
    count_mismatches: dict[str, tuple[int, int]] = field(default_factory=dict)
    missing_files: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.count_mismatches or self.missing_files or self.changed_files)


# --- What there is -------------------------------------------------------------


def _wrapper(using: str | BaseDatabaseWrapper) -> BaseDatabaseWrapper:
    return connections[using] if isinstance(using, str) else using


def _tables():
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        yield meta


def _count_rows(cursor, quote) -> dict[str, int]:
    counts = {}
    for meta in _tables():
        cursor.execute(f"SELECT COUNT(*) FROM {quote(meta.db_table)}")
        counts[meta.label] = cursor.fetchone()[0]
    return dict(sorted(counts.items()))


def _referenced_files(cursor, quote) -> set[str]:
    """Every file name a row points to (all FileFields: ours, Wagtail's images and documents)."""
    names: set[str] = set()
    for meta in _tables():
        for f in meta.local_concrete_fields:
            if isinstance(f, FileField):
                cursor.execute(f"SELECT DISTINCT {quote(f.column)} FROM {quote(meta.db_table)} "
                               f"WHERE {quote(f.column)} IS NOT NULL AND {quote(f.column)} <> ''")
                names.update(row[0] for row in cursor.fetchall())
    return names


def model_counts(using: str | BaseDatabaseWrapper = "default") -> dict[str, int]:
    """Rows of every concrete model (many-to-many tables included), by ``app.Model``.

    ``using`` is an alias or a connection made for the purpose (a database being
    restored need not be one of the installation's aliases).
    """
    connection = _wrapper(using)
    with connection.cursor() as cursor:
        return _count_rows(cursor, connection.ops.quote_name)


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _snapshot_taken() -> None:
    """Called once the database snapshot exists and before it is read: the site goes
    on writing from here (the backup test writes here to prove it changes nothing)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, by its path relative to it (posix)."""
    root = Path(root)
    if not root.is_dir():
        return {}
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[path.relative_to(root).as_posix()] = sha256_of(path)
    return found


def _media_is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def _engine(using: str | BaseDatabaseWrapper = "default") -> str:
    vendor = _wrapper(using).vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"cannot back up a {vendor} database")
    return vendor


# --- PostgreSQL tools ---------------------------------------------------------


def _pg_args(db: dict) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _pg_tool(name: str) -> str:
    """The pg_dump/pg_restore that matches the newest installed server (Debian's layout)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/" + name),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                      else 0)
    if versions:
        return str(versions[-1])
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _pg_dump_in_one_snapshot(db: dict, out: Path) -> tuple[dict[str, int], set[str]]:
    """``pg_dump`` of an exported snapshot, and the counts and file names read in that
    same snapshot, so the manifest describes exactly what the dump holds even while
    residents go on writing."""
    import psycopg  # noqa: PLC0415 (lazy: only on PostgreSQL)

    kwargs = {"dbname": db["NAME"], "connect_timeout": 10}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"),
                      ("PASSWORD", "password")):
        if db.get(key):
            kwargs[name] = str(db[key])
    with psycopg.connect(**kwargs) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _snapshot_taken()
            args, env = _pg_args(db)
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl",
                  f"--snapshot={snapshot}", "--file", str(out), *args], env)

            def quote(name: str) -> str:
                return '"' + name.replace('"', '""') + '"'

            counts = _count_rows(cursor, quote)
            referenced = _referenced_files(cursor, quote)
        conn.rollback()
    return counts, referenced


def _run(cmd: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-2000:]}")


# --- Backup -------------------------------------------------------------------


def backup_create(*, out_dir: Path | str | None = None, using: str = "default",
                  include_media: bool = True) -> Path:
    """Write one archive of the database and MEDIA_ROOT; return its path.

    Safe while the site runs: SQLite's backup API copies a consistent snapshot
    and the manifest is read from that copy; on PostgreSQL a repeatable-read
    transaction exports its snapshot, pg_dump dumps that snapshot and the
    manifest's counts are read in it. Only the files that snapshot's rows
    point to go into the archive, so a restore checks clean however busy the
    site was.
    """
    engine = _engine(using)
    out_dir = Path(out_dir or getattr(settings, "BACKUP_DIR", "") or
                   os.environ.get("BACKUP_DIR") or Path(settings.BASE_DIR) / "var" / "backups")
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = out_dir / f"jiayuan-backup-{stamp}.tar"
    n = 1
    while target.exists():
        n += 1
        target = out_dir / f"jiayuan-backup-{stamp}-{n}.tar"
    media_root = Path(settings.MEDIA_ROOT)
    local_media = _media_is_local()

    with tempfile.TemporaryDirectory(prefix="jiayuan-backup-") as tmp:
        tmp = Path(tmp)
        connection = connections[using]
        if engine == "sqlite":
            member = SQLITE_MEMBER
            connection.ensure_connection()
            copy = sqlite3.connect(tmp / member)
            with copy:
                connection.connection.backup(copy)
            _snapshot_taken()
            # Counted and listed from the copy itself: what the archive holds.
            cursor = copy.cursor()
            counts = _count_rows(cursor, _sqlite_quote)
            referenced = _referenced_files(cursor, _sqlite_quote)
            copy.close()
        else:
            member = PG_MEMBER
            counts, referenced = _pg_dump_in_one_snapshot(connection.settings_dict, tmp / member)
        hashes, missing = {}, []
        if include_media and local_media:
            for name in sorted(referenced):
                path = media_root / name
                if path.is_file() and not path.is_symlink():
                    hashes[name] = sha256_of(path)
                else:
                    missing.append(name)
        manifest = {
            "format": FORMAT,
            "created": timezone.localtime().isoformat(),
            "engine": engine,
            "database_file": member,
            "counts": counts,
            "media": hashes,
            # Rows of the snapshot whose file was already gone from the disk.
            "media_missing": missing,
            "media_note": "" if local_media else "media in object storage: not in this archive",
        }
        partial = target.with_suffix(".tar.partial")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(tmp / member, arcname=member)
            for relative in hashes:
                tar.add(media_root / relative, arcname=f"media/{relative}")
        partial.replace(target)  # a half-written archive never has the final name
    return target


# --- Restore ------------------------------------------------------------------


def read_manifest(archive: Path | str) -> dict:
    with tarfile.open(archive, "r") as tar:
        try:
            handle = tar.extractfile("manifest.json")
        except KeyError:
            raise BackupError("not a Jiayuan backup: no manifest.json") from None
        manifest = json.load(handle)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def restore_archive(archive: Path | str, *, using: str | BaseDatabaseWrapper = "default",
                    media_root: Path | str | None = None, force: bool = False,
                    verify: bool = True) -> RestoreReport:
    """Restore an archive into an empty installation and check it against its manifest.

    ``using`` is the database alias (``default``: this installation) or a
    connection to restore into; ``media_root`` defaults to MEDIA_ROOT. Refuses a database
    that has tables or a MEDIA_ROOT that has files, unless ``force``. Then every
    model's row count (with ``verify``) and every file's hash are compared with
    the manifest; the report lists each difference.
    """
    archive = Path(archive)
    manifest = read_manifest(archive)
    target_connection = _wrapper(using)
    database = target_connection.settings_dict
    media_root = Path(media_root or settings.MEDIA_ROOT)
    engine = _engine(using)
    if engine != manifest["engine"]:
        raise BackupError(f"this backup is of a {manifest['engine']} database; "
                          f"the installation uses {engine}")
    if engine == "sqlite" and target_connection.is_in_memory_db():
        raise BackupError("cannot restore into an in-memory SQLite database")
    if not force:
        if target_connection.introspection.table_names():
            raise BackupError(f"the database {database['NAME']} is not empty")
        if media_root.is_dir() and any(media_root.iterdir()):
            raise BackupError(f"MEDIA_ROOT {media_root} is not empty")

    with tempfile.TemporaryDirectory(prefix="jiayuan-restore-") as tmp:
        tmp = Path(tmp)
        with tarfile.open(archive, "r") as tar:
            # The "data" filter refuses absolute paths, "..", links out and devices.
            tar.extractall(tmp, filter="data")
        dump = tmp / manifest["database_file"]
        if engine == "sqlite":
            target_connection.close()  # the file is about to be replaced
            target = Path(database["NAME"])
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            source = sqlite3.connect(dump)
            copy = sqlite3.connect(target)
            with copy:
                source.backup(copy)
            source.close()
            copy.close()
        else:
            args, env = _pg_args(database)
            extra = ["--clean", "--if-exists"] if force else []
            _run([_pg_tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error",
                  "--single-transaction", *extra, *args, str(dump)], env)
        media_root.mkdir(parents=True, exist_ok=True)
        extracted = tmp / "media"
        if extracted.is_dir():
            shutil.copytree(extracted, media_root, dirs_exist_ok=True)

    report = RestoreReport(archive=archive)
    if verify:
        target_connection.close()
        counts = model_counts(target_connection)
        for label, expected in manifest["counts"].items():
            got = counts.get(label, 0)
            if got != expected:
                report.count_mismatches[label] = (expected, got)
        report.rows = sum(counts.values())
    hashes = media_hashes(media_root)
    for relative, digest in manifest["media"].items():
        if relative not in hashes:
            report.missing_files.append(relative)
        elif hashes[relative] != digest:
            report.changed_files.append(relative)
    report.files = len(manifest["media"]) - len(report.missing_files)
    return report
