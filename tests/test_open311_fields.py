"""What platforms send is kept and shown: email, media_url, address_string as fields,
the photo fetched from the platform's allowed hosts only and cleaned like a resident's,
the platform's ticket number on the case page and in the workbench search."""

from __future__ import annotations

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from buildings.tests import factories as f
from community.models import Case, CasePhoto
from community.open311 import media
from community.open311.models import ApiKey, MediaStatus, RequestToken
from community.open311.services import api_key_issue
from community.tests.factories import category
from portal.models import AuditEntry

BASE = "/open311/v2"


def jpeg_with_gps() -> bytes:
    im = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (24.0, 46.0, 40.0)}  # GPS latitude
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif)
    return out.getvalue()


class MediaServer:
    """A platform's picture server on loopback."""

    def __init__(self):
        photo = jpeg_with_gps()
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                if self.path == "/photo.jpg":
                    self._send(200, photo, "image/jpeg")
                elif self.path == "/text":
                    self._send(200, b"<html>not a photo</html>", "text/html")
                elif self.path == "/big":
                    self._send(200, b"\xff" * (300 * 1024), "image/jpeg")
                elif self.path == "/big-unannounced":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.end_headers()
                    for _ in range(300):
                        self.wfile.write(b"\xff" * 1024)
                elif self.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(photo)))
                    self.end_headers()
                    for byte in photo[:40]:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.1)
                elif self.path == "/elsewhere":
                    self.send_response(302)
                    self.send_header("Location", "http://example.invalid/photo.jpg")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path == "/here":
                    self.send_response(302)
                    self.send_header("Location", "/photo.jpg")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._send(404, b"", "text/plain")

            def _send(self, status, body, kind):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def pics():
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture
def platform(world):
    category("repair", name="维修")
    key, raw = api_key_issue(actor=world.admin, platform="罗城12345",
                             media_hosts="127.0.0.1")
    return key, raw


def submit(client, world, raw, **extra):
    data = {"api_key": raw, "service_code": "repair",
            "attribute[building]": str(world.building_a.pk),
            "description": "3楼楼道灯不亮", "phone": "13900001234", **extra}
    return client.post(f"{BASE}/requests.json", data)


def record_of(response) -> RequestToken:
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=int(response.json()[0]["service_request_id"]))
    return RequestToken.objects.get(case=case)


def test_email_address_and_media_url_are_fields_not_description(client, world, platform,
                                                                 pics):
    key, raw = platform
    record = record_of(submit(client, world, raw, email="wu@example.cn",
                              address_string="木老村3栋2单元楼道",
                              media_url=f"{pics.base}/photo.jpg",
                              **{"attribute[ticket]": "LC-2026-0001"}))
    assert record.email == "wu@example.cn"
    assert record.address_string == "木老村3栋2单元楼道"
    assert record.media_url == f"{pics.base}/photo.jpg"
    case = record.case
    assert case.description == "3楼楼道灯不亮"  # nothing folded in
    assert case.external_id == "LC-2026-0001" and case.source_platform == "罗城12345"


def test_the_photo_is_fetched_cleaned_and_attached(client, world, platform, pics,
                                                   django_capture_on_commit_callbacks):
    key, raw = platform
    with django_capture_on_commit_callbacks(execute=True):
        record = record_of(submit(client, world, raw, media_url=f"{pics.base}/here"))
    record.refresh_from_db()
    assert record.media_status == MediaStatus.ATTACHED, record.media_error
    assert pics.hits == ["/here", "/photo.jpg"]  # a redirect on the same host is followed
    photo = CasePhoto.objects.get(case=record.case)
    assert photo.kind == "report"
    with photo.image.open("rb") as fp:
        stored = Image.open(io.BytesIO(fp.read()))
        assert stored.format == "JPEG"
        assert not stored.getexif()  # EXIF (GPS included) removed
    assert AuditEntry.objects.filter(action="open311.media_fetch").exists()


