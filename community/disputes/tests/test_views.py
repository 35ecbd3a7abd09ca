"""community.disputes.views: who may see a dispute, and the pages that post its steps."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from community.choices import DisputeStage
from community.disputes.services import dispute_advance, dispute_mediate, dispute_open
from community.models import Dispute, DisputeRecord, DisputeVisit


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_only_parties_mediators_grid_and_admin_see_it(world, dispute):
    url = reverse("community:dispute", args=[dispute.pk])
    for who in ("resident_a", "resident_a2", "worker_a", "worker_top", "admin"):
        assert client_for(getattr(world, who)).get(url).status_code == 200, who
    for who in ("resident_b", "worker_b", "liaison", "handler", "head_a", "stranger"):
        assert client_for(getattr(world, who)).get(url).status_code == 404, who
    # a party sees it but cannot move it
    response = client_for(world.resident_a2).post(
        reverse("community:dispute_act", args=[dispute.pk, "find"]), {"note": "x"})
    assert response.status_code == 403
    listing = client_for(world.resident_b).get(reverse("community:disputes")).content.decode()
    assert "楼上漏水" not in listing


def test_dispute_pages_post_the_steps(world, dispute):
    c = client_for(world.worker_a)
    base = reverse("community:dispute_act", args=[dispute.pk, "find"])
    assert c.post(base, {"note": ""}).status_code == 400
    assert c.post(base, {"note": "发现问题"}).status_code == 303
    assert Dispute.objects.get(pk=dispute.pk).stage == DisputeStage.FOUND
    response = c.post(reverse("community:dispute_new"), {"building": world.building_a.pk,
                                                         "title": "", "summary": ""})
    assert response.status_code == 400
    response = c.post(reverse("community:dispute_new"), {
        "building": world.building_a.pk, "title": "噪音纠纷", "summary": "夜间噪音",
        "party_names": "李四\n王五"})
    assert response.status_code == 303
    assert client_for(world.resident_a).get(reverse("community:dispute_new")).status_code == 403


def _pdf(extra: bytes = b"") -> bytes:
    """A small but well-formed PDF: objects, an xref table where startxref says."""
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + b">>\nendobj\n" \
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(body)
    return body + b"xref\n0 3\n0000000000 65535 f \ntrailer\n<< /Size 3 /Root 1 0 R >>\n" \
        b"startxref\n" + str(xref).encode() + b"\n%%EOF\n"


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def mediating(world, dispute, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="find", note="水管老化")
    dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="intervene", note="同意调解")
    return dispute, tmp_path


def _mediate(world, dispute, name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client_for(world.worker_a).post(
        reverse("community:dispute_act", args=[dispute.pk, "mediate"]),
        {"held_on": "2026-11-01", "mediators": [world.handler.pk],
         "agreement_file": SimpleUploadedFile(name, data, content_type="application/pdf")})


@pytest.mark.parametrize(("name", "data"), [
    ("协议.pdf", b"<html><script>alert(1)</script></html>"),
    ("协议.docx", b"PK\x03\x04 word document"),
    ("协议.pdf", b"%PDF-1.4\nnot really a pdf"),
    ("协议.pdf", _pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> ")),
    ("协议.exe", b"MZ\x90\x00"),
])
def test_an_agreement_that_is_not_a_pdf_or_photo_is_refused_and_not_stored(
        world, mediating, name, data):
    dispute, media_root = mediating
    response = _mediate(world, dispute, name, data)
    assert response.status_code == 400
    assert "只能上传PDF文件或照片" in response.content.decode()
    dispute.refresh_from_db()
    assert not dispute.agreement_file and dispute.stage == DisputeStage.INTERVENTION
    assert not (media_root / "disputes").exists()


def test_an_agreement_pdf_is_kept_and_a_photo_is_re_encoded(world, mediating):
    dispute, _root = mediating
    assert _mediate(world, dispute, "协议.pdf", _pdf()).status_code == 303
    dispute.refresh_from_db()
    assert dispute.stage == DisputeStage.FOLLOW_UP
    assert dispute.agreement_file.name.endswith(".pdf")
    assert dispute.agreement_file.read() == _pdf()

    other = dispute_open(actor=world.worker_a, title="噪音", summary="夜间",
                         building=world.building_a, party_users=[world.resident_a])
    dispute_advance(actor=world.worker_a, dispute_id=other.pk, kind="find", note="噪音")
    dispute_advance(actor=world.worker_a, dispute_id=other.pk, kind="intervene", note="调解")
    assert _mediate(world, other, "照片.png", _png()).status_code == 303
    other.refresh_from_db()
    assert other.agreement_file.name.endswith(".jpg")
    assert other.agreement_file.read()[:2] == b"\xff\xd8"  # stored as a fresh JPEG


def test_a_village_guide_joins_the_joint_mediation_and_takes_part(world, mediating):
    """A guide of the community is offered as a mediator, is added, then sees and works it;
    a guide of another community is not offered, and a forged id does not add them."""
    from buildings.patrols.tests.helpers import guide
    from buildings.tests import factories as f
    from community.models import DisputeMediator

    dispute, _root = mediating
    judge, outsider = f.UserFactory(), f.UserFactory()
    guide(world.community, judge, role="judge")
    guide(f.CommunityFactory(name="别的社区"), outsider, role="police")
    page = client_for(world.worker_a).get(reverse("community:dispute", args=[dispute.pk]))
    text = page.content.decode()
    assert f'name="mediators" value="{judge.pk}"' in text and "（法官）" in text
    assert f'value="{outsider.pk}"' not in text
    url = reverse("community:dispute", args=[dispute.pk])
    assert client_for(judge).get(url).status_code == 404  # not yet part of it
    response = client_for(world.worker_a).post(
        reverse("community:dispute_act", args=[dispute.pk, "mediate"]),
        {"held_on": "2026-11-01", "mediators": [world.handler.pk, judge.pk, outsider.pk],
         "agreement": "双方同意修好水管，费用各半"})
    assert response.status_code == 303
    assert set(DisputeMediator.objects.filter(dispute=dispute).values_list(
        "user_id", flat=True)) == {world.handler.pk, judge.pk}
    assert client_for(judge).get(url).status_code == 200
    assert "楼上漏水" in client_for(judge).get(reverse("community:disputes")).content.decode()
    visit = DisputeVisit.objects.filter(dispute=dispute).order_by("due_on").first()
    response = client_for(judge).post(reverse("community:dispute_act", args=[dispute.pk, "visit"]),
                                      {"visit": visit.pk, "note": "法官回访，双方已和好"})
    assert response.status_code == 303
    assert DisputeRecord.objects.filter(dispute=dispute, kind="visit", actor=judge).exists()
    assert client_for(outsider).get(url).status_code == 404


def test_a_visit_is_due_by_the_community_s_day_not_the_server_s(world, dispute, monkeypatch):
    """At 00:30 in Luocheng the server's clock (UTC) still says the day before: a visit due
    that day is already past in the community, and the page says 已到期."""
    import datetime as dt

    from django.utils import timezone

    dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="find", note="水管老化")
    dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="intervene", note="同意")
    dispute_mediate(actor=world.worker_a, dispute_id=dispute.pk, held_on=date(2029, 12, 25),
                    mediators=[world.handler], agreement="楼上维修")
    first = DisputeVisit.objects.filter(dispute=dispute).order_by("due_on").first()
    # 2030-01-02 00:30 in Asia/Shanghai, still 2030-01-01 in UTC.
    now = dt.datetime(2030, 1, 1, 16, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)
    assert first.due_on == date(2030, 1, 1)
    page = client_for(world.worker_a).get(reverse("community:dispute", args=[dispute.pk]))
    text = page.content.decode()
    visit = text[text.index("2030-01-01"):]
    assert "已到期" in visit[:visit.index("</p>")]
