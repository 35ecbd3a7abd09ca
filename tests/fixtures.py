import os

import pytest
from django.utils.module_loading import import_string

from tests.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE

# Playwright's sync API runs an event loop in this thread; Django's ORM, used by
# the test code around it, is safe here because the loop is not ours.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module: Playwright's sync API keeps an event loop
    running in this thread while it lives, which the async tests of Channels
    (async_to_sync) cannot share, so it must not outlive the browser tests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def _wagtail_site(request):
    """Transactional tests flush the tables, and with them the home page the
    migrations made; put it back for any test that uses the database."""
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names or (
        marker and marker.kwargs.get("transaction")
    ):
        request.getfixturevalue("transactional_db")
    elif "db" in names or marker:
        request.getfixturevalue("db")
    else:
        return
    from portal.site import ensure_home_page

    ensure_home_page()
    _restore_migration_data()


# What data migrations made (RunPython), by the function that made it. A transactional
# test's flush removes these rows, and pytest-django runs the transactional tests last
# for that reason; in any other order (--random-order) the next test would find no
# 社区管理员 group and no care-flag kinds. Post-migrate rows (content types,
# permissions) come back by themselves after a flush.
MIGRATION_DATA = [
    ("buildings.migrations.0004_staff_groups", "create_groups"),
    ("buildings.migrations.0005_community_admins_no_user_management", "remove_user_management"),
    ("portal.migrations.0006_retention_settings_for_community_admins", "grant"),
    ("buildings.patrols.migrations.0002_default_kinds", "add"),
]
# (A migration's module name starts with a digit: it is reached by its dotted path.)


def _restore_migration_data():
    from django.apps import apps
    from django.contrib.auth.models import Group

    if Group.objects.filter(name="社区管理员").exists():
        return  # not flushed since migrate
    for module, function in MIGRATION_DATA:
        import_string(f"{module}.{function}")(apps, None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits live in the cache: one test's codes must not limit the next."""
    from django.core.cache import cache

    cache.clear()
    yield
