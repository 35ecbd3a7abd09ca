"""The phone pages: access with forged ids, the board's query budget, exports."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from volunteers import services
from volunteers.choices import ClaimState
from volunteers.models import Claim, Task, Volunteer

from . import factories as vf

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    v1 = vf.volunteer(community=world.community, grid=world.grid_a, user=world.resident_a2,
                      name="谢秀兰")
    v2 = vf.volunteer(community=world.community, grid=world.grid_b)
    task = vf.task(building=world.building_a, created_by=world.worker_a,
                   households=[world.household_a])
    return world, v1, v2, task


def login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_pages_render(client, setup):
    world, v1, v2, task = setup
    login(client, v1.user)
    for name, args in [("index", []), ("apply", []), ("task", [task.pk]), ("record", []),
                       ("certificate", []), ("leaderboard", []), ("shop", []),
                       ("to_confirm", [])]:
        assert client.get(reverse(f"volunteers:{name}", args=args)).status_code == 200, name
    assert client.get(reverse("volunteers:index") + "?tab=mine").status_code == 200
    login(client, world.worker_a)
    for name, args in [("index", []), ("task_new", []), ("task", [task.pk]), ("review", []),
                       ("orders", []), ("qr_image", [task.pk])]:
        assert client.get(reverse(f"volunteers:{name}", args=args)).status_code == 200, name
    assert client.get("/me/").status_code == 200


def test_flat_shown_only_while_holding(client, setup):
    world, v1, v2, task = setup
    flat = world.household_a.address
    login(client, v1.user)
    assert flat not in client.get(reverse("volunteers:task", args=[task.pk])).content.decode()
    client.post(reverse("volunteers:claim", args=[task.pk]))
    assert flat in client.get(reverse("volunteers:task", args=[task.pk])).content.decode()
    claim = Claim.objects.get(volunteer=v1)
    client.post(reverse("volunteers:withdraw", args=[claim.pk]))
    assert flat not in client.get(reverse("volunteers:task", args=[task.pk])).content.decode()


def test_claiming_for_someone_else_is_impossible(client, setup):
    world, v1, v2, task = setup
    login(client, v1.user)
    # the claim is always the signed-in person's own, whatever else is posted
    client.post(reverse("volunteers:claim", args=[task.pk]), {"volunteer": v2.pk,
                                                               "user": v2.user_id})
    assert list(Claim.objects.filter(task=task).values_list("volunteer_id", flat=True)) == [v1.pk]
    # a resident who is not a volunteer may not claim
    login(client, world.resident_b)
    assert client.post(reverse("volunteers:claim", args=[task.pk])).status_code == 403
    # withdrawing, accepting someone else's claim: looks like nothing is there
    claim = Claim.objects.get(volunteer=v1)
    login(client, v2.user)
    for name in ("withdraw", "accept_offer", "decline_offer"):
        assert client.post(reverse(f"volunteers:{name}", args=[claim.pk])).status_code == 404
    claim.refresh_from_db()
    assert claim.state == ClaimState.HELD
    assert client.post(reverse("volunteers:claim", args=[99999])).status_code == 404


def _served(task, claim, world):
    with_time = timezone.now()
    Claim.objects.filter(pk=claim.pk).update(checked_in_at=with_time - timedelta(hours=1),
                                             checked_out_at=with_time)


def test_confirming_a_service_that_is_not_yours(client, setup):
    world, v1, v2, task = setup
    claim = services.task_claim(actor=v1.user, task_id=task.pk)
    _served(task, claim, world)
    for stranger in (world.resident_b, world.head_b, v2.user, world.stranger):
        login(client, stranger)
        assert client.post(reverse("volunteers:confirm", args=[claim.pk])).status_code == 404
    # the volunteer can see their own claim, but may not confirm it
    login(client, v1.user)
    assert client.post(reverse("volunteers:confirm", args=[claim.pk])).status_code == 403
    claim.refresh_from_db()
    assert claim.confirmed_at is None
    login(client, world.head_a)  # the building head, for someone without a phone
    client.post(reverse("volunteers:confirm", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.confirmed_by == world.head_a


def test_approving_without_the_role(client, setup):
    world, v1, v2, task = setup
    claim = services.task_claim(actor=v1.user, task_id=task.pk)
    _served(task, claim, world)
    services.claim_confirm(actor=world.resident_a, claim_id=claim.pk)
    login(client, v1.user)  # approving one's own service
    assert client.post(reverse("volunteers:approve_service", args=[claim.pk])).status_code == 403
    login(client, world.worker_b)  # another grid's worker does not see it
    assert client.post(reverse("volunteers:approve_service", args=[claim.pk])).status_code == 404
    login(client, world.resident_a)  # the person helped confirms but does not approve
    assert client.post(reverse("volunteers:approve_service", args=[claim.pk])).status_code == 403
    claim.refresh_from_db()
    assert claim.approved_at is None
    login(client, world.worker_a)
    assert client.post(reverse("volunteers:approve_service", args=[claim.pk])).status_code == 302
    claim.refresh_from_db()
    assert claim.approved_at is not None
    # approving volunteers
    pending = vf.volunteer(community=world.community, grid=world.grid_a, approved=False)
    login(client, v1.user)
    assert client.get(reverse("volunteers:review")).status_code == 403
    assert client.post(reverse("volunteers:decide_volunteer", args=[pending.pk]),
                       {"approve": "1"}).status_code == 404
    login(client, pending.user)
    assert client.post(reverse("volunteers:decide_volunteer", args=[pending.pk]),
                       {"approve": "1"}).status_code == 403
    login(client, world.worker_b)
    assert client.post(reverse("volunteers:decide_volunteer", args=[pending.pk]),
                       {"approve": "1"}).status_code == 404
    pending.refresh_from_db()
    assert pending.state == "pending"
    login(client, world.worker_a)
    client.post(reverse("volunteers:decide_volunteer", args=[pending.pk]), {"approve": "1"})
    pending.refresh_from_db()
    assert pending.state == "approved"


def test_organiser_pages_need_the_role(client, setup):
    world, v1, v2, task = setup
    login(client, v1.user)
    assert client.get(reverse("volunteers:task_new")).status_code == 403
    assert client.get(reverse("volunteers:qr_image", args=[task.pk])).status_code == 404
    assert client.post(reverse("volunteers:message", args=[task.pk]),
                       {"body": "x"}).status_code == 403
    assert client.post(reverse("volunteers:finish", args=[task.pk])).status_code == 403
    assert client.get(reverse("volunteers:export")).status_code == 403
    assert client.get(reverse("volunteers:orders")).status_code == 403
    login(client, world.worker_b)
    assert client.post(reverse("volunteers:cancel", args=[task.pk]),
                       {"reason": "x"}).status_code == 403
    # a grid worker cannot post into another grid through a forged building id
    r = client.post(reverse("volunteers:task_new"), {
        "title": "x", "kind": "general", "building": world.building_a.pk,
        "starts_at": "2031-01-01T09:00", "ends_at": "2031-01-01T10:00", "places": 1,
        "withdraw_cutoff_hours": 2})
    assert r.status_code == 400
    assert not Task.objects.filter(title="x").exists()


def test_create_task_on_the_phone(client, world):
    login(client, world.worker_a)
    r = client.post(reverse("volunteers:task_new"), {
        "title": "帮罗奶奶买菜", "kind": "elderly", "building": world.building_a.pk,
        "unit": world.household_a.unit.number, "flat": world.household_a.number,
        "starts_at": "2031-01-01T09:00", "ends_at": "2031-01-01T10:00", "places": 1,
        "points": 0, "withdraw_cutoff_hours": 2, "skills": ["elderly"]})
    assert r.status_code == 302
    task = Task.objects.get(title="帮罗奶奶买菜")
    assert list(task.households.all()) == [world.household_a]
    r = client.post(reverse("volunteers:task_new"), {
        "title": "坏", "kind": "general", "building": world.building_a.pk,
        "starts_at": "2031-01-01T09:00", "ends_at": "2031-01-01T08:00", "places": 1,
        "withdraw_cutoff_hours": 2})
    assert r.status_code == 400 and "结束时间要晚于开始时间" in r.content.decode()


def test_residents_see_family_name_only(client, setup):
    world, v1, v2, task = setup
    claim = services.task_claim(actor=v1.user, task_id=task.pk)
    _served(task, claim, world)
    login(client, world.resident_a)
    page = client.get(reverse("volunteers:to_confirm")).content.decode()
    assert "谢志愿者" in page and "谢秀兰" not in page
    from portal.site import ensure_home_page

    ensure_home_page()
    home = client.get("/").content.decode()
    assert "等您确认" in home


def test_home_counts_the_services_to_confirm_without_loading_them(client, setup):
    """首页 and 我的 only need how many wait: the count is the list's length."""
    from volunteers import selectors

    world, v1, v2, task = setup
    assert selectors.claims_to_confirm_count(world.resident_a) == 0
    _served(task, services.task_claim(actor=v1.user, task_id=task.pk), world)
    assert selectors.claims_to_confirm_count(world.resident_a) == 1
    assert len(selectors.claims_to_confirm(world.resident_a)) == 1
    assert selectors.claims_to_confirm_count(world.resident_b) == 0
    assert selectors.claims_to_confirm_count(v1.user) == 0


