"""The statistics screen: figures, satisfaction with no-answers apart, exports, access."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from community.choices import Status
from community.services import case_give_feedback, cases_close_unrated
from community.statistics import figures

from .factories import case_in


@pytest.fixture
def admin_client(world):
    world.admin.user_permissions.add(Permission.objects.get(codename="access_admin"))
    c = Client()
    c.force_login(world.admin)
    return c


def test_figures_keep_answers_and_no_answers_apart(world):
    from django.utils import timezone

    case_in(world, Status.CLOSED)  # rated 5
    low = case_in(world, Status.RESOLVED)
    case_give_feedback(actor=world.resident_a, case_id=low.pk, fixed=True, rating=4)
    silent = case_in(world, Status.RESOLVED)
    cases_close_unrated(now=timezone.now() + timezone.timedelta(days=30))
    case_in(world, Status.SUBMITTED)
    today = timezone.localdate()
    f = figures(community_ids=[world.community.pk], start=today, end=today)
    assert f.total == 4 and f.closed == 3
    assert (f.rated, f.satisfied, f.no_rating) == (2, 2, 1)
    assert f.satisfaction_rate == 100.0
    assert {b["label"] for b in f.by_department} >= {"物业"}
    assert silent.pk


def test_statistics_page_and_exports(world, admin_client):
    case_in(world, Status.CLOSED)
    url = reverse("community_statistics")
    page = admin_client.get(url)
    assert page.status_code == 200 and "满意率" in page.content.decode()
    csv = admin_client.get(url + "?export=csv")
    assert csv["Content-Type"].startswith("text/csv") and "满意" in csv.content.decode("utf-8")
    xlsx = admin_client.get(url + "?export=xlsx")
    assert xlsx.content[:2] == b"PK"


def test_statistics_only_for_admins(world):
    world.worker_a.user_permissions.add(Permission.objects.get(codename="access_admin"))
    c = Client()
    c.force_login(world.worker_a)
    assert c.get(reverse("community_statistics")).status_code in (302, 403)
