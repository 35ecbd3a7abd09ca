"""Enqueue periodic jobs when they are due (production: run exactly one)."""

from django.core.management.base import BaseCommand

from portal.periodic import discover, run_due, tick_forever


class Command(BaseCommand):
    help = "Enqueue periodic background jobs as they fall due, forever."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0)
        parser.add_argument("--once", action="store_true", help="run what is due, then stop")

    def handle(self, *args, **options):
        if options["once"]:
            discover()
            for name in run_due():
                self.stdout.write(f"enqueued {name}")
            return
        tick_forever(options["interval"])
