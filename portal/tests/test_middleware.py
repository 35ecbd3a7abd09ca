"""The embedded default gzips its own pages (no nginx in front), and only text (issue 15)."""

import gzip

from django.http import HttpResponse
from django.test import RequestFactory

from portal.middleware import TextGZipMiddleware

PAGE = "<main>" + "<p>停水通知：明天上午8点起停水。</p>" * 200 + "</main>"


def _through(response, accept="gzip, deflate, br"):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)
    return TextGZipMiddleware(lambda r: response)(request)


def test_a_page_is_gzipped_for_a_browser_that_accepts_it():
    out = _through(HttpResponse(PAGE, content_type="text/html; charset=utf-8"))
    assert out["Content-Encoding"] == "gzip"
    assert gzip.decompress(out.content).decode() == PAGE
    assert len(out.content) < len(PAGE.encode()) / 5


def test_a_photo_or_a_browser_without_gzip_gets_it_as_it_is():
    photo = bytes(range(256)) * 40
    out = _through(HttpResponse(photo, content_type="image/jpeg"))
    assert not out.has_header("Content-Encoding") and out.content == photo
    out = _through(HttpResponse(PAGE, content_type="text/html"), accept="identity")
    assert not out.has_header("Content-Encoding")
