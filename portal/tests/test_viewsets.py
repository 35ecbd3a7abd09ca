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


# --- The SMS outbox and the audit trail: read-only, for community admins ----------


@pytest.fixture
def records(world):
    from portal.models import SmsMessage
    from portal.services import audit

    SmsMessage.objects.create(phone="+8613812345678", text="【仫佬家园】验证码 246810",
                              purpose="login_code", backend="outbox")
    audit(actor=world.admin, action="case.dispatch", target=world.household_a)
    audit(actor=world.admin, action="residency.verify", target=world.household_b)


def test_a_community_admin_reads_the_development_codes_in_the_outbox(client, world, records,
                                                                     django_assert_max_num_queries):
    client.force_login(world.admin)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("sms_outbox:index"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "短信发件箱" in html
    assert "验证码 246810" in html
    assert "13812345678" in html


def test_the_audit_trail_filters_by_action(client, world, records, django_assert_max_num_queries):
    client.force_login(world.admin)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("audit_trail:index"), {"action": "case.dispatch"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "操作记录" in html
    assert "case.dispatch" in html
    assert f"#{world.household_a.pk}" in html
    assert f"#{world.household_b.pk}" not in html


def test_the_records_cannot_be_changed(client, world, records):
    from portal.models import AuditEntry, SmsMessage

    client.force_login(world.admin)
    sms = SmsMessage.objects.get()
    entry = AuditEntry.objects.first()
    assert client.get(reverse("sms_outbox:inspect", args=[sms.pk])).status_code == 200
    for url in (reverse("sms_outbox:edit", args=[sms.pk]),
                reverse("sms_outbox:delete", args=[sms.pk]),
                reverse("audit_trail:edit", args=[entry.pk]),
                reverse("audit_trail:delete", args=[entry.pk])):
        response = client.post(url, {"text": "x", "action": "x"})
        assert response.status_code in (302, 403), url
    assert SmsMessage.objects.get().text.endswith("246810")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("who", ["resident_a", "head_a", "worker_a", "handler"])
def test_the_records_are_not_for_other_people(client, world, records, who):
    client.force_login(getattr(world, who))
    for url in ("sms_outbox:index", "audit_trail:index"):
        response = client.get(reverse(url))
        assert response.status_code in (302, 403)
        assert "246810" not in response.content.decode()
