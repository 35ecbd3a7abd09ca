"""What a resident reads on her case page and her list, against what staff read."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buildings.tests import factories as f
from community.choices import Status
from community.models import Case
from community.services import case_accept, case_dispatch, case_merge, case_submit
from portal.models import SmsMessage

from .factories import case_in, category

S = Status
pytestmark = pytest.mark.django_db


def page(user, url) -> str:
    c = Client()
    c.force_login(user)
    response = c.get(url)
    assert response.status_code == 200
    return response.content.decode()


def day(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日"


def test_resident_reads_what_happened_staff_read_the_steps(world):
    world.handler.display_name = "潘师傅"
    world.handler.save(update_fields=["display_name"])
    case = case_in(world, S.TRIAGED)
    case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department,
                  person=world.handler)
    case_accept(actor=world.handler, case_id=case.pk)
    case.refresh_from_db()
    url = reverse("community:detail", args=[case.pk])

    html = page(world.resident_a, url)
    top, timeline = html.split('id="tl-h"')
    # The summary box, on top: who handles it and by when.
    assert "现在的进度" in top and "物业 潘师傅 正在办理" in top
    assert f"预计 {day(case.due_at)} 前办好" in top
    for words in ("社区已收到", "网格员已看过，正在安排人办理",
                  f"已交给 物业 潘师傅 办理，预计 {day(case.due_at)} 前办好", "潘师傅 已开始处理"):
        assert words in timeline, words
    for step in ("分类 → 待转办", "转办 → 已转办", "接收 → 办理中"):
        assert step not in html

    staff = page(world.worker_a, url)
    for step in ("分类 → 待转办", "转办 → 已转办", "接收 → 办理中"):
        assert step in staff, step
    assert "现在的进度" not in staff


def test_the_result_and_a_declined_reason_in_plain_words(world):
    case = case_in(world, S.RESOLVED)
    html = page(world.resident_a, reverse("community:detail", args=[case.pk]))
    assert "办理结果：" in html and "已修好" in html and "反馈结果 → 待评价" not in html
    declined = case_in(world, S.DECLINED)
    html = page(world.resident_a, reverse("community:detail", args=[declined.pk]))
    assert "社区不予受理，原因：" in html and "不属于社区" in html


def test_urge_is_explained_before_the_deadline(world):
    case = case_in(world, S.DISPATCHED)
    html = page(world.resident_a, reverse("community:detail", args=[case.pk]))
    assert f"{day(case.due_at)} 还没办好的话，可以在这里催一催" in html
    assert reverse("community:act", args=[case.pk, "urge"]) not in html
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timezone.timedelta(hours=1))
    html = page(world.resident_a, reverse("community:detail", args=[case.pk]))
    assert reverse("community:act", args=[case.pk, "urge"]) in html
    assert "还没办好的话" not in html


def test_her_own_flat_is_not_masked_for_her_household(world):
    case = case_in(world, S.SUBMITTED)
    full = world.household_a.address
    masked = world.household_a.masked_address
    # A verified member of the same household who follows it, and a neighbour from
    # another flat whose duplicate was merged into it.
    housemate = f.resident_of(world.household_a)
    Case.objects.get(pk=case.pk).followers.create(user=housemate)
    dup = case_submit(reporter=world.resident_a2, category=category(),
                      household=world.household_a2, description="同一盏灯")
    case_merge(actor=world.worker_a, case_id=dup.pk, into_id=case.pk)

    for person in (world.resident_a, housemate):
        for url in (reverse("community:index"), reverse("community:detail", args=[case.pk])):
            html = page(person, url)
            assert full in html, (person, url)
            assert masked not in html, (person, url)
    for url in (reverse("community:index"), reverse("community:detail", args=[case.pk])):
        html = page(world.resident_a2, url)
        assert masked in html and full not in html, url


def test_the_result_sms_says_which_case_and_links_to_it(world):
    case = case_in(world, S.RESOLVED)
    sms = SmsMessage.objects.filter(phone=world.resident_a.phone).order_by("pk").last()
    tag = f"维修·{world.household_a.unit.building.label}1单元·{case.pk:05d}"
    assert tag in sms.text
    link = f"/c/{case.pk}/"
    assert sms.text.startswith("【仫佬家园】您的诉求有了办理结果，请确认：")
    assert sms.text.endswith(link)
    assert world.household_a.number not in sms.text.replace(f"{case.pk:05d}", "")
    words = sms.text[:sms.text.index("http")].strip()
    assert len(words) <= 70, words


def test_the_short_link_opens_the_case_after_sign_in(world):
    case = case_in(world, S.RESOLVED)
    short = f"/c/{case.pk}/"
    anonymous = Client().get(short)
    assert anonymous.status_code == 302 and "login" in anonymous.url
    assert anonymous.url.endswith(f"next={short}")
    mine = Client()
    mine.force_login(world.resident_a)
    response = mine.get(short)
    assert response.status_code == 302
    assert response.url == reverse("community:detail", args=[case.pk])
    for stranger in (world.resident_b, world.stranger, world.worker_b):
        c = Client()
        c.force_login(stranger)
        assert c.get(short).status_code == 404


@pytest.mark.parametrize("answer, banner", [
    ({"fixed": "yes", "rating": "5"}, "谢谢您的评价，这件事已办结"),
    ({"fixed": "no"}, "已告诉社区：问题还没解决，会重新安排处理"),
    ({"fixed": "yes", "rating": "1"}, "谢谢您的评价。您不太满意，社区会重新安排处理"),
], ids=["fixed", "not-fixed", "low-rating"])
def test_each_feedback_gets_its_own_words(world, answer, banner):
    case = case_in(world, S.RESOLVED)
    c = Client()
    c.force_login(world.resident_a)
    response = c.post(reverse("community:act", args=[case.pk, "feedback"]), answer, follow=True)
    html = response.content.decode()
    assert banner in html
    assert "已办理" not in html


def test_staff_moves_say_what_happened(world):
    case = case_in(world, S.TRIAGED)
    c = Client()
    c.force_login(world.worker_a)
    html = c.post(reverse("community:act", args=[case.pk, "dispatch"]),
                  {"to": f"d{world.department.pk}"}, follow=True).content.decode()
    assert "已交给 物业 办理" in html and "已办理" not in html
