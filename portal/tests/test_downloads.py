"""Every file the portal names for download says so the RFC 6266 way (portal.downloads)."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile

from community.disputes.services import dispute_open
from portal.downloads import content_disposition


def test_chinese_names_are_percent_encoded_with_an_ascii_fallback():
    value = content_disposition("住户登记模板.xlsx")
    assert value == ("attachment; filename=\"download.xlsx\"; "
                     "filename*=UTF-8''%E4%BD%8F%E6%88%B7%E7%99%BB%E8%AE%B0%E6%A8%A1%E6%9D%BF.xlsx")
    assert content_disposition("3栋 停水.pdf", inline=True, fallback="notice.pdf") == (
        "inline; filename=\"notice.pdf\"; filename*=UTF-8''3%E6%A0%8B%20%E5%81%9C%E6%B0%B4.pdf")
    assert content_disposition('a"b.csv') == 'attachment; filename="a\\"b.csv"'
    assert content_disposition("x.csv") == 'attachment; filename="x.csv"'


@pytest.mark.django_db
def test_an_uploaded_file_with_a_chinese_name_downloads_under_that_name(client, world, settings,
                                                                        tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    dispute = dispute_open(actor=world.worker_a, title="噪音", summary="楼上装修",
                           building=world.building_a, party_users=[world.resident_a])
    dispute.agreement_file.save("调解协议.txt", ContentFile(b"agreed"), save=True)
    client.force_login(world.resident_a, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(dispute.agreement_file.url)
    assert response.status_code == 200
    assert "filename*=UTF-8''%E8%B0%83%E8%A7%A3%E5%8D%8F%E8%AE%AE" in (
        response["Content-Disposition"])


@pytest.mark.django_db
def test_the_register_template_has_its_chinese_name(client, world):
    from django.urls import reverse

    client.force_login(world.admin)
    response = client.get(reverse("register_import:template"))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"register-template.xlsx\"; "
        "filename*=UTF-8''%E4%BD%8F%E6%88%B7%E7%99%BB%E8%AE%B0%E6%A8%A1%E6%9D%BF.xlsx")
