"""Create 仫佬家园 with demo data. Safe to run again: it adds what is missing."""

from django.core.management.base import BaseCommand

from portal.discovery import app_modules


class Command(BaseCommand):
    help = "Load the demo community, register and one account per role (idempotent)."

    def handle(self, *args, **options):
        self.stdout.write("Loading demo data…")
        # Each app's demo.py, in INSTALLED_APPS order (buildings first: the others need it).
        for module in app_modules("demo"):
            module.load(stdout=self.stdout)
        from buildings.demo import DEMO_ACCOUNTS, DEMO_PASSWORD  # noqa: PLC0415 (layering: the register stands on portal; read at call time)

        self.stdout.write(self.style.SUCCESS("Demo accounts (手机号 / 密码 password):"))
        for _key, phone, name, what in DEMO_ACCOUNTS:
            self.stdout.write(f"  {phone} / {DEMO_PASSWORD}   {name}  {what}")
        self.stdout.write("  Or sign in with an SMS code: codes are printed here and kept "
                          "in the SMS outbox (/admin/ → 短信发件箱).")
