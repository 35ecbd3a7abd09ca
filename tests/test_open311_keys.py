"""Keys out of URLs: a header works as well as the parameter, and no log carries a full key."""

from __future__ import annotations

import io

import pytest

from community.open311.models import ApiCall
from community.open311.services import api_key_issue
from portal.accesslog import MaskingAccessLog, mask_query_secrets


@pytest.fixture
def raw(world):
    _key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    return raw


def test_the_key_in_a_header_works_and_is_never_logged(client, raw):
    response = client.get("/open311/v2/servicerequestupdates.json", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    assert client.get("/open311/v2/servicerequestupdates.json").status_code == 403
    client.get("/open311/v2/requests.json", {"api_key": raw})
    for call in ApiCall.objects.all():
        assert raw not in call.query and raw not in call.path


def test_daphnes_access_log_masks_keys_in_query_strings(raw):
    stream = io.StringIO()
    log = MaskingAccessLog(stream)
    log("http", "complete", {"path": f"/open311/v2/requests.json?status=open&api_key={raw}",
                             "status": 200, "method": "GET", "client": "1.2.3.4:5", "size": 9})
    line = stream.getvalue()
    assert raw not in line and f"api_key={raw[:8]}***" in line and "status=open" in line
    assert mask_query_secrets("/x?a=1") == "/x?a=1"


def test_serve_installs_the_masking_log(monkeypatch):
    import daphne.cli

    from portal.management.commands import serve

    monkeypatch.setattr(daphne.cli.CommandLineInterface, "run", lambda self, argv: None)
    monkeypatch.setattr(daphne.cli, "AccessLogGenerator", daphne.cli.AccessLogGenerator)
    monkeypatch.setattr("portal.periodic.start_ticker_thread", lambda: None)
    serve.Command().handle(host="127.0.0.1", port=0, fd=None, no_ticker=True, access_log=None,
                           server="daphne")
    assert daphne.cli.AccessLogGenerator is MaskingAccessLog
