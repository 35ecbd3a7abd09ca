"""Back up the database and the uploaded files into one archive (see portal/backup.py)."""

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, backup_create, read_manifest


class Command(BaseCommand):
    help = ("Write var/backups/jiayuan-backup-<time>.tar: the database (SQLite online "
            "backup or pg_dump -Fc), MEDIA_ROOT, and a manifest of row counts and file hashes.")

    def add_arguments(self, parser):
        parser.add_argument("--out", default=None,
                            help="folder for the archive (default: BACKUP_DIR or var/backups)")
        parser.add_argument("--no-media", action="store_true", help="the database only")
        parser.add_argument("--keep", type=int, default=0,
                            help="then delete all but the newest N archives in that folder")

    def handle(self, *args, **options):
        try:
            path = backup_create(out_dir=options["out"], include_media=not options["no_media"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = read_manifest(path)
        rows = sum(manifest["counts"].values())
        size = path.stat().st_size
        self.stdout.write(
            f"{path}\n  {manifest['engine']}: {rows} rows in {len(manifest['counts'])} tables; "
            f"{len(manifest['media'])} media files; {size / 1e6:.1f} MB"
        )
        if options["keep"] > 0:
            archives = sorted(path.parent.glob("jiayuan-backup-*.tar"))
            for old in archives[: -options["keep"]]:
                old.unlink()
                self.stdout.write(f"  removed {old.name}")
