"""The register import in the Wagtail admin, in a desktop Chromium: upload, preview, confirm."""

import pytest

from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "楼栋,单元,楼层,门牌号,户主姓名,联系电话,人口数,搬迁前村屯,备注"


def test_a_community_admin_imports_the_register(desktop, live_server, world, tmp_path):
    from buildings.models import Household

    page = desktop
    page.set_default_timeout(60_000)  # the admin's first load fetches many static files
    sign_in(page.context, live_server.url, world.admin)
    bad = tmp_path / "花名册-有错.csv"
    bad.write_text(HEADER + "\n1,2,3,301,罗秀英,13812345678,4,四把镇,\n"
                   "9,1,1,101,黄金凤,,,,\n1,2,3,302,银建国,1381234,,,\n", encoding="gb18030")
    good = tmp_path / "花名册.csv"
    good.write_text(HEADER + "\n1,2,3,301,罗秀英,13812345678,4,四把镇,\n"
                    "1,2,3,302,银建国,,2,东门镇,\n", encoding="utf-8-sig")

    page.goto(live_server.url + "/admin/register_import/", wait_until="domcontentloaded")
    shot(page, "register-import-index")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_url("**/preview/**")
    assert page.get_by_text("第 3 行").is_visible()
    assert page.get_by_text("第 4 行").is_visible()
    assert page.get_by_role("button", name="确认导入").count() == 0
    shot(page, "register-import-preview-rejected")

    page.goto(live_server.url + "/admin/register_import/", wait_until="domcontentloaded")
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_url("**/preview/**")
    shot(page, "register-import-preview-ok")
    page.get_by_role("button", name="确认导入").click()
    page.wait_for_url("**/register_import/")
    assert page.get_by_text("导入完成").is_visible()
    shot(page, "register-import-done")
    assert Household.objects.filter(unit__building=world.building_a, unit__number=2).count() == 2

    page.goto(live_server.url + "/admin/register_household/?q=罗秀英",
              wait_until="domcontentloaded")
    assert page.get_by_text("138****5678").is_visible()
    shot(page, "register-household-list")
