"""Volunteering's part of deleting an account (``volunteers.privacy``)."""

import pytest

from portal import privacy
from portal.models import AuditEntry
from volunteers import services
from volunteers.choices import ClaimState
from volunteers.models import Claim
from volunteers.services import claims, shop

from . import factories as vf

pytestmark = pytest.mark.django_db


def test_erase_locks_the_volunteer_before_the_task_and_moves_the_waiting_list_up(
        world, monkeypatch):
    leaver = vf.volunteer(community=world.community, user=world.resident_a, name="韦秀英")
    waiting = vf.volunteer(community=world.community, user=world.resident_b)
    task = vf.task(building=world.building_a, created_by=world.worker_a, places=1)
    services.task_claim(actor=leaver.user, task_id=task.pk)
    services.task_claim(actor=waiting.user, task_id=task.pk)

    locks = []
    lock_volunteer, lock_task = services._lock_volunteer, services._lock_task
    for module in (claims, shop):
        monkeypatch.setattr(module, "_lock_volunteer",
                            lambda pk: locks.append("volunteer") or lock_volunteer(pk))
        monkeypatch.setattr(module, "_lock_task",
                            lambda pk: locks.append("task") or lock_task(pk), raising=False)

    counts = privacy.account_erase(user=world.resident_a)

    # The order volunteers.services promises: volunteer first, then task.
    assert locks[:2] == ["volunteer", "task"]
    assert counts["claims_withdrawn"] == 1
    assert Claim.objects.get(volunteer=leaver).state == ClaimState.WITHDRAWN
    assert Claim.objects.get(volunteer=waiting).state == ClaimState.OFFERED
    assert AuditEntry.objects.filter(action="claim.withdraw", actor=world.resident_a,
                                     data__reason="account.erase").exists()
