"""Fetching the photo a platform points to (``media_url``), at the network boundary.

Only from the platform's own allowed hosts (``ApiKey.media_hosts``; none listed:
never), only http(s), to the address checked before connecting (no second DNS
answer between check and connect), never to a private or loopback address
unless that host is listed by name, redirects followed only on the same host,
with a size limit and one time limit for the whole download.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_MEDIA_BYTES = 10 * 1024 * 1024
MEDIA_TIMEOUT = 15.0
MAX_REDIRECTS = 3


class MediaRefused(Exception):
    """The photo was not fetched; ``str(exc)`` says why, for the staff."""


def host_allowed(host: str, allowed: list[str]) -> tuple[bool, bool]:
    """Is ``host`` on the list, and is it listed by its own name (not by a wildcard)?"""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().rstrip(".")
        if host == entry:
            return True, True
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True, False
    return False, False


def _too_big(limit: int) -> MediaRefused:
    return MediaRefused(_("图片太大（超过 %(size)s），未下载。") % {"size": filesizeformat(limit)})


def _resolve(host: str, port: int, *, private_ok: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise MediaRefused(_("图片网址的主机名无法解析。")) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise MediaRefused(_("图片网址的主机名无法解析。"))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not private_ok and not ip.is_global:
            raise MediaRefused(_("图片网址指向内网或本机地址，未下载。"))
    return addresses[0]


def _connection(scheme: str, host: str, port: int, address: str, timeout: float):
    cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    conn = cls(host, port, timeout=timeout)

    def connect_to_checked_address(_addr, timeout=None, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    conn._create_connection = connect_to_checked_address  # TLS still checks ``host``
    return conn


def fetch_media(url: str, *, allowed_hosts: list[str], max_bytes: int | None = None,
                timeout: float | None = None) -> bytes:
    """The bytes at ``url``, or ``MediaRefused`` with the reason."""
    max_bytes = max_bytes or MAX_MEDIA_BYTES
    timeout = timeout or MEDIA_TIMEOUT
    if not allowed_hosts:
        raise MediaRefused(_("该平台未设置允许取图的主机，不下载图片。"))
    deadline = time.monotonic() + timeout
    first_host = None
    for _hop in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            raise MediaRefused(_("图片网址须为 http 或 https。"))
        if first_host is not None and host != first_host:
            raise MediaRefused(_("图片网址跳转到了别的主机，未跟随。"))
        first_host = host
        listed, by_name = host_allowed(host, allowed_hosts)
        if not listed:
            raise MediaRefused(_("图片网址的主机不在该平台允许的列表中。"))
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise MediaRefused(_("图片网址的端口无效。")) from None
        address = _resolve(host, port, private_ok=by_name)
        left = deadline - time.monotonic()
        if left <= 0:
            raise MediaRefused(_("下载图片超时。"))
        conn = _connection(parts.scheme, host, port, address, left)
        try:
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            conn.request("GET", target, headers={"User-Agent": "Jiayuan-Open311-Media/1",
                                                 "Accept": "image/*"})
            response = conn.getresponse()
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location") or ""
                if not location:
                    raise MediaRefused(_("图片网址返回了无效的跳转。"))
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise MediaRefused(_("图片网址返回 HTTP %(s)d。") % {"s": response.status})
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise _too_big(max_bytes)
            chunks, size = [], 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise MediaRefused(_("下载图片超时。"))
                if conn.sock is not None:
                    conn.sock.settimeout(left)
                chunk = response.read1(64 * 1024)  # what has come, not wait for all
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _too_big(max_bytes)
                chunks.append(chunk)
            return b"".join(chunks)
        except TimeoutError:
            raise MediaRefused(_("下载图片超时。")) from None
        except (OSError, http.client.HTTPException) as exc:
            raise MediaRefused(_("下载图片失败：%(e)s") % {"e": type(exc).__name__}) from None
        finally:
            conn.close()
    raise MediaRefused(_("图片网址跳转次数太多。"))