def test_board_queries_do_not_grow(client, setup, django_assert_max_num_queries):
    world, v1, v2, task = setup
    login(client, v1.user)
    client.get(reverse("volunteers:index"))

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("volunteers:index")).status_code == 200
        return len(ctx)

    few = count()
    start = timezone.now() + timedelta(days=2)
    Task.objects.bulk_create([
        Task(community=world.community, grid=world.grid_b if i % 2 else world.grid_a,
             building=world.building_b if i % 2 else world.building_a, title=f"任务{i}",
             starts_at=start + timedelta(minutes=i), ends_at=start + timedelta(minutes=i + 60),
             places=2, created_by=world.worker_a) for i in range(200)])
    assert count() == few
    with django_assert_max_num_queries(few):
        client.get(reverse("volunteers:index") + "?kind=general&when=week&free=1&page=2")


def test_export_csv_and_xlsx(client, setup):
    world, v1, v2, task = setup
    claim = services.task_claim(actor=v1.user, task_id=task.pk)
    _served(task, claim, world)
    services.claim_confirm(actor=world.resident_a, claim_id=claim.pk)
    services.claim_approve_service(actor=world.worker_a, claim_id=claim.pk)
    login(client, world.worker_a)
    r = client.get(reverse("volunteers:export"))
    text = r.content.decode("utf-8-sig")
    assert "服务时长（小时）" in text and "谢秀兰" in text and "1.0" in text
    r = client.get(reverse("volunteers:export") + "?format=xlsx")
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    login(client, world.worker_b)  # another grid's records are not theirs
    assert "谢秀兰" not in client.get(reverse("volunteers:export")).content.decode("utf-8-sig")


