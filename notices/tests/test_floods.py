""""一键提醒" tapped many times at once: every unread household is told a few times, not each tap."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from notices.choices import Audience
from portal import limits
from portal.models import AuditEntry

from .helpers import make_notice

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """One moment in the middle of every window: a flood never straddles two periods."""
    monkeypatch.setattr(limits, "_now", lambda: 1_000_000_005.0)


def test_reminders_of_one_notice_tapped_at_once_only_one_goes_out(world):
    page = make_notice(title="居民大会", audience=Audience.BUILDINGS,
                       buildings=[world.building_a], ack_wanted=True, author=world.admin)
    limit = limits.windows("notice_remind")[0][0]
    clients = []
    for user in [world.head_a] * 6 + [world.worker_a] * 6:  # two people responsible
        client = Client()
        client.force_login(user)
        clients.append(client)

    def tap(i):
        try:
            return clients[i].post(reverse("notices:remind", args=[page.pk]), {"confirm": "yes"})
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(tap, range(12)))
    # Past the flood limit (at most ``limit`` taps) and the per-notice interval
    # (one conditional UPDATE), exactly one reminder goes out; the others are
    # told it was just done (302 back to the receipts) or to wait (429).
    codes = [r.status_code for r in responses]
    assert set(codes) <= {302, 429} and codes.count(429) <= 12 - 1
    assert AuditEntry.objects.filter(action="notice.remind").count() == 1
    assert limit == 3
    for refused in (r for r in responses if r.status_code == 429):
        assert "刚刚提醒过了。" in refused.content.decode() and int(refused["Retry-After"]) > 0


def test_one_author_reminding_many_notices_is_limited_too(world):
    client = Client()
    client.force_login(world.head_a)
    limit = limits.windows("notice_remind_author")[0][0]
    codes = []
    for i in range(limit + 1):
        page = make_notice(title=f"通知{i}", audience=Audience.BUILDINGS,
                           buildings=[world.building_a], ack_wanted=True, author=world.admin)
        codes.append(client.post(reverse("notices:remind", args=[page.pk]),
                                 {"confirm": "yes"}).status_code)
    assert codes == [302] * limit + [429]
