"""我的数据 on a phone: download one's data, then delete the account, axe-clean in both modes."""

import json
import zipfile

import pytest

from tests.browser import axe_violations, large_type_problems, shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check(page, name: str, large: bool) -> None:
    shot(page, f"privacy-{name}-{'large' if large else 'normal'}")
    assert axe_violations(page) == []
    if large:
        assert large_type_problems(page) == []


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_download_then_delete_on_a_phone(phone, live_server, world, large, tmp_path,
                                         settings):
    from community.choices import Status
    from community.tests.factories import case_in, jpeg
    from portal.models import User

    settings.MEDIA_ROOT = tmp_path / "media"
    person = world.resident_a
    person.display_name = "韦阿姨"
    person.large_type = large
    person.save(update_fields=["display_name", "large_type"])
    case = case_in(world, Status.CLOSED, photos=[jpeg()])
    phone_number = person.phone
    sign_in(phone.context, live_server.url, person)

    phone.goto(live_server.url + "/me/")
    phone.get_by_role("link", name="查看我的数据").click()
    phone.wait_for_url("**/me/data/")
    assert phone.locator("h1").inner_text() == "我的数据"
    _check(phone, "page", large)

    with phone.expect_download() as info:
        phone.locator("#pd-json").click()
    data = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert data["profile"]["phone"] == phone_number
    assert [c["id"] for c in data["cases"]] == [case.pk]

    with phone.expect_download() as info:
        phone.locator("#pd-zip").click()
    archive = zipfile.ZipFile(info.value.path())
    photo = data["cases"][0]["photos"][0]["file"]
    assert f"files/{photo}" in archive.namelist()

    phone.get_by_role("link", name="我要注销账号").click()
    phone.wait_for_url("**/me/data/delete/")
    _check(phone, "delete", large)

    phone.get_by_label("请输入“注销”两个字确认").fill("删除")
    phone.get_by_role("button", name="确认注销").click()
    assert "请在框里输入“注销”" in phone.locator(".errorlist").inner_text()
    _check(phone, "delete-error", large)
    person.refresh_from_db()
    assert person.is_active

    phone.get_by_label("请输入“注销”两个字确认").fill("注销")
    phone.get_by_role("button", name="确认注销").click()
    phone.wait_for_url("**/me/data/deleted/")
    assert phone.locator("h1").inner_text() == "账号已注销"
    _check(phone, "deleted", large)

    person = User.objects.get(pk=person.pk)
    assert not person.is_active and person.phone is None
    phone.goto(live_server.url + "/me/")
    assert "/accounts/login/" in phone.url
