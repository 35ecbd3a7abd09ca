"""The claim, waiting list, check-in, confirmation and approval flow, service by service."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from portal.models import Notification
from volunteers import services
from volunteers.choices import ClaimState, TaskState
from volunteers.models import Claim, PointsRule, Task
from volunteers.services import VolunteerError
from volunteers.signals import task_finished

from . import factories as vf

pytestmark = pytest.mark.django_db


@pytest.fixture
def vols(world):
    return [vf.volunteer(community=world.community, grid=world.grid_a) for _ in range(3)]


def test_apply_and_approve(world):
    v = services.volunteer_apply(user=world.resident_a, real_name="谢秀兰",
                                 skills=["elderly"], free_times=["weekend"])
    assert v.state == "pending" and v.grid == world.grid_a and v.phone == world.resident_a.phone
    assert v.public_name == "谢志愿者"
    with pytest.raises(PermissionDenied):
        services.volunteer_decide(actor=world.worker_b, volunteer_id=v.pk, approve=True)
    services.volunteer_decide(actor=world.worker_a, volunteer_id=v.pk, approve=True)
    v.refresh_from_db()
    assert v.state == "approved"
    assert Notification.objects.filter(recipient=world.resident_a).exists()


def test_apply_needs_verified_phone(world):
    world.stranger.phone_verified = False
    world.stranger.save()
    with pytest.raises(VolunteerError):
        services.volunteer_apply(user=world.stranger, real_name="张三", skills=[], free_times=[])


def test_grid_worker_posts_only_in_own_grid(world):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(VolunteerError):
        services.task_create(actor=world.worker_a, title="x", building=world.building_b,
                             starts_at=start, ends_at=start + timedelta(hours=1))
    t = services.task_create(actor=world.worker_a, title="x", building=world.building_a,
                             starts_at=start, ends_at=start + timedelta(hours=1))
    assert t.grid == world.grid_a
    services.task_create(actor=world.admin, title="y", building=world.building_b,
                         starts_at=start, ends_at=start + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        services.task_create(actor=world.resident_a, title="z", building=world.building_a,
                             starts_at=start, ends_at=start + timedelta(hours=1))


def test_claim_waitlist_move_up_and_confirm(world, vols):
    a, b, c = vols
    t = vf.task(building=world.building_a, created_by=world.worker_a, places=1)
    assert services.task_claim(actor=a.user, task_id=t.pk).state == ClaimState.HELD
    # a double tap is one claim
    assert services.task_claim(actor=a.user, task_id=t.pk).state == ClaimState.HELD
    assert Claim.objects.filter(task=t, volunteer=a).count() == 1
    cb = services.task_claim(actor=b.user, task_id=t.pk)
    cc = services.task_claim(actor=c.user, task_id=t.pk)
    assert cb.state == cc.state == ClaimState.WAITLISTED
    services.claim_withdraw(actor=a.user, claim_id=Claim.objects.get(volunteer=a).pk)
    cb.refresh_from_db()
    assert cb.state == ClaimState.OFFERED and cb.offer_expires_at
    t.refresh_from_db()
    assert t.filled == 1
    # b lets the offer lapse; c is asked next
    services.offers_expire(now=cb.offer_expires_at + timedelta(seconds=1))
    cb.refresh_from_db()
    cc.refresh_from_db()
    assert cb.state == ClaimState.LAPSED and cc.state == ClaimState.OFFERED
    services.claim_accept_offer(actor=c.user, claim_id=cc.pk)
    cc.refresh_from_db()
    assert cc.state == ClaimState.HELD
    t.refresh_from_db()
    assert t.filled == 1


def test_no_two_tasks_at_the_same_time(world, vols):
    a = vols[0]
    t1 = vf.task(building=world.building_a, created_by=world.worker_a, places=3)
    t2 = vf.task(building=world.building_a, created_by=world.worker_a, places=3,
                 start_in=timedelta(days=1, hours=1))
    services.task_claim(actor=a.user, task_id=t1.pk)
    with pytest.raises(VolunteerError, match="同一时间"):
        services.task_claim(actor=a.user, task_id=t2.pk)
    t3 = vf.task(building=world.building_a, created_by=world.worker_a,
                 start_in=timedelta(days=1, hours=2))
    assert services.task_claim(actor=a.user, task_id=t3.pk).state == ClaimState.HELD


def test_withdraw_cut_off(world, vols):
    t = vf.task(building=world.building_a, created_by=world.worker_a,
                start_in=timedelta(hours=1), withdraw_cutoff_hours=2)
    c = services.task_claim(actor=vols[0].user, task_id=t.pk)
    with pytest.raises(VolunteerError, match="不能在线退出"):
        services.claim_withdraw(actor=vols[0].user, claim_id=c.pk)


def test_needs_approval(world, vols):
    t = vf.task(building=world.building_a, created_by=world.worker_a, needs_approval=True)
    c = services.task_claim(actor=vols[0].user, task_id=t.pk)
    assert c.state == ClaimState.PENDING
    c2 = services.task_claim(actor=vols[1].user, task_id=t.pk)
    assert c2.state == ClaimState.WAITLISTED
    services.claim_decide(actor=world.worker_a, claim_id=c.pk, approve=False, reason="人够了")
    c2.refresh_from_db()
    assert c2.state == ClaimState.OFFERED
    services.claim_accept_offer(actor=vols[1].user, claim_id=c2.pk)
    c2.refresh_from_db()
    assert c2.state == ClaimState.PENDING
    services.claim_decide(actor=world.worker_a, claim_id=c2.pk, approve=True)
    c2.refresh_from_db()
    assert c2.state == ClaimState.HELD


def _at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_full_service_flow_and_case_signal(world, vols):
    PointsRule.objects.create(community=world.community, per_hour=10, cap_per_task=15)
    a = vols[0]
    t = vf.task(building=world.building_a, created_by=world.worker_a,
                households=[world.household_a], source_case_id=77)
    claim = services.task_claim(actor=a.user, task_id=t.pk)
    with pytest.raises(VolunteerError, match="还没到签到时间"):
        services.claim_check_in(actor=a.user, task_id=t.pk, code=t.checkin_code)
    with _at(t.starts_at - timedelta(minutes=5)):
        with pytest.raises(VolunteerError, match="签到码不对"):
            services.claim_check_in(actor=a.user, task_id=t.pk, code="000000x")
        services.claim_check_in(actor=a.user, task_id=t.pk, token=t.qr_token)
    with _at(t.starts_at + timedelta(minutes=90)):
        services.claim_check_out(actor=a.user, task_id=t.pk)
    claim.refresh_from_db()
    assert claim.service_minutes == 95
    with pytest.raises(VolunteerError, match="还没有确认"):
        services.claim_approve_service(actor=world.worker_a, claim_id=claim.pk)
    with pytest.raises(PermissionDenied):
        services.claim_confirm(actor=world.resident_b, claim_id=claim.pk)
    services.claim_confirm(actor=world.resident_a, claim_id=claim.pk)
    with pytest.raises(PermissionDenied):
        services.claim_approve_service(actor=world.worker_b, claim_id=claim.pk)
    services.claim_approve_service(actor=world.worker_a, claim_id=claim.pk)
    a.refresh_from_db()
    assert a.hours_total == Decimal("1.58")
    assert a.points_balance == 15  # 16 by the hour, capped at 15 per task
    got = []

    def listener(sender, **kw):
        got.append(kw)

    task_finished.connect(listener)
    try:
        with mock.patch("django.db.transaction.on_commit", side_effect=lambda f, **k: f()):
            services.task_finish(actor=world.worker_a, task_id=t.pk, summary="已陪同")
    finally:
        task_finished.disconnect(listener)
    assert got and got[0]["case_id"] == 77 and got[0]["summary"] == "已陪同"
    assert got[0]["task"].pk == t.pk and got[0]["actor"] == world.worker_a


def test_building_head_checks_in_for_someone(world, vols):
    t = vf.task(building=world.building_a, created_by=world.worker_a)
    claim = services.task_claim(actor=vols[0].user, task_id=t.pk)
    with _at(t.starts_at):
        with pytest.raises(PermissionDenied):
            services.claim_check_in_for(actor=world.head_b, claim_id=claim.pk)
        services.claim_check_in_for(actor=world.head_a, claim_id=claim.pk)
    with _at(t.starts_at + timedelta(hours=1)):
        services.claim_check_in_for(actor=world.head_a, claim_id=claim.pk, out=True)
    claim.refresh_from_db()
    assert claim.checked_in_by == world.head_a and claim.service_minutes == 60
    # no household served: the organiser approves without a confirmation
    services.claim_approve_service(actor=world.worker_a, claim_id=claim.pk)


def test_from_case_and_door_knock(world):
    case = mock.Mock(pk=5, title="楼道灯坏了", description="3楼", household=world.household_a,
                     building=None, grid=None)
    t = services.task_create_from_case(actor=world.worker_a, case=case)
    assert t.source_case_id == 5 and t.building == world.building_a
    assert list(t.households.all()) == [world.household_a]
    notice = mock.Mock(pk=9, title="停水通知")
    t2 = services.task_create_door_knock(actor=world.head_a, notice=notice,
                                         households=[world.household_a, world.household_b])
    assert t2.source_notice_id == 9 and t2.households.count() == 2
    assert t2.grid == world.grid_top and t2.building is None


def test_reminders_once(world, vols):
    t = vf.task(building=world.building_a, created_by=world.worker_a,
                start_in=timedelta(minutes=90))
    services.task_claim(actor=vols[0].user, task_id=t.pk)
    assert services.claims_remind_upcoming() == 1
    assert services.claims_remind_upcoming() == 0
    assert Notification.objects.filter(recipient=vols[0].user, title__contains="提醒").count() == 1


def test_message_and_cancel(world, vols):
    t = vf.task(building=world.building_a, created_by=world.worker_a, places=2)
    for v in vols:
        services.task_claim(actor=v.user, task_id=t.pk)
    services.task_message(actor=world.worker_a, task_id=t.pk, body="带上手套")
    assert Notification.objects.filter(title__contains="任务消息").count() == 2
    with pytest.raises(PermissionDenied):
        services.task_message(actor=world.worker_b, task_id=t.pk, body="x")
    services.task_cancel(actor=world.worker_a, task_id=t.pk, reason="下雨")
    t.refresh_from_db()
    assert t.state == TaskState.CANCELLED and t.filled == 0
    assert not Claim.objects.filter(task=t, state__in=["held", "waitlisted"]).exists()


def test_over_filled_is_refused_by_the_database(world):
    from django.db import IntegrityError, transaction

    t = vf.task(building=world.building_a, created_by=world.worker_a, places=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.filter(pk=t.pk).update(filled=2)


def test_an_expired_offer_cannot_be_accepted(world, vols):
    a, b = vols[:2]
    t = vf.task(building=world.building_a, created_by=world.worker_a, places=1)
    ca = services.task_claim(actor=a.user, task_id=t.pk)
    cb = services.task_claim(actor=b.user, task_id=t.pk)
    services.claim_withdraw(actor=a.user, claim_id=ca.pk)
    cb.refresh_from_db()
    with _at(cb.offer_expires_at + timedelta(seconds=1)):
        with pytest.raises(VolunteerError, match="过期"):
            services.claim_accept_offer(actor=b.user, claim_id=cb.pk)
    assert services.offers_expire(now=cb.offer_expires_at + timedelta(seconds=1)) == 1
    cb.refresh_from_db()
    t.refresh_from_db()
    assert cb.state == ClaimState.LAPSED and t.filled == 0


def test_nobody_confirms_or_approves_their_own_service(world):
    """A resident of the household served, who is also its building head and the
    task's grid worker, volunteers for it: every way in is closed to them."""
    from buildings.access import forget_scope
    from buildings.tests.factories import building_head, grid_worker
    from volunteers import selectors

    me = world.resident_a
    building_head(world.building_a, user=me)
    grid_worker(world.grid_a, user=me)
    forget_scope(me)
    mine = vf.volunteer(community=world.community, grid=world.grid_a, user=me)
    t = vf.task(building=world.building_a, created_by=world.worker_a,
                households=[world.household_a])
    claim = services.task_claim(actor=me, task_id=t.pk)
    with _at(t.starts_at):
        services.claim_check_in(actor=me, task_id=t.pk, token=t.qr_token)
    with _at(t.starts_at + timedelta(hours=1)):
        services.claim_check_out(actor=me, task_id=t.pk)
    assert claim.pk not in [c.pk for c in selectors.claims_to_confirm(me)]
    with pytest.raises(PermissionDenied, match="不能确认或审核自己的服务"):
        services.claim_confirm(actor=me, claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.confirmed_at is None
    assert not me.has_perm("volunteers.confirm_service", claim)
    # The neighbour in the household confirms; the volunteer still cannot approve.
    services.claim_confirm(actor=world.head_a, claim_id=claim.pk)
    with pytest.raises(PermissionDenied, match="不能确认或审核自己的服务"):
        services.claim_approve_service(actor=me, claim_id=claim.pk)
    mine.refresh_from_db()
    assert mine.points_balance == 0
    services.claim_approve_service(actor=world.worker_a, claim_id=claim.pk)
