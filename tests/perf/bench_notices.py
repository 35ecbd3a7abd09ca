"""Notices benchmark: the notice list with 10,000 notices and 1,000 households.

Prints the median server time (in-process, Django test client, signed-in verified
resident) and the query count of: the 通知 list, the archive, a Chinese search
("停水"), the home page, and the receipts overview of a building of 200
households for its building head. Asserts nothing about time. Runs on a
throw-away test database: SQLite by default, PostgreSQL when DATABASE_URL is set.

    .venv/bin/python tests/perf/bench_notices.py [NOTICES] [RUNS]
"""

import os
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

PHRASES = ["明天上午8点起停水，请提前储水。", "楼道漏水严重，物业正在维修。", "周六全天停电，请关好电器。",
           "居民大会在社区广场召开。", "防诈骗：陌生电话要转账一律是诈骗。", "垃圾分类从下周开始。",
           "义务理发、量血压，欢迎老人参加。", "电动车不要停在楼道里充电。"]


def build(notice_count: int):
    from buildings.models import Building, Household, Unit
    from buildings.tests import factories as f
    from notices.choices import Category
    from notices.services import ensure_notice_index
    from portal.site import ensure_home_page

    rng = random.Random(4)
    ensure_home_page()
    index = ensure_notice_index()
    community = f.CommunityFactory(name="基准社区")
    top = f.make_grid(code="B", community=community)
    grids = [f.make_grid(code=f"B-{i}", parent=top) for i in range(5)]
    buildings = [Building.objects.create(community=community, grid=grids[i], number=i + 1,
                                         name=f"{i + 1}栋", floors=20) for i in range(5)]
    for b in buildings:
        units = [Unit.objects.create(building=b, number=u) for u in range(1, 5)]
        Household.objects.bulk_create([
            Household(unit=units[n % 4], floor=n // 8 + 1, number=f"{n // 8 + 1}{n % 8:02d}",
                      head_name=f"户主{b.number}-{n}", phone=f"+86139{b.number:02d}{n:06d}")
            for n in range(200)])
    households = list(Household.objects.filter(unit__building=buildings[0])[:1])
    resident = f.resident_of(households[0])
    head = f.building_head(buildings[0])
    categories = list(Category.values)
    started = time.perf_counter()
    _bulk_notices(index, notice_count, rng, categories, buildings, grids)
    print(f"built {notice_count} notices, {Household.objects.count()} households "
          f"in {time.perf_counter() - started:.0f} s")
    return resident, head, buildings[0]


def _bulk_notices(index, count, rng, categories, buildings, grids) -> None:
    """10,000 live notices, straight into the tables (building them one by one
    through Wagtail takes half an hour; what is measured here is reading them)."""
    from collections import Counter

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone
    from wagtail.models import Page
    from wagtail.rich_text import RichText

    from notices.choices import Audience
    from notices.models import NoticePage, NoticeTerm
    from notices.search import TITLE_WEIGHT, terms_of

    ct = ContentType.objects.get_for_model(NoticePage)
    now = timezone.now()
    specs, pages = [], []
    for i in range(count):
        kind = rng.random()
        audience = (Audience.COMMUNITY if kind < 0.5 else
                    Audience.BUILDINGS if kind < 0.8 else Audience.GRIDS)
        title = f"通知{i}：" + rng.choice(PHRASES)[:8]
        text = [rng.choice(PHRASES) for _ in range(3)]
        slug = f"b-{uuid.uuid4().hex[:12]}"
        published = now - timedelta(minutes=count - i)
        pages.append(Page(
            title=title, draft_title=title, slug=slug, content_type=ct, locale_id=index.locale_id,
            path=Page._get_path(index.path, index.depth + 1, i + 1), depth=index.depth + 1,
            numchild=0, url_path=f"{index.url_path}{slug}/", live=True,
            has_unpublished_changes=False, first_published_at=published,
            last_published_at=published))
        specs.append((audience, kind, text))
    Page.objects.bulk_create(pages, batch_size=500)
    notices, grid_rows, building_rows, terms = [], [], [], []
    grid_through = NoticePage.audience_grids.through
    building_through = NoticePage.audience_buildings.through
    for page, (audience, kind, text) in zip(pages, specs, strict=True):
        ended = rng.random() < 0.1
        notices.append(NoticePage(
            page_ptr_id=page.pk, category=rng.choice(categories),
            body=[("paragraph", RichText("".join(f"<p>{t}</p>" for t in text)))],
            audience=audience, is_public=audience == Audience.COMMUNITY and kind < 0.4,
            pinned=rng.random() < 0.01, urgent=rng.random() < 0.02,
            ack_wanted=rng.random() < 0.2, ack_within_hours=24,
            ends_at=now - timedelta(days=1) if ended else None))
        if audience == Audience.BUILDINGS:
            building_rows.append(building_through(noticepage_id=page.pk,
                                                  building_id=rng.choice(buildings).pk))
        elif audience == Audience.GRIDS:
            grid_rows.append(grid_through(noticepage_id=page.pk, grid_id=rng.choice(grids).pk))
        weights = Counter()
        for term, n in terms_of(page.title).items():
            weights[term] += n * TITLE_WEIGHT
        for term, n in terms_of("".join(text)).items():
            weights[term] += n
        terms.extend(NoticeTerm(notice_id=page.pk, term=t, weight=w) for t, w in weights.items())
    fields = NoticePage._meta.local_concrete_fields
    for start in range(0, len(notices), 500):
        NoticePage.objects._insert(notices[start:start + 500], fields=fields, raw=True)
    building_through.objects.bulk_create(building_rows, batch_size=1000)
    grid_through.objects.bulk_create(grid_rows, batch_size=1000)
    NoticeTerm.objects.bulk_create(terms, batch_size=2000)
    Page.objects.filter(pk=index.pk).update(numchild=count)


def measure(client, url: str, runs: int) -> tuple[float, int, int]:
    client.get(url)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(ctx.captured_queries), len(response.content)


def main(notice_count: int, runs: int) -> None:
    from django.test import Client

    from notices.choices import Audience
    from notices.models import NoticePage

    resident, head, building = build(notice_count)
    client = Client()
    client.force_login(resident)
    target = (NoticePage.objects.filter(audience=Audience.BUILDINGS,
                                        audience_buildings=building).order_by("pk").first())
    print(f"database: {connection.vendor}; runs per page: {runs}")
    print(f"{'page':<34}{'median ms':>10}{'queries':>9}{'kB':>8}")
    for label, url, who in [
        ("shell floor: /offline/ (resident)", "/offline/", resident),
        ("notice list (resident)", "/notices/", resident),
        ("notice list, page 5", "/notices/?page=5", resident),
        ("archive", "/notices/?archive=1", resident),
        ("search 停水", "/notices/?q=停水", resident),
        ("search 楼道漏水", "/notices/?q=楼道漏水", resident),
        ("home page", "/", resident),
        ("notice list (visitor)", "/notices/", None),
        ("receipts, building of 200", f"/notices/{target.pk}/receipts/", head),
    ]:
        client.logout()
        if who is not None:
            client.force_login(who)
        ms, queries, size = measure(client, url, runs)
        print(f"{label:<34}{ms:>10.1f}{queries:>9}{size / 1024:>8.1f}")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 21
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main(count, runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
