"""Shared concerns are found in each app's own module; the ground floor names no feature app."""

import ast
from pathlib import Path

from portal import privacy, routing
from portal.discovery import app_modules

FEATURE_APPS = ("buildings", "community", "notices", "volunteers")


def test_each_apps_privacy_part_is_found_in_installed_apps_order():
    names = [m.__name__ for m in app_modules("privacy")]
    assert names == ["portal.privacy", "buildings.privacy", "community.privacy",
                     "community.liaison.privacy", "notices.privacy", "volunteers.privacy"]


def test_routes_come_from_our_apps_only():
    names = [m.__name__ for m in app_modules("routing")]
    assert "community.liaison.routing" in names and "channels.routing" not in names
    assert any("ws/" in str(p.pattern) for p in routing.websocket_urlpatterns)


def test_a_library_is_not_ours_even_with_the_virtualenv_inside_the_checkout():
    """On a fresh machine ``.venv`` is inside the checkout (BASE_DIR): channels' own
    ``routing`` module must still not count as one of our apps' (it did: prod-up
    failed with "channels.routing has no websocket_urlpatterns")."""
    import channels
    from django.test import override_settings

    from portal.discovery import is_ours

    with override_settings(BASE_DIR=Path("/")):  # every path is "inside the checkout"
        assert not is_ours(str(Path(channels.__file__).parent))
        assert is_ours(str(Path(privacy.__file__).parent))


def test_portal_privacy_imports_no_feature_app():
    tree = ast.parse(Path(privacy.__file__).read_text(encoding="utf-8"))
    imported = [node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names]
    assert not [m for m in imported if m.split(".")[0] in FEATURE_APPS]
