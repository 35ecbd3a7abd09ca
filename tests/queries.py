"""What a page costs the database on a repeat visit (caches warm, as people use it)."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def second_visit(user, url: str) -> tuple[str, list[str]]:
    """Sign ``user`` in, open ``url`` twice; the second page's HTML and its SQL."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries]