def test_wagtail_admin_ledgers_are_read_only(client, setup):
    world, v1, v2, task = setup
    services.ledger_correct(actor=world.admin, volunteer_id=v1.pk, points=5, reason="开户")
    from portal.models import User

    boss = User.objects.create_superuser(username="boss", password="x", phone="+8613999999999")
    login(client, boss)
    assert client.get("/admin/volunteers/pointsentry/").status_code == 200
    assert client.get("/admin/volunteers/pointsentry/new/").status_code in (302, 403)
    for slug in ("volunteer", "task", "pointsrule", "shopitem", "team", "hoursentry",
                 "pointsentry", "redemption"):
        assert client.get(f"/admin/volunteers/{slug}/").status_code == 200, slug
    from volunteers.models import PointsEntry

    entry = PointsEntry.objects.get()
    assert client.get(f"/admin/volunteers/pointsentry/inspect/{entry.pk}/").status_code == 200
    assert client.get(f"/admin/volunteers/pointsentry/edit/{entry.pk}/").status_code in (302, 403)
    assert client.get(f"/admin/volunteers/pointsentry/delete/{entry.pk}/").status_code in (302,
                                                                                        403)
    assert client.get(f"/admin/volunteers/task/edit/{task.pk}/").status_code == 200
    assert client.get("/admin/volunteers/shopitem/new/").status_code == 200
    assert Volunteer.objects.filter(pk__in=[v1.pk, v2.pk]).count() == 2


def test_admin_corrects_from_the_phone(client, setup):
    world, v1, v2, task = setup
    login(client, world.worker_a)
    assert client.post(reverse("volunteers:correct", args=[v1.pk]),
                       {"points": "10", "reason": "补录"}).status_code == 403
    login(client, world.admin)
    assert "更正时长和积分" in client.get(reverse("volunteers:review")).content.decode()
    client.post(reverse("volunteers:correct", args=[v1.pk]), {"points": "10", "reason": "补录"})
    client.post(reverse("volunteers:correct", args=[v1.pk]), {"points": "-3", "reason": ""})
    v1.refresh_from_db()
    assert v1.points_balance == 10


def test_building_head_finds_and_checks_in(client, setup):
    world, v1, v2, task = setup
    claim = services.task_claim(actor=v1.user, task_id=task.pk)
    Task.objects.filter(pk=task.pk).update(starts_at=timezone.now() + timedelta(minutes=10))
    login(client, world.head_a)
    assert task.title in client.get("/me/").content.decode()
    page = client.get(reverse("volunteers:task", args=[task.pk])).content.decode()
    assert "代为签到" in page
    client.post(reverse("volunteers:check_in_for", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.checked_in_by == world.head_a
    login(client, world.head_b)
    assert client.post(reverse("volunteers:check_in_for", args=[claim.pk]),
                       {"out": "1"}).status_code == 404


def test_a_task_edited_in_the_wagtail_admin_shows_in_its_history(client, setup):
    world, v1, v2, task = setup
    from wagtail.models import ModelLogEntry

    from portal.models import User

    boss = User.objects.create_superuser(username="boss", password="x", phone="+8613999999999")
    login(client, boss)
    response = client.post(f"/admin/volunteers/task/edit/{task.pk}/", {
        "title": "楼道清扫（改）", "public_title": task.public_title, "description": task.description,
        "place": task.place, "points": task.points, "withdraw_cutoff_hours": 2})
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = ModelLogEntry.objects.get(action="wagtail.edit", object_id=str(task.pk))
    assert entry.user == boss
    history = client.get(f"/admin/volunteers/task/history/{task.pk}/")
    assert history.status_code == 200 and str(entry.message) in history.content.decode()
