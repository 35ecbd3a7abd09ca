"""Query budgets of the county's pages: the same count for a county ten times the size."""

import pytest
from django.urls import reverse

from buildings.models import Community, RegionAdmin
from community.county.generate import generate
from community.county.rollups import refresh
from community.county.tests.test_views import _client
from portal.models import User


def _queries_for(django_assert_max_num_queries, client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_generator_and_constant_query_counts(django_assert_max_num_queries):
    """Pages cost the same number of queries for a county ten times the size."""
    counts = []
    for scale, name in ((0.0005, "小县"), (0.005, "大县")):
        county = generate(scale=scale, name=name, log=lambda *_: None)
        refresh()
        assert Community.objects.filter(township__parent=county).count() >= 2
        admin = User.objects.create_user(username=f"admin-{name}", password="x")
        RegionAdmin.objects.create(user=admin, region=county)
        town = county.children.first()
        c = _client(admin)
        community = Community.objects.filter(township=town).first()
        counts.append([
            _queries_for(django_assert_max_num_queries, c,
                         reverse("county:region", args=[county.pk])),
            _queries_for(django_assert_max_num_queries, c,
                         reverse("county:region", args=[town.pk])),
            _queries_for(django_assert_max_num_queries, c,
                         reverse("county:supervision", args=[town.pk])),
            _queries_for(django_assert_max_num_queries, c,
                         reverse("county:community_cases", args=[community.pk])),
        ])
    from community.models import Case

    assert Case.objects.count() >= 5000
    assert counts[0] == counts[1], counts
    assert max(counts[1]) <= 12, counts
