#!/usr/bin/env python3
"""Render deploy/nginx/jiayuan.conf.in into a working nginx server block.

Used by scripts/prod-up on loopback, and on a real server::

    python3 deploy/render_nginx.py --ports 8201,8202 --ws-ports 8101 --server-name jiayuan.example.cn \\
        --tls-cert /etc/letsencrypt/live/jiayuan.example.cn/fullchain.pem \\
        --tls-key /etc/letsencrypt/live/jiayuan.example.cn/privkey.pem \\
        --static-root /srv/jiayuan/var/static --media-root /srv/jiayuan/var/media \\
        > /etc/nginx/sites-available/jiayuan.conf

With TLS it listens on 443 (HTTP/2) and adds a port-80 server that redirects
to HTTPS. Only the standard library: it runs before the venv exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

REDIRECT = """
server {
    listen 80;
    listen [::]:80;
    server_name %(names)s;
    server_tokens off;
    location / { return 301 https://$host$request_uri; }
}
"""


def render(*, ports: list[int], ws_ports: list[int] | None = None, server_name: str, listen: str | None, static_root: str,
           media_root: str, tls_cert: str = "", tls_key: str = "",
           upstream_host: str = "127.0.0.1") -> str:
    template = (HERE / "nginx" / "jiayuan.conf.in").read_text(encoding="utf-8")
    upstreams = "\n".join(
        f"    server {upstream_host}:{port} max_fails=3 fail_timeout=10s;" for port in ports
    )
    # WebSockets go to the same processes, or to ASGI processes of their own
    # where the pages are served by WSGI ones (serve --server granian-wsgi).
    ws_upstreams = "\n".join(
        f"    server {upstream_host}:{port} max_fails=0;" for port in (ws_ports or ports)
    )
    if tls_cert:
        # "listen ... http2" is nginx 1.22's (Debian 12) way; 1.25+ also has "http2 on".
        listen_lines = [f"listen {listen or '443'} ssl http2;"] + (
            [] if listen else ["listen [::]:443 ssl http2;"]
        )
        tls = "\n".join(
            [
                f"    ssl_certificate {tls_cert};",
                f"    ssl_certificate_key {tls_key};",
                "    ssl_protocols TLSv1.2 TLSv1.3;",
                "    ssl_session_cache shared:jiayuan_tls:10m;",
                "    ssl_session_timeout 1d;",
            ]
        )
        proto = "https"
    else:
        listen_lines = [f"listen {listen or '80'};"]
        tls = ""
        proto = "$scheme"
    text = (
        template.replace("@UPSTREAM_SERVERS@", upstreams)
        .replace("@UPSTREAM_WS_SERVERS@", ws_upstreams)
        .replace("@LISTEN@", "\n".join(f"    {line}" for line in listen_lines))
        .replace("@SERVER_NAME@", server_name)
        .replace("@TLS@", tls)
        .replace("@STATIC_ROOT@", static_root.rstrip("/"))
        .replace("@MEDIA_ROOT@", media_root.rstrip("/"))
        .replace("@FORWARDED_PROTO@", proto)
    )
    if tls_cert and not listen:
        text += REDIRECT % {"names": server_name}
    if "@" in "".join(line.split("#")[0] for line in text.splitlines()):
        raise SystemExit("render_nginx: a placeholder was left unreplaced")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", required=True,
                        help="ports of the processes serving the pages, comma-separated")
    parser.add_argument("--ws-ports", default="",
                        help="ports of the ASGI processes for /ws/ (default: --ports)")
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--listen", default=None, help="e.g. 127.0.0.1:8080")
    parser.add_argument("--static-root", required=True)
    parser.add_argument("--media-root", required=True)
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    args = parser.parse_args(argv)
    sys.stdout.write(
        render(
            ports=[int(p) for p in args.ports.split(",") if p.strip()],
            ws_ports=[int(p) for p in args.ws_ports.split(",") if p.strip()] or None,
            server_name=args.server_name,
            listen=args.listen,
            static_root=args.static_root,
            media_root=args.media_root,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            upstream_host=args.upstream_host,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
