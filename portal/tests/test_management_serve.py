"""``manage.py serve``: the same Channels application behind each ASGI server, or the pages through WSGI.

Only the launch is checked here (the servers themselves are mocked): which
server ASGI_SERVER or --server picks, and that none of them believes
forwarded headers (portal.clientip does, from trusted proxies only).
tests/test_topology.py runs the real ones behind nginx.
"""

from unittest import mock

import pytest
from django.core.management import CommandError, call_command


def test_daphne_is_the_default_and_reads_no_forwarded_headers(monkeypatch):
    monkeypatch.delenv("ASGI_SERVER", raising=False)
    with mock.patch("daphne.cli.CommandLineInterface.run") as run:
        call_command("serve", "--no-ticker", "--port", "8999")
    argv = run.call_args.args[0]
    assert "--proxy-headers" not in argv
    assert argv[-1] == "portal.asgi:application"


def test_uvicorn_from_the_environment_with_uvloop_httptools_and_no_proxy_headers(monkeypatch):
    monkeypatch.setenv("ASGI_SERVER", "uvicorn")
    with mock.patch("uvicorn.run") as run:
        call_command("serve", "--no-ticker", "--port", "8999")
    (app,), options = run.call_args
    assert app == "portal.asgi:application"
    assert options["port"] == 8999 and options["proxy_headers"] is False
    assert (options["loop"], options["http"], options["ws"]) == ("uvloop", "httptools",
                                                                  "websockets")
    assert options["lifespan"] == "off"


def test_granian_serves_the_asgi_application_without_a_ticker_beside_it(monkeypatch):
    monkeypatch.delenv("ASGI_SERVER", raising=False)
    with mock.patch("granian.Granian") as granian:
        call_command("serve", "--server", "granian", "--no-ticker", "--port", "8999")
    (target,), options = granian.call_args
    assert target == "portal.asgi:application" and options["port"] == 8999
    assert options["interface"].value == "asginl"
    assert granian.return_value.serve.called
    # Its worker process would not see the ticker's in-memory channel layer.
    with pytest.raises(CommandError, match="--no-ticker"):
        call_command("serve", "--server", "granian", "--port", "8999")


def test_an_unknown_server_is_refused(monkeypatch):
    monkeypatch.setenv("ASGI_SERVER", "gunicorn")
    with pytest.raises(CommandError, match="daphne, uvicorn, granian, granian-wsgi"):
        call_command("serve", "--no-ticker")


def test_granian_wsgi_serves_the_pages_only_and_needs_a_shared_channel_layer(monkeypatch, settings):
    monkeypatch.delenv("ASGI_SERVER", raising=False)
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer"}}
    with mock.patch("granian.Granian") as granian:
        call_command("serve", "--server", "granian-wsgi", "--no-ticker", "--port", "8999")
    (target,), options = granian.call_args
    assert target == "portal.wsgi:application" and options["port"] == 8999
    assert options["interface"].value == "wsgi" and options["websockets"] is False
    assert options["blocking_threads"] > 1
    assert options["log_access"] is False  # nginx logs the requests; --access-log turns it on
    # With the in-memory layer a page's message would never reach a socket,
    # which lives in another process.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with pytest.raises(CommandError, match="REDIS_URL"):
        call_command("serve", "--server", "granian-wsgi", "--no-ticker", "--port", "8999")


@pytest.mark.django_db
def test_the_wsgi_application_serves_a_page():
    """portal.wsgi is the same Django project: a page comes back through it."""
    import io

    from portal.wsgi import application

    started = {}
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "QUERY_STRING": "",
               "SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost",
               "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(), "wsgi.url_scheme": "http",
               "wsgi.errors": io.StringIO()}
    body = b"".join(application(environ, lambda status, headers: started.update(status=status)))
    assert started["status"].startswith("200") and body
