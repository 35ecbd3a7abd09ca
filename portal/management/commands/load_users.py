"""People for the load test (scripts/load): residents in the demo flats, grid workers, sessions.

Run after ``demo_data``. Residents ``load-r-0000`` … get a verified residency in
distinct demo households (spread over the 24 buildings, so their reports land
in every grid); grid workers ``load-g-00`` … each cover one of the grids that
has buildings. Existing load users are kept (safe to run again). Every run
makes a fresh signed-in session per person, as a phone that signed in once
would hold, and writes their keys as JSON:

    {"residents": ["<session key>", ...], "staff": ["<session key>", ...]}

Sessions are made here, not through the sign-in form: signing in is once per
phone every 60 days, and allauth's rate limits (per IP) would refuse a crowd
of load users signing in from one address. Passwords are unusable.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.module_loading import import_string

from buildings.choices import Relation, ResidencyState
from buildings.models import Building, Grid, GridWorker, Household, Residency
from portal.models import User

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _session(store_class, user: User) -> str:
    session = store_class()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def _user(username: str, phone: str, name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, phone=phone, phone_verified=True, display_name=name)
        user.set_unusable_password()
        user.save()
    return user


class Command(BaseCommand):
    help = "Create load-test residents and grid workers (idempotent) and print session keys."

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=120)
        parser.add_argument("--staff", type=int, default=12)
        parser.add_argument("--out", default="", help="write the JSON here (default: stdout)")

    def handle(self, *args, **options):
        households = list(Household.objects.filter(residencies__isnull=True)
                          .order_by("unit__building__number", "unit__number", "number")
                          .values_list("pk", flat=True))
        grids = list(Grid.objects.filter(pk__in=Building.objects.values("grid"))
                     .order_by("path"))
        if not households or not grids:
            raise CommandError("No demo households or grids: run `manage.py demo_data` first.")
        count = options["residents"]
        # Every k-th free flat, so the residents are spread over all the buildings.
        step = max(1, len(households) // max(1, count))
        store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
        residents, staff = [], []
        with transaction.atomic():
            for i in range(count):
                user = _user(f"load-r-{i:04d}", f"+86136{i:08d}", f"压测居民{i}")
                if not user.residencies.exists():
                    if i * step >= len(households):
                        raise CommandError(f"Only {len(households)} free households.")
                    Residency.objects.create(user=user, household_id=households[i * step],
                                             state=ResidencyState.VERIFIED,
                                             relation=Relation.HEAD)
                residents.append(user)
            for i in range(options["staff"]):
                user = _user(f"load-g-{i:02d}", f"+86135{i:08d}", f"压测网格员{i}")
                GridWorker.objects.get_or_create(user=user, grid=grids[i % len(grids)])
                staff.append(user)
            keys = {"residents": [_session(store_class, u) for u in residents],
                    "staff": [_session(store_class, u) for u in staff]}
        text = json.dumps(keys)
        if options["out"]:
            Path(options["out"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"load users: {len(residents)} residents, {len(staff)} grid "
                              f"workers; sessions in {options['out']}")
        else:
            self.stdout.write(text)
