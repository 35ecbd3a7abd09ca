"""``manage.py generate_county --scale 0.01``: a county as the seed describes it (see
``community.county.generate``), then its figures rebuilt."""

import time

from django.core.management.base import BaseCommand, CommandError

from community.county.generate import generate
from community.county.rollups import refresh


class Command(BaseCommand):
    help = "Generate the seed's county (142 communities, ~1M cases at --scale 1), bulk inserts."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=20261201)
        parser.add_argument("--name", default="罗城仫佬族自治县")

    def handle(self, *args, scale, seed, name, **options):
        if not 0 < scale <= 2:
            raise CommandError("--scale must be above 0 and at most 2.")
        started = time.perf_counter()
        county = generate(scale=scale, seed=seed, name=name, log=self.stdout.write)
        made = time.perf_counter() - started
        counts = refresh()
        self.stdout.write(f"county {county.pk} generated in {made:.1f} s; figures rebuilt in "
                          f"{time.perf_counter() - started - made:.1f} s ({counts})")
