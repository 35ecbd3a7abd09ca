"""The Wagtail site tree the portal expects: a root page, our home page, a default site."""

from django.db import transaction
from wagtail.models import Collection, Locale, Page, Site

from .models import HomePage


@transaction.atomic
def ensure_home_page():
    """Create the root collection, home page and default site if missing (tests that
    flush the database need them)."""

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")

    home = HomePage.objects.first()
    if home is None:
        locale = Locale.objects.first() or Locale.objects.create(language_code="zh-hans")
        root = Page.get_first_root_node()
        if root is None:
            root = Page.add_root(title="Root", slug="root", locale=locale)
        Page.objects.filter(depth=2, slug="home").exclude(
            content_type__model="homepage"
        ).delete()
        root.refresh_from_db()
        home = root.add_child(instance=HomePage(title="仫佬家园", slug="home", locale=locale))
    if not Site.objects.filter(is_default_site=True, root_page=home).exists():
        Site.objects.filter(is_default_site=True).delete()
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home
