"""吹哨报到 at 360×740: a grid worker summons two departments to a case, the lead reports in
on time, the other late (after the 督办 job marked it), the lead gives the result, and the
resident sees which departments were involved, by name only."""

import pytest

from tests.browser import axe_violations, phone_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_whistle_two_departments_report_in_one_late(browser, live_server, world):
    from datetime import timedelta

    from django.utils import timezone

    from community.choices import Ladder, Status
    from community.models import Whistle, WhistleSummons
    from community.tests.factories import case_in
    from community.whistle.services import whistles_supervise_due

    case = case_in(world, Status.DISPATCHED)
    url = f"{live_server.url}/cases/{case.pk}/"
    contexts = []
    try:
        # The grid worker blows the whistle: 物业 leads, 供水公司 is summoned with it.
        context, page = phone_page(browser, live_server.url, world.worker_a)
        contexts.append(context)
        page.goto(url)
        page.get_by_text("吹哨：召集多个部门").click()
        page.get_by_label("物业").check()
        page.get_by_label("供水公司").check()
        page.select_option("#wh-lead", label="物业")
        page.fill("#wh-why", "污水管堵了，需要两家一起处理")
        _fits(page)
        shot(page, "whistle-blow")
        page.get_by_role("button", name="吹哨", exact=True).click()
        page.wait_for_selector(".whistle-row")
        assert "已吹哨" in page.locator("main").inner_text()
        whistle = Whistle.objects.get(case=case)
        assert whistle.lead == world.department

        # 物业 reports in on time.
        context, page = phone_page(browser, live_server.url, world.handler)
        contexts.append(context)
        page.goto(url)
        page.fill("#wh-note", "王师傅带工具马上到")
        page.get_by_role("button", name="报到", exact=True).click()
        page.wait_for_selector(".whistle-row[data-department='物业'] .meta")
        row = page.locator(".whistle-row[data-department='物业']").inner_text()
        assert "报到时间" in row and "王师傅带工具马上到" in row and "超时" not in row

        # The limit passes with 供水公司 silent: the 督办 job marks it, its handler is told.
        WhistleSummons.objects.filter(whistle=whistle, department=world.other_department).update(
            due_at=timezone.now() - timedelta(hours=1))
        assert whistles_supervise_due()["overdue"] == 1
        context, page = phone_page(browser, live_server.url, world.other_handler)
        contexts.append(context)
        page.goto(url)
        late_row = page.locator(".whistle-row[data-department='供水公司']")
        assert "超时未报到" in late_row.inner_text()
        assert axe_violations(page) == []
        # Reporting in is all this department may do: no empty 办理 card beside it.
        assert page.locator("#act-h").count() == 0
        shot(page, "whistle-late")
        page.fill("#wh-note", "抢修队下午两点到")
        page.get_by_role("button", name="报到", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector(\".whistle-row[data-department='供水公司']\")"
            ".textContent.includes('超时报到')")
        assert "抢修队下午两点到" in late_row.inner_text()
        assert "超时" not in page.locator(".whistle-row[data-department='物业']").inner_text()
        _fits(page)
        shot(page, "whistle-reported")
        summonses = {s.department_id: s for s in WhistleSummons.objects.filter(whistle=whistle)}
        assert not summonses[world.department.pk].late
        assert summonses[world.other_department.pk].late
        assert summonses[world.other_department.pk].ladder == Ladder.OVERDUE

        # The lead gives the result.
        page = contexts[1].new_page()
        page.goto(url)
        page.get_by_text("牵头部门反馈结果").first.click()
        page.fill("#wh-result", "管道已疏通，垃圾已清运")
        page.get_by_role("button", name="提交办理结果").click()
        page.wait_for_function(
            "() => document.querySelector('main').textContent.includes('管道已疏通')")
        case.refresh_from_db()
        assert case.status == Status.RESOLVED

        # The resident sees who was involved, names only, and is asked to confirm.
        context, page = phone_page(browser, live_server.url, world.resident_a)
        contexts.append(context)
        page.goto(url)
        panel = page.locator("#whistle").inner_text()
        assert "参与办理的部门" in panel and "物业" in panel and "供水公司" in panel
        assert "抢修队" not in panel and "报到时间" not in panel
        assert "问题解决了吗？" in page.locator("main").inner_text()
        _fits(page)
        shot(page, "whistle-resident")
    finally:
        for context in contexts:
            context.close()
