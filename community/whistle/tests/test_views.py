"""吹哨报到 on the case page: the panel for staff and for the resident, and who is refused."""

import pytest
from django.test import Client
from django.urls import reverse

from buildings.tests import factories as f
from community.choices import Status
from community.models import Whistle, WhistleSummons
from community.tests.factories import case_in
from community.whistle.services import whistle_blow, whistle_report_in

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def _act(case, kind):
    return reverse("community:act", args=[case.pk, kind])


@pytest.fixture
def police(world):
    dept = f.DepartmentFactory(community=world.community, name="社区警务室")
    return dept, f.handler(dept)


def test_a_grid_worker_blows_the_whistle_from_the_case_page(world, police):
    case = case_in(world, Status.DISPATCHED)
    c = client_for(world.worker_a)
    page = c.get(reverse("community:detail", args=[case.pk])).content.decode()
    assert "吹哨：召集多个部门" in page and "社区警务室" in page
    response = c.post(_act(case, "whistle"), {
        "departments": [world.department.pk, world.other_department.pk],
        "lead": world.other_department.pk, "note": "需要两家一起"})
    assert response.status_code == 303
    whistle = Whistle.objects.get(case=case)
    assert whistle.lead == world.other_department and whistle.blown_by == world.worker_a
    assert set(whistle.summonses.values_list("department__name", flat=True)) == {"物业", "供水公司"}


@pytest.mark.parametrize("post, message", [
    ({"departments": ["999999"], "lead": "999999"}, "请从列表里选择本社区的部门。"),
    ({"departments": ["abc"], "lead": "1"}, "部门"),
    ({"departments": [], "lead": ""}, "牵头部门"),
    ("elsewhere", "请从列表里选择本社区的部门。"),
    ("one", "吹哨报到至少要召集两个部门。"),
])
def test_forged_or_missing_department_ids_are_a_400(world, post, message):
    case = case_in(world, Status.DISPATCHED)
    if post == "elsewhere":
        other = f.DepartmentFactory(community=f.CommunityFactory(name="别的社区"), name="外面的")
        post = {"departments": [world.department.pk, other.pk], "lead": world.department.pk}
    elif post == "one":
        post = {"departments": [world.department.pk], "lead": world.department.pk}
    response = client_for(world.worker_a).post(_act(case, "whistle"), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Whistle.objects.exists()


def test_a_grid_worker_of_another_grid_is_refused(world):
    # The case does not exist for them (404, as for any case one may not see); a
    # worker of the grid above may see it and blow the whistle.
    case = case_in(world, Status.DISPATCHED)
    response = client_for(world.worker_b).post(_act(case, "whistle"), {
        "departments": [world.department.pk, world.other_department.pk],
        "lead": world.department.pk})
    assert response.status_code == 404
    assert not Whistle.objects.exists()


@pytest.fixture
def blown(world):
    case = case_in(world, Status.DISPATCHED)
    whistle_blow(actor=world.worker_a, case_id=case.pk,
                 departments=[world.department, world.other_department], lead=world.department,
                 note="内部说明：两家一起")
    return case


def test_a_handler_of_a_department_not_summoned_is_refused(world, police, blown):
    c = client_for(police[1])
    assert c.get(reverse("community:detail", args=[blown.pk])).status_code == 404
    assert c.post(_act(blown, "report_in"), {"note": "我们也来"}).status_code == 404
    assert c.post(_act(blown, "whistle_result"), {"text": "好了"}).status_code == 404
    # The case's own department (物业, it was dispatched to them) sees the case, but a
    # whistle that summons 供水公司 and 警务室 without them does not let them report in.
    other = case_in(world, Status.DISPATCHED)
    whistle_blow(actor=world.worker_a, case_id=other.pk,
                 departments=[world.other_department, police[0]], lead=police[0])
    refused = client_for(world.handler).post(_act(other, "report_in"), {"note": "物业也来"})
    assert refused.status_code == 403 and "部门报到" in refused.content.decode()
    assert c.get(reverse("community:detail", args=[other.pk])).status_code == 200
    assert not WhistleSummons.objects.filter(reported_at__isnull=False).exists()


def test_a_summoned_department_sees_the_case_and_reports_in(world, blown):
    c = client_for(world.other_handler)
    page = c.get(reverse("community:detail", args=[blown.pk])).content.decode()
    assert "吹哨报到" in page and 'name="note"' in page and "牵头部门反馈结果" not in page
    assert c.post(_act(blown, "report_in"), {"note": ""}).status_code == 400
    assert c.post(_act(blown, "report_in"), {"note": "抢修队下午到"}).status_code == 303
    again = c.post(_act(blown, "report_in"), {"note": "再来"})
    assert again.status_code == 400 and "已经报到过了" in again.content.decode()
    # Only the lead gives the result.
    assert c.post(_act(blown, "whistle_result"), {"text": "好了"}).status_code == 403


def test_the_resident_sees_the_departments_by_name_only(world, blown):
    whistle_report_in(actor=world.other_handler, case_id=blown.pk, note="抢修队电话13912345678")
    page = client_for(world.resident_a).get(
        reverse("community:detail", args=[blown.pk])).content.decode()
    assert "参与办理的部门" in page and "物业" in page and "供水公司" in page
    for hidden in ("抢修队", "内部说明", "报到时间", "13912345678"):
        assert hidden not in page
    assert client_for(world.resident_a).post(_act(blown, "report_in"),
                                             {"note": "x"}).status_code == 403


def test_the_statistics_page_has_the_whistle_table(world, blown):
    from django.contrib.auth.models import Permission

    world.admin.user_permissions.add(Permission.objects.get(codename="access_admin"))
    whistle_report_in(actor=world.handler, case_id=blown.pk, note="到")
    page = client_for(world.admin).get(reverse("community_statistics")).content.decode()
    assert "吹哨报到" in page and "按时报到" in page and "报到用时中位数（工作小时）" in page


def test_the_summons_is_in_the_summoned_departments_workbench(world, police):
    case = case_in(world, Status.DISPATCHED)  # dispatched to 物业
    queue = reverse("community:workbench") + "?tab=waiting"
    link = f'href="{reverse("community:detail", args=[case.pk])}"'
    assert link not in client_for(world.other_handler).get(queue).content.decode()
    whistle_blow(actor=world.worker_a, case_id=case.pk,
                 departments=[world.department, world.other_department], lead=world.department)
    assert link in client_for(world.other_handler).get(queue).content.decode()
    assert link not in client_for(police[1]).get(queue).content.decode()
