"""Create 仫佬家园 with demo data. Safe to run again: it adds what is missing."""

from importlib import import_module

from django.core.management.base import BaseCommand

DEMO_APPS = ["buildings", "community", "community.liaison", "notices", "volunteers",
             "buildings.patrols"]


class Command(BaseCommand):
    help = "Load the demo community, register and one account per role (idempotent)."

    def handle(self, *args, **options):
        self.stdout.write("Loading demo data…")
        for app in DEMO_APPS:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            module.load(stdout=self.stdout)
        from buildings.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

        self.stdout.write(self.style.SUCCESS("Demo accounts (手机号 / 密码 password):"))
        for _key, phone, name, what in DEMO_ACCOUNTS:
            self.stdout.write(f"  {phone} / {DEMO_PASSWORD}   {name}  {what}")
        self.stdout.write("  Or sign in with an SMS code: codes are printed here and kept "
                          "in the SMS outbox (/admin/ → 短信发件箱).")
