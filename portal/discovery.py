"""The one place that finds what every app contributes to a shared concern.

The ground floor (``portal``) never imports a feature app by name. Where every
app adds to something shared (WebSocket routes, periodic jobs, demo data,
personal data, private media), each app keeps its part in a module of an
agreed name (``routing.py``, ``tasks.py``, ``demo.py``, ``privacy.py``,
``media.py``) and ``portal`` asks for them here, in ``INSTALLED_APPS`` order.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from types import ModuleType

from django.apps import apps
from django.conf import settings


def is_ours(path: str) -> bool:
    """An app of this project: under BASE_DIR, and not a library installed there
    (the virtualenv usually lives in the checkout: ``.venv/lib/.../site-packages``)."""
    where = Path(path).resolve()
    return (where.is_relative_to(Path(settings.BASE_DIR).resolve())
            and not where.is_relative_to(Path(sys.prefix).resolve())
            and "site-packages" not in where.parts)


def app_modules(name: str, *, ours: bool = True) -> list[ModuleType]:
    """Each installed app's ``<app>.<name>`` module, in ``INSTALLED_APPS`` order.

    Apps without such a module are skipped; an error raised while importing
    one that exists is not hidden. ``ours`` keeps to this project's apps (a
    library's ``routing`` or ``demo`` module is not one of our contributions).
    """
    found = []
    for config in apps.get_app_configs():
        if ours and not is_ours(config.path):
            continue
        dotted = f"{config.name}.{name}"
        try:
            found.append(import_module(dotted))
        except ModuleNotFoundError as exc:
            if exc.name != dotted:
                raise
    return found