@pytest.mark.parametrize(("path", "hosts", "reason"), [
    ("/photo.jpg", "img.12345.example.cn", "不在该平台允许的列表"),
    ("/photo.jpg", "", "未设置允许取图的主机"),
    ("/big", "127.0.0.1", "图片太大"),
    ("/big-unannounced", "127.0.0.1", "图片太大"),
    ("/slow", "127.0.0.1", "超时"),
    ("/text", "127.0.0.1", "不是可用的照片"),
    ("/elsewhere", "127.0.0.1", "别的主机"),
    ("/missing", "127.0.0.1", "HTTP 404"),
])
def test_a_photo_that_cannot_be_used_is_a_recorded_failure(
        client, world, platform, pics, monkeypatch, django_capture_on_commit_callbacks,
        path, hosts, reason):
    key, raw = platform
    ApiKey.objects.filter(pk=key.pk).update(media_hosts=hosts)
    monkeypatch.setattr(media, "MAX_MEDIA_BYTES", 200 * 1024)
    monkeypatch.setattr(media, "MEDIA_TIMEOUT", 1.0)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, world, raw, media_url=f"{pics.base}{path}")
    assert response.status_code == 201  # never an error for the platform
    assert time.monotonic() - started < 3.5  # the slow one sends for 4 s
    record = record_of(response)
    record.refresh_from_db()
    assert record.media_status == MediaStatus.FAILED
    assert reason in record.media_error
    assert not CasePhoto.objects.filter(case=record.case).exists()
    # Shown to the staff on the case page.
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/cases/{record.case.pk}/").content.decode()
    assert "下载失败" in page and reason in page


def test_private_addresses_only_when_the_host_is_listed_by_name(monkeypatch):
    monkeypatch.setattr(media.socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("10.0.0.7", 80))])
    with pytest.raises(media.MediaRefused, match="内网或本机"):
        media.fetch_media("http://img.example.cn/a.jpg", allowed_hosts=["*.example.cn"])
    assert media.host_allowed("img.example.cn", ["img.example.cn"]) == (True, True)
    assert media.host_allowed("img.example.cn", ["*.example.cn"]) == (True, False)
    assert media.host_allowed("example.cn.evil.cn", ["*.example.cn"]) == (False, False)
    with pytest.raises(media.MediaRefused, match="http 或 https"):
        media.fetch_media("file:///etc/passwd", allowed_hosts=["*.example.cn"])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "not-an-email", "email 不是有效的邮箱地址"),
    ("email", "a" * 250 + "@x.cn", "email 太长"),
    ("media_url", "ftp://127.0.0.1/a.jpg", "media_url 不是有效的"),
    ("media_url", "http://127.0.0.1/" + "a" * 300, "media_url 太长"),
    ("address_string", "长" * 201, "address_string 太长"),
])
def test_bad_fields_are_a_400_with_a_chinese_message(client, world, platform, field, value,
                                                     message):
    key, raw = platform
    response = submit(client, world, raw, **{field: value})
    assert response.status_code == 400
    assert message in response.json()[0]["description"]
    assert not Case.objects.exists()


def test_staff_see_the_platform_and_find_the_case_by_its_ticket(client, world, platform):
    key, raw = platform
    record = record_of(submit(client, world, raw, email="wu@example.cn",
                              address_string="木老村3栋",
                              **{"attribute[ticket_no]": "LC-77"}))
    other = f.CommunityFactory(name="别的社区")
    outsider = f.community_admin(other)
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/cases/{record.case.pk}/").content.decode()
    assert "罗城12345" in page and "LC-77" in page and "wu@example.cn" in page
    assert "木老村3栋" in page
    # The workbench finds it by the ticket number, whatever tab it is in.
    found = client.get("/cases/workbench/", {"ticket": "LC-77", "tab": "done"})
    assert found.status_code == 200
    assert record.case in found.context["cases"]
    assert client.get("/cases/workbench/", {"ticket": "LC-78"}).context["cases"] == []
    # A staff member of another community does not.
    client.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/cases/workbench/", {"ticket": "LC-77"}).context["cases"] == []
    assert client.get(f"/cases/{record.case.pk}/").status_code == 404
