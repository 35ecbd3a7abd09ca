"""The portal's admin screens: user forms with our fields, the SMS outbox, the audit trail."""

import pytest
from django.urls import reverse

from buildings.tests.factories import UserFactory
from portal.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True, username="root")


def test_user_create_form_has_phone_and_display_name(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("wagtailusers_users:add"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="phone"' in html
    assert 'name="display_name"' in html


def test_user_create_reads_phone_the_way_people_write_it(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "luo",
            "phone": "138 1234 5678",
            "display_name": "罗奶奶",
            "password1": "A-long-pass-2026",
            "password2": "A-long-pass-2026",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="luo")
    assert user.phone == "+8613812345678"
    assert user.display_name == "罗奶奶"


def test_user_edit_refuses_a_malformed_or_taken_phone(client, superuser):
    other = UserFactory(phone="+8613900000001")
    target = UserFactory(username="target")
    client.force_login(superuser)
    url = reverse("wagtailusers_users:edit", args=[target.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert target.display_name in response.content.decode()
    base = {"username": "target", "is_active": "on", "display_name": "新名字"}
    response = client.post(url, {**base, "phone": "12345"})
    assert response.status_code == 200
    assert "请填写11位手机号码" in response.content.decode()
    response = client.post(url, {**base, "phone": other.phone})
    assert response.status_code == 200
    assert "已被其他账户使用" in response.content.decode()
    response = client.post(url, {**base, "phone": ""})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.phone is None
    assert target.display_name == "新名字"
