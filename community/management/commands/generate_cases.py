"""Fill the database with many cases, for benchmarks: ``generate_cases --count 100000``.

Bulk inserts, no notifications, no files: cases in every state spread over the
last year, across every household and category, each with its ``submit``
event and (past the first step) one event for the state it is in. Needs the
register and the categories (``demo_data`` or ``buildings.demo`` + ``community.demo``).
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from buildings.choices import ResidencyState
from buildings.models import Department, Household, Residency
from community import workdays
from community.choices import Channel, EventKind, Priority, Status
from community.models import Case, CaseEvent, Category
from portal.models import User

MIX = [  # state, share, the event that brought it there
    (Status.SUBMITTED, 8, None), (Status.TRIAGED, 7, EventKind.TRIAGE),
    (Status.DISPATCHED, 10, EventKind.DISPATCH), (Status.IN_PROGRESS, 10, EventKind.ACCEPT),
    (Status.RESOLVED, 5, EventKind.RESOLVE), (Status.CLOSED, 57, EventKind.CONFIRM),
    (Status.DECLINED, 3, EventKind.DECLINE),
]


class Command(BaseCommand):
    help = "Generate many cases quickly (bulk_create), for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=20261126)
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, count, seed, batch, **options):
        rng = random.Random(seed)
        started = time.perf_counter()
        households = list(Household.objects.select_related("unit__building"))
        categories = list(Category.objects.all())
        departments = list(Department.objects.all())
        if not households or not categories:
            raise CommandError("No register or no categories: run demo_data first.")
        reporters = self._reporters(households)
        states = [s for s, share, _e in MIX for _ in range(share)]
        event_for = {s: e for s, _share, e in MIX}
        now = timezone.now()
        due_cache: dict = {}
        made = 0
        while made < count:
            n = min(batch, count - made)
            cases, finals = [], []
            for _ in range(n):
                household = rng.choice(households)
                reporter = reporters.get(household.pk)
                category = rng.choice(categories)
                state = rng.choice(states)
                created = now - timedelta(minutes=rng.randint(0, 365 * 24 * 60))
                day = created.date()
                if day not in due_cache:
                    due_cache[day] = workdays.deadline(created, category.days_normal)
                dispatched = state not in (Status.SUBMITTED, Status.TRIAGED, Status.DECLINED)
                final = state in (Status.CLOSED, Status.DECLINED)
                rated = state == Status.CLOSED and rng.random() < 0.8
                cases.append(Case(
                    community_id=household.unit.building.community_id, category=category,
                    priority=rng.choice([Priority.NORMAL] * 8 + [Priority.HIGH, Priority.URGENT]),
                    description=f"自动生成的诉求 {made}", status=state, household=household,
                    building=household.unit.building, unit=household.unit,
                    grid_id=household.unit.building.grid_id, reporter_id=reporter,
                    channel=Channel.SELF, created_at=created, updated_at=created,
                    due_at=due_cache[day],
                    department=rng.choice(departments) if dispatched and departments else None,
                    resolved_at=created + timedelta(days=2) if state in (
                        Status.RESOLVED, Status.CLOSED) else None,
                    closed_at=created + timedelta(days=3) if final else None,
                    fixed=True if rated else None, rating=rng.choice([3, 4, 5, 5, 5])
                    if rated else None, no_rating=state == Status.CLOSED and not rated,
                ))
                finals.append(state)
                made += 1
            with transaction.atomic():
                Case.objects.bulk_create(cases, batch_size=batch)
                events = []
                for case, state in zip(cases, finals, strict=True):
                    events.append(CaseEvent(case=case, kind=EventKind.SUBMIT, actor_id=case.reporter_id,
                                            at=case.created_at, to_status=Status.SUBMITTED))
                    if event_for[state]:
                        events.append(CaseEvent(case=case, kind=event_for[state],
                                                at=case.created_at + timedelta(hours=1),
                                                to_status=state))
                CaseEvent.objects.bulk_create(events, batch_size=batch)
        self.stdout.write(f"generated {made} cases in {time.perf_counter() - started:.1f} s "
                          f"({Case.objects.count()} in the database)")

    def _reporters(self, households) -> dict[int, int]:
        """One account per household (existing residents first, then made up)."""
        have = dict(Residency.objects.filter(state=ResidencyState.VERIFIED)
                    .values_list("household_id", "user_id"))
        missing = [h for h in households if h.pk not in have]
        if missing:
            users = [User(username=f"gen-{h.pk}", phone=f"+8617{h.pk:09d}", display_name="居民",
                          password="!") for h in missing]
            User.objects.bulk_create(users, batch_size=2000, ignore_conflicts=True)
            by_name = dict(User.objects.filter(username__startswith="gen-")
                           .values_list("username", "pk"))
            Residency.objects.bulk_create(
                [Residency(user_id=by_name[f"gen-{h.pk}"], household=h,
                           state=ResidencyState.VERIFIED) for h in missing
                 if f"gen-{h.pk}" in by_name], batch_size=2000, ignore_conflicts=True)
            have.update({h.pk: by_name[f"gen-{h.pk}"] for h in missing if f"gen-{h.pk}" in by_name})
        return have
