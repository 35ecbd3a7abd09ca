"""The client's address: a forged X-Forwarded-For never chooses it."""

from unittest import mock

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from portal.clientip import client_ip


def request(remote="203.0.113.7", **headers):
    meta = {"REMOTE_ADDR": remote} if remote is not None else {}
    meta.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    req = RequestFactory().get("/", **meta)
    if remote is None:
        req.META.pop("REMOTE_ADDR", None)
    return req


def test_direct_client_forged_headers_are_ignored(settings):
    settings.TRUSTED_PROXIES = []
    forged = request(x_forwarded_for="1.2.3.4", x_real_ip="5.6.7.8")
    assert client_ip(forged) == "203.0.113.7"
    # Not even a proxy on loopback is believed when none is configured.
    assert client_ip(request("127.0.0.1", x_forwarded_for="1.2.3.4")) == "127.0.0.1"


def test_behind_the_proxy_only_the_hop_it_wrote_counts(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]
    # nginx overwrites the header with $remote_addr ...
    assert client_ip(request("127.0.0.1", x_forwarded_for="198.51.100.4")) == "198.51.100.4"
    # ... and were a client's header appended to, its own values are left of ours.
    appended = request("127.0.0.1", x_forwarded_for="1.2.3.4, not-an-ip, 198.51.100.4")
    assert client_ip(appended) == "198.51.100.4"
    # Trusted hops further right are skipped (a second proxy of ours).
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    chain = request("127.0.0.1", x_forwarded_for="1.2.3.4, 198.51.100.4, 10.1.2.3")
    assert client_ip(chain) == "198.51.100.4"
    assert client_ip(request("127.0.0.1", x_real_ip="198.51.100.9")) == "198.51.100.9"
    # A client that is not the proxy is itself, whatever it sends.
    assert client_ip(request("198.51.100.4", x_forwarded_for="1.2.3.4")) == "198.51.100.4"


@pytest.mark.parametrize("remote,xff", [
    ("not-an-ip", ""), (None, ""), ("", "1.2.3.4"), ("127.0.0.1", "not-an-ip"),
    ("127.0.0.1", ""), ("::ffff:127.0.0.1", "x"), ("127.0.0.1", ",,,"),
])
def test_always_a_valid_address(settings, remote, xff):
    import ipaddress

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    value = client_ip(request(remote, x_forwarded_for=xff))
    assert str(ipaddress.ip_address(value)) == value
    assert value in {"0.0.0.0", "127.0.0.1"}


def test_serve_does_not_let_daphne_read_forwarded_headers():
    with mock.patch("daphne.cli.CommandLineInterface.run") as run:
        call_command("serve", "--no-ticker", "--port", "8999")
    argv = run.call_args.args[0]
    assert "--proxy-headers" not in argv
    assert argv[-1] == "portal.asgi:application"


def test_nginx_overwrites_the_forwarded_address_never_appends():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "deploy" / "render_nginx.py"
    spec = importlib.util.spec_from_file_location("render_nginx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    site = module.render(ports=[8101], server_name="_", listen=None,
                         static_root="/srv/s", media_root="/srv/m")
    assert "$proxy_add_x_forwarded_for" not in site
    assert site.count("proxy_set_header X-Forwarded-For $remote_addr;") == 3
    assert site.count("proxy_set_header X-Real-IP $remote_addr;") == 3
