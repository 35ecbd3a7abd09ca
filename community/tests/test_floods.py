"""A flood of case reports from one person: the limit holds however many arrive at once."""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from community.models import Case
from portal import limits

from .factories import category

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """One moment in the middle of every window: a flood never straddles two periods."""
    monkeypatch.setattr(limits, "_now", lambda: 1_000_000_005.0)


def _report(world, code):
    return {"category": code, "where": f"h{world.household_a.pk}",
            "description": "楼道灯不亮", "client_key": str(uuid.uuid4())}


def test_twenty_reports_at_once_only_the_limit_is_accepted(world):
    code = category().code
    limit = limits.windows("case_report")[0][0]
    clients = []
    for _i in range(20):
        client = Client()
        client.force_login(world.resident_a)
        clients.append(client)

    def post(i):
        try:
            return clients[i].post(reverse("community:new"), _report(world, code),
                                   HTTP_ACCEPT="application/json")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(post, range(20)))
    assert sorted(r.status_code for r in responses) == [200] * limit + [429] * (20 - limit)
    assert Case.objects.filter(reporter=world.resident_a).count() == limit == 5
    refused = next(r for r in responses if r.status_code == 429)
    assert json.loads(refused.content)["message"].startswith("报得太频繁了。")
    assert int(refused["Retry-After"]) > 0
    # Without JavaScript: the 429 page, in plain words.
    page = clients[0].post(reverse("community:new"), _report(world, code))
    assert page.status_code == 429 and "报得太频繁了。" in page.content.decode()
    # A neighbour is not held up by it.
    neighbour = Client()
    neighbour.force_login(world.resident_a2)
    data = _report(world, code) | {"where": f"h{world.household_a2.pk}"}
    assert neighbour.post(reverse("community:new"), data).status_code == 303


def test_three_reports_in_a_minute_are_fine(world):
    code = category().code
    client = Client()
    client.force_login(world.resident_a)
    for _i in range(3):
        assert client.post(reverse("community:new"), _report(world, code)).status_code == 303
    assert Case.objects.filter(reporter=world.resident_a).count() == 3
