"""Restore a backup archive into an empty installation, then check every row and file."""

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError, read_manifest, restore_archive


class Command(BaseCommand):
    help = ("Restore ARCHIVE (from manage.py backup) into this installation's empty "
            "database and empty MEDIA_ROOT, then compare every model's row count and "
            "every file's hash with the archive's manifest.")

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true",
                            help="restore over a database or MEDIA_ROOT that is not empty")

    def handle(self, *args, **options):
        try:
            manifest = read_manifest(options["archive"])
            self.stdout.write(f"restoring the {manifest['engine']} backup of "
                              f"{manifest['created']}")
            report = restore_archive(options["archive"], force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for label, (expected, got) in report.count_mismatches.items():
            self.stderr.write(f"  {label}: {got} rows, the backup had {expected}")
        for name in report.missing_files:
            self.stderr.write(f"  missing file: {name}")
        for name in report.changed_files:
            self.stderr.write(f"  changed file: {name}")
        if not report.ok:
            raise CommandError("the restored installation does not match the backup")
        self.stdout.write(f"  ok: {report.rows} rows, {report.files} media files, all match")
