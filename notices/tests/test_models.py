"""The notice page builds its own context (detail page and preview alike); no import cycle."""

import ast
from pathlib import Path

import pytest
from django.test import RequestFactory

from notices import models
from notices.choices import Audience

from .helpers import make_notice

pytestmark = pytest.mark.django_db


def test_preview_and_detail_page_share_the_pages_context(client, world):
    page = make_notice(title="停水通知", audience=Audience.BUILDINGS,
                       buildings=[world.building_a], ack_wanted=True)
    request = RequestFactory().get("/")
    request.user = world.resident_a
    live = page.get_context(request)
    assert live["notice"] == page and live["may_ack"] and not live["preview"]
    preview = page.get_context(request, preview=True)
    assert preview["preview"] and not preview["may_ack"] and not preview["may_edit"]
    response = page.serve_preview(request, "")
    assert response.status_code == 200 and "停水通知" in response.content.decode()
    client.force_login(world.resident_a)
    html = client.get(f"/notices/{page.pk}/").content.decode()
    assert "停水通知" in html and "确认收到" in html


def test_models_import_neither_selectors_nor_views():
    tree = ast.parse(Path(models.__file__).read_text(encoding="utf-8"))
    relative = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert not relative & {"selectors", "views", "services"}
