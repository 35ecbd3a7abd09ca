"""Every change to volunteers, tasks, claims, ledgers and the points supermarket.

Each function runs in one transaction, writes its audit row in it and tells
the people concerned (notifications are rows in the same transaction; SMS
leave after commit). Two things are guarded twice, by a lock and by the
database itself:

- a task's places: the task row is locked (``select_for_update``; on SQLite
  the IMMEDIATE transactions serialise writers instead), a place is taken by a
  conditional ``UPDATE … SET filled = filled + 1 WHERE filled < places`` and a
  CHECK constraint refuses ``filled > places``; a unique constraint makes a
  double tap one claim;
- balances and stock: the volunteer row is locked, balances and stock change
  by conditional updates, and CHECK constraints refuse anything below zero.

Locks are always taken volunteer first, then task or item, so two services
never wait on each other in a circle.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require, scope_of
from buildings.choices import ResidencyState
from buildings.models import Building, Community, Grid, Household, Residency, Unit
from portal.choices import NotificationKind
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from .choices import (
    LIVE_STATES,
    PLACE_STATES,
    ClaimState,
    EntryKind,
    RedemptionState,
    TaskKind,
    TaskState,
    VolunteerState,
)
from .models import (
    Claim,
    HoursEntry,
    PointsEntry,
    PointsRule,
    Redemption,
    ShopItem,
    Task,
    TaskMessage,
    Team,
    Volunteer,
)
from .rules import forget_volunteer, volunteer_of
from .signals import task_finished
from .workflow import WorkflowError, check_move

KIND = NotificationKind.VOLUNTEER
OFFER_WINDOW = timedelta(hours=2)
CHECKIN_EARLY = timedelta(minutes=30)
CHECKOUT_LATE = timedelta(hours=3)


class VolunteerError(Exception):
    """A change that cannot be made; the message is for the person."""


def _task_url(task: Task) -> str:
    return reverse("volunteers:task", args=[task.pk])


def _lock_volunteer(volunteer_id: int) -> Volunteer:
    return Volunteer.objects.select_for_update().select_related("user").get(pk=volunteer_id)


def _lock_task(task_id: int) -> Task:
    try:
        return Task.objects.select_for_update().get(pk=task_id)
    except Task.DoesNotExist as exc:
        raise VolunteerError(_("没有这个任务。")) from exc


def _own_volunteer(actor: User) -> Volunteer:
    volunteer = volunteer_of(actor)
    if volunteer is None or volunteer.state != VolunteerState.APPROVED:
        raise VolunteerError(
            _("需要先成为经审核的志愿者。")
        )
    return volunteer


# --- Volunteers -------------------------------------------------------------


def volunteer_apply(*, user: User, real_name: str, skills: list[str], free_times: list[str],
                    team: Team | None = None, hide_from_leaderboard: bool = False) -> Volunteer:
    """A resident applies to volunteer; staff of their grid are told.

    The phone is the account's verified phone; an account without one cannot
    apply. A rejected applicant may apply again (the same row goes back to
    pending).
    """
    real_name = (real_name or "").strip()
    if not real_name or len(real_name) > 40:
        raise VolunteerError(_("请填写真实姓名。"))
    if not (user.phone and user.phone_verified):
        raise VolunteerError(_("请先验证手机号。"))
    residency = (
        Residency.objects.filter(user=user, state=ResidencyState.VERIFIED)
        .select_related("household__unit__building__grid")
        .first()
    )
    if residency is not None:
        building = residency.household.unit.building
        community_id, grid = building.community_id, building.grid
    else:
        community = Community.objects.order_by("pk").first()
        if community is None:
            raise VolunteerError(_("社区尚未设置。"))
        community_id, grid = community.pk, None
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().filter(user=user).first()
        if volunteer is not None and volunteer.state in (VolunteerState.APPROVED,
                                                         VolunteerState.PENDING):
            raise VolunteerError(_("您已经申请过了。"))
        if volunteer is None:
            volunteer = Volunteer(user=user)
        volunteer.community_id = community_id
        volunteer.grid = grid
        volunteer.real_name = real_name
        volunteer.phone = user.phone
        volunteer.set_skills(skills)
        volunteer.set_free_times(free_times)
        volunteer.team = team
        volunteer.hide_from_leaderboard = hide_from_leaderboard
        volunteer.state = VolunteerState.PENDING
        volunteer.applied_at = timezone.now()
        volunteer.reason = ""
        volunteer.save()
        audit(actor=user, action="volunteer.apply", target=volunteer)
        for person in _reviewers(volunteer):
            notify(recipient=person, kind=KIND, title=gettext_lazy("有新的志愿者申请"),
                   body=real_name, url=reverse("volunteers:review"))
    forget_volunteer(user)
    return volunteer


def _reviewers(volunteer: Volunteer) -> list[User]:
    from buildings.models import CommunityAdmin, GridWorker

    ids = set(CommunityAdmin.objects.filter(community_id=volunteer.community_id)
              .values_list("user_id", flat=True))
    if volunteer.grid_id:
        grid = volunteer.grid
        paths = [grid.path[:end] for end in range(grid.steplen, len(grid.path) + 1, grid.steplen)]
        ids |= set(GridWorker.objects.filter(grid__path__in=paths)
                   .values_list("user_id", flat=True))
    return list(User.objects.filter(pk__in=ids))


def volunteer_update_profile(*, user: User, skills: list[str], free_times: list[str],
                             hide_from_leaderboard: bool) -> Volunteer:
    """The volunteer changes what they can do, when they are free, and leaderboard privacy."""
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(user=user)
        volunteer.set_skills(skills)
        volunteer.set_free_times(free_times)
        volunteer.hide_from_leaderboard = hide_from_leaderboard
        volunteer.save(update_fields=["skills", "free_times", "hide_from_leaderboard"])
        audit(actor=user, action="volunteer.profile", target=volunteer)
    forget_volunteer(user)
    return volunteer


def volunteer_decide(*, actor: User, volunteer_id: int, approve: bool,
                     reason: str = "") -> Volunteer:
    """Staff of the volunteer's grid (or an admin) approve or reject an application."""
    reason = (reason or "").strip()[:200]
    if not approve and not reason:
        raise VolunteerError(_("请填写不通过的原因。"))
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer_id)
        require(actor, "volunteers.decide_volunteer", volunteer)
        if volunteer.state != VolunteerState.PENDING:
            raise VolunteerError(_("这份申请已经处理过了。"))
        volunteer.state = VolunteerState.APPROVED if approve else VolunteerState.REJECTED
        volunteer.reason = reason
        volunteer.decided_at = timezone.now()
        volunteer.decided_by = actor
        volunteer.save(update_fields=["state", "reason", "decided_at", "decided_by"])
        audit(actor=actor, action="volunteer.approve" if approve else "volunteer.reject",
              target=volunteer, reason=reason)
        notify(recipient=volunteer.user, kind=KIND, sms=True,
               title=(gettext_lazy("您已成为志愿者，可以报名任务了") if approve
                      else gettext_lazy("志愿者申请未通过")),
               body="" if approve else later(gettext_lazy("原因：%(r)s"), r=reason),
               url=reverse("volunteers:index"))
    forget_volunteer(volunteer.user)
    return volunteer


# --- Tasks ------------------------------------------------------------------


def task_create(*, actor: User, title: str, starts_at: datetime, ends_at: datetime,
                description: str = "", kind: str = TaskKind.GENERAL,
                building: Building | None = None, unit: Unit | None = None,
                grid: Grid | None = None, place: str = "", households=(), places: int = 1,
                skills=(), points: int = 0, needs_approval: bool = False,
                withdraw_cutoff_hours: int = 2, source_case_id: int | None = None,
                source_notice_id: int | None = None, check_access: bool = True,
                public_title: str = "") -> Task:
    """Post a task. A grid worker posts only in their own grids; an admin anywhere.

    ``check_access=False`` is for the other apps' entry points below, whose
    callers have already decided the person may act on the case or notice.
    """
    title = (title or "").strip()
    if not title:
        raise VolunteerError(_("请填写任务标题。"))
    if unit is not None and building is None:
        building = unit.building
    if unit is not None and unit.building_id != building.pk:
        raise VolunteerError(_("单元不属于这栋楼。"))
    if building is not None:
        grid = building.grid
    if grid is None:
        raise VolunteerError(_("请选择楼栋或网格。"))
    if ends_at <= starts_at:
        raise VolunteerError(_("结束时间要晚于开始时间。"))
    if not 1 <= int(places) <= 500:
        raise VolunteerError(_("需要人数应在1到500之间。"))
    if check_access:
        require(actor, "volunteers.create_task")
        if not scope_of(actor).covers_grid(grid.pk):
            raise VolunteerError(
                _("只能在自己负责的网格发布任务。")
            )
        if starts_at <= timezone.now():
            raise VolunteerError(_("开始时间已经过去了。"))
    with transaction.atomic():
        task = Task(
            community_id=grid.community_id, grid=grid, building=building, unit=unit,
            place=(place or "").strip()[:100], kind=kind, title=title[:80],
            public_title=(public_title or "").strip()[:80],
            description=(description or "").strip(), starts_at=starts_at, ends_at=ends_at,
            places=int(places), points=max(0, int(points or 0)), needs_approval=needs_approval,
            withdraw_cutoff_hours=withdraw_cutoff_hours, created_by=actor,
            source_case_id=source_case_id, source_notice_id=source_notice_id,
        )
        task.set_skills(skills)
        task.save()
        households = list(households)
        if households:
            task.households.set(households)
        audit(actor=actor, action="task.create", target=task, grid=grid.pk,
              case=source_case_id, notice=source_notice_id, households=len(households))
    return task


def _next_morning(hour: int = 9) -> datetime:
    local = timezone.localtime() + timedelta(days=1)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


def task_create_from_case(*, actor: User, case, title: str | None = None,
                          starts_at: datetime | None = None, ends_at: datetime | None = None,
                          places: int = 1, points: int = 0, description: str | None = None
                          ) -> Task:
    """A grid worker dispatches a case to volunteers: a task that reports back when finished.

    The case's place (its household, or its building) becomes the task's; its
    household is the one served, so only a volunteer holding the place sees the
    flat, and its residents confirm the service. When the task is finished,
    ``signals.task_finished`` is sent with ``case_id``. The caller has checked
    that ``actor`` may dispatch the case.
    """
    household = getattr(case, "household", None)
    building = getattr(case, "building", None) or (household.unit.building if household else None)
    grid = getattr(case, "grid", None)
    if building is None and grid is None:
        grid = Grid.objects.filter(community_id=getattr(case, "community_id", None)).order_by(
            "path").first() or Grid.objects.order_by("path").first()
    starts_at = starts_at or _next_morning()
    case_title = getattr(case, "title", "") or _("诉求 #%(n)s") % {"n": case.pk}
    text = description if description is not None else (
        getattr(case, "description", "") or getattr(case, "body", "") or "")
    return task_create(
        actor=actor, title=title or _("协办：%(t)s") % {"t": case_title}, description=text,
        kind=TaskKind.CASE, building=building, unit=household.unit if household else None,
        grid=grid, households=[household] if household else [], starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(hours=2), places=places, points=points,
        source_case_id=case.pk, check_access=False,
    )


def task_create_door_knock(*, actor: User, notice, households, starts_at: datetime | None = None,
                           places: int | None = None) -> Task:
    """Households that did not acknowledge a notice: volunteers knock on their doors.

    The flats are shown only to volunteers holding a place on the task. The
    caller has checked that ``actor`` may act on the notice.
    """
    households = list(Household.objects.filter(pk__in=[h.pk for h in households])
                      .select_related("unit__building__grid"))
    if not households:
        raise VolunteerError(_("没有需要上门的住户。"))
    buildings = {h.unit.building for h in households}
    building = buildings.pop() if len(buildings) == 1 else None
    grid = building.grid if building else _common_grid([h.unit.building.grid for h in households])
    starts_at = starts_at or _next_morning()
    title = getattr(notice, "title", "") or _("通知 #%(n)s") % {"n": notice.pk}
    return task_create(
        actor=actor, title=(_("上门告知：%(t)s") % {"t": title})[:80],
        description=_("请逐户上门，告知通知内容，并请住户在手机上点“收到”或由您代为登记。共 %(n)d 户。")
        % {"n": len(households)},
        kind=TaskKind.DOOR_KNOCK, building=building, grid=grid, households=households,
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
        places=places or max(1, min(10, (len(households) + 9) // 10)),
        source_notice_id=notice.pk, check_access=False,
    )


def _common_grid(grids: list[Grid]) -> Grid:
    """The deepest grid above all of these (their common ancestor, or one of them)."""
    paths = [g.path for g in grids]
    prefix = paths[0]
    for path in paths[1:]:
        while not path.startswith(prefix):
            prefix = prefix[: len(prefix) - grids[0].steplen]
    return Grid.objects.get(path=prefix) if prefix else grids[0]


def task_message(*, actor: User, task_id: int, body: str, sms: bool = False) -> TaskMessage:
    """The organiser writes to everyone on the task (holders, and those asked to confirm)."""
    body = (body or "").strip()
    if not body:
        raise VolunteerError(_("请填写消息内容。"))
    with transaction.atomic():
        task = _lock_task(task_id)
        require(actor, "volunteers.organise_task", task)
        message = TaskMessage.objects.create(task=task, author=actor, body=body[:1000])
        audit(actor=actor, action="task.message", target=task, message=message.pk)
        claims = Claim.objects.filter(task=task, state__in=PLACE_STATES).select_related(
            "volunteer__user")
        for claim in claims:
            notify(recipient=claim.volunteer.user, kind=KIND, sms=sms,
                   title=later(gettext_lazy("任务消息：%(t)s"), t=task.board_title), body=body[:200],
                   url=_task_url(task))
    return message


def task_finish(*, actor: User, task_id: int, summary: str = "") -> Task:
    """The organiser closes the task; a task from a case reports back to the case."""
    with transaction.atomic():
        task = _lock_task(task_id)
        require(actor, "volunteers.organise_task", task)
        if task.state != TaskState.OPEN:
            raise VolunteerError(_("任务已经结束了。"))
        task.state = TaskState.FINISHED
        task.finished_at = timezone.now()
        task.summary = (summary or "").strip()
        task.save(update_fields=["state", "finished_at", "summary"])
        # Anyone still waiting will not be called now.
        for claim in Claim.objects.filter(task=task, state__in=[ClaimState.WAITLISTED,
                                                                ClaimState.OFFERED,
                                                                ClaimState.PENDING]):
            _end_claim(claim, ClaimState.CANCELLED)
        audit(actor=actor, action="task.finish", target=task, summary=task.summary)
        if task.source_case_id:
            case_id, text = task.source_case_id, task.summary
            transaction.on_commit(lambda: task_finished.send(
                sender=Task, task=task, case_id=case_id, actor=actor, summary=text))
    return task


def task_cancel(*, actor: User, task_id: int, reason: str) -> Task:
    """The organiser calls the task off; everyone on it is told."""
    reason = (reason or "").strip()
    if not reason:
        raise VolunteerError(_("请填写取消原因。"))
    with transaction.atomic():
        task = _lock_task(task_id)
        require(actor, "volunteers.organise_task", task)
        if task.state != TaskState.OPEN:
            raise VolunteerError(_("任务已经结束了。"))
        claims = list(Claim.objects.filter(task=task, state__in=LIVE_STATES)
                      .select_related("volunteer__user"))
        for claim in claims:
            _end_claim(claim, ClaimState.CANCELLED)
            notify(recipient=claim.volunteer.user, kind=KIND, sms=True,
                   title=later(gettext_lazy("任务已取消：%(t)s"), t=task.board_title), body=reason,
                   url=_task_url(task))
        Task.objects.filter(pk=task.pk).update(filled=0, state=TaskState.CANCELLED,
                                               summary=reason, finished_at=timezone.now())
        task.refresh_from_db()
        audit(actor=actor, action="task.cancel", target=task, reason=reason)
    return task


# --- Claims -----------------------------------------------------------------


def _overlapping(volunteer: Volunteer, task: Task):
    return (Claim.objects.filter(volunteer=volunteer, state__in=PLACE_STATES,
                                 task__starts_at__lt=task.ends_at,
                                 task__ends_at__gt=task.starts_at,
                                 task__state=TaskState.OPEN)
            .exclude(task=task).select_related("task").first())


def _overlap_error(other: Claim) -> VolunteerError:
    return VolunteerError(
        _("这个时间您已经报名了“%(t)s”，同一时间只能参加一个任务。") % {"t": other.task.title}
    )


def _take_place(task: Task) -> bool:
    """One conditional UPDATE: true if a place was free and is now taken."""
    taken = Task.objects.filter(pk=task.pk, filled__lt=F("places")).update(
        filled=F("filled") + 1)
    if taken:
        task.filled += 1
    return bool(taken)


def _free_place(task: Task) -> None:
    Task.objects.filter(pk=task.pk, filled__gt=0).update(filled=F("filled") - 1)
    task.filled = max(0, task.filled - 1)


def _end_claim(claim: Claim, to: str) -> None:
    """Move a claim to an end state; a claim that held a place gives it back."""
    check_move(claim, to)
    held = claim.state in PLACE_STATES
    claim.state = to
    claim.ended_at = timezone.now()
    claim.offer_expires_at = None
    claim.save(update_fields=["state", "ended_at", "offer_expires_at"])
    if held:
        _free_place(claim.task)


def task_claim(*, actor: User, task_id: int) -> Claim:
    """The volunteer asks for a place on a task. Returns their claim.

    Exactly one of: a place (held, or pending the organiser's approval), or a
    place on the waiting list when the task is full. However many people tap at
    once, the task never has more claims on places than places; a double tap
    returns the claim the first tap made.

    The volunteer's row is locked first: it serialises one person's taps, so
    the double-tap and overlap checks can run before the task's row is locked,
    and the time the hot task row stays locked is four statements.
    """
    volunteer = _own_volunteer(actor)
    now = timezone.now()
    try:
        with transaction.atomic():
            volunteer = _lock_volunteer(volunteer.pk)
            existing = Claim.objects.filter(task_id=task_id, volunteer=volunteer,
                                            state__in=LIVE_STATES).first()
            if existing is not None:
                return existing
            task = Task.objects.filter(pk=task_id).first()
            if task is None:
                raise VolunteerError(_("没有这个任务。"))
            if task.state != TaskState.OPEN or task.starts_at <= now:
                raise VolunteerError(_("这个任务已经不能报名了。"))
            other = _overlapping(volunteer, task)
            if other is not None:
                raise _overlap_error(other)
            task = _lock_task(task_id)
            if task.state != TaskState.OPEN:
                raise VolunteerError(_("这个任务已经不能报名了。"))
            if _take_place(task):
                state = ClaimState.PENDING if task.needs_approval else ClaimState.HELD
            else:
                state = ClaimState.WAITLISTED
            claim = Claim.objects.create(task=task, volunteer=volunteer, state=state,
                                         created_at=now)
            audit(actor=actor, action="claim.create", target=claim, task=task.pk, state=state)
            if state == ClaimState.PENDING:
                notify(recipient=task.created_by, kind=KIND,
                       title=later(gettext_lazy("有人报名“%(t)s”，请审核"), t=task.title),
                       body=volunteer.real_name, url=_task_url(task))
    except IntegrityError:
        # Only reachable if two taps got past the volunteer lock together; the
        # whole transaction (and its place) was rolled back: the first tap's claim stands.
        return Claim.objects.get(task_id=task_id, volunteer=volunteer, state__in=LIVE_STATES)
    return claim


def claim_withdraw(*, actor: User, claim_id: int) -> Claim:
    """The volunteer leaves a task (before the cut-off); the waiting list moves up."""
    now = timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_related("volunteer").get(pk=claim_id)
        require(actor, "volunteers.withdraw_claim", claim)
        _lock_volunteer(claim.volunteer_id)
        task = _lock_task(claim.task_id)
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        claim.task = task
        if claim.state in (ClaimState.HELD, ClaimState.PENDING):
            cutoff = task.starts_at - timedelta(hours=task.withdraw_cutoff_hours)
            if now >= cutoff:
                raise VolunteerError(
                    _("开始前%(h)d小时内不能在线退出，请直接联系组织者。")
                    % {"h": task.withdraw_cutoff_hours}
                )
        try:
            _end_claim(claim, ClaimState.WITHDRAWN)
        except WorkflowError as exc:
            raise VolunteerError(str(exc)) from exc
        audit(actor=actor, action="claim.withdraw", target=claim, task=task.pk)
        _move_up(task, now=now)
    return claim


def claims_withdraw_upcoming(*, actor: User, volunteer_id: int, now: datetime | None = None,
                             reason: str = "") -> int:
    """Give back every place the volunteer has on tasks that have not started yet.

    Used when an account is deleted (``volunteers.privacy``). One transaction
    (or the caller's); the volunteer row is locked first, then each task's, as
    everywhere in this module; one ``claim.withdraw`` audit row per claim; the
    waiting lists move up. No cut-off applies. Returns how many were given back.
    """
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        _lock_volunteer(volunteer_id)
        upcoming = (Claim.objects.filter(volunteer_id=volunteer_id, state__in=LIVE_STATES,
                                         task__starts_at__gt=now)
                    .order_by("pk").values_list("pk", "task_id"))
        for claim_id, task_id in list(upcoming):
            task = _lock_task(task_id)
            claim = Claim.objects.select_for_update().get(pk=claim_id)
            claim.task = task
            _end_claim(claim, ClaimState.WITHDRAWN)
            audit(actor=actor, action="claim.withdraw", target=claim, task=task.pk,
                  reason=reason)
            _move_up(task, now=now)
            count += 1
    return count


def _move_up(task: Task, *, now: datetime) -> list[Claim]:
    """Offer every free place to the next person on the waiting list, who must confirm.

    Someone who meanwhile holds another task at the same time is passed over
    (and stays on the list). Call with the task row locked.
    """
    offered = []
    if task.state != TaskState.OPEN or task.starts_at <= now:
        return offered
    waiting = list(Claim.objects.filter(task=task, state=ClaimState.WAITLISTED)
                   .select_related("volunteer__user").order_by("created_at", "id"))
    for claim in waiting:
        if task.filled >= task.places:
            break
        if _overlapping(claim.volunteer, task) is not None:
            continue
        if not _take_place(task):
            break
        check_move(claim, ClaimState.OFFERED)
        claim.state = ClaimState.OFFERED
        claim.task = task
        claim.offer_expires_at = min(now + OFFER_WINDOW, task.starts_at)
        claim.save(update_fields=["state", "offer_expires_at"])
        audit(actor=None, action="claim.offer", target=claim, task=task.pk)
        deadline = timezone.localtime(claim.offer_expires_at).strftime("%m-%d %H:%M")
        notify(recipient=claim.volunteer.user, kind=KIND, sms=True,
               title=later(gettext_lazy("候补成功：“%(t)s”有空位了"), t=task.board_title),
               body=later(gettext_lazy("请在 %(d)s 前确认参加，逾期名额让给下一位。"), d=deadline),
               url=_task_url(task))
        offered.append(claim)
    return offered


def claim_accept_offer(*, actor: User, claim_id: int) -> Claim:
    """The person moved up from the waiting list says yes before the deadline."""
    now = timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_related("volunteer").get(pk=claim_id)
        require(actor, "volunteers.withdraw_claim", claim)
        volunteer = _lock_volunteer(claim.volunteer_id)
        task = _lock_task(claim.task_id)
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        claim.task = task
        if claim.state != ClaimState.OFFERED:
            raise VolunteerError(_("没有待确认的递补名额。"))
        if claim.offer_expires_at and claim.offer_expires_at <= now:
            # The periodic job lapses it and asks the next person (this transaction rolls back).
            raise VolunteerError(_("确认已过期，名额已让给下一位。"))
        other = _overlapping(volunteer, task)
        if other is not None:
            raise _overlap_error(other)
        to = ClaimState.PENDING if task.needs_approval else ClaimState.HELD
        check_move(claim, to)
        claim.state = to
        claim.offer_expires_at = None
        claim.save(update_fields=["state", "offer_expires_at"])
        audit(actor=actor, action="claim.accept_offer", target=claim, task=task.pk)
    return claim


def claim_decline_offer(*, actor: User, claim_id: int) -> Claim:
    """The person moved up says no; the next one on the list is asked."""
    now = timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_related("volunteer").get(pk=claim_id)
        require(actor, "volunteers.withdraw_claim", claim)
        _lock_volunteer(claim.volunteer_id)
        task = _lock_task(claim.task_id)
        claim = Claim.objects.select_for_update().get(pk=claim_id)
        claim.task = task
        if claim.state != ClaimState.OFFERED:
            raise VolunteerError(_("没有待确认的递补名额。"))
        _end_claim(claim, ClaimState.WITHDRAWN)
        audit(actor=actor, action="claim.decline_offer", target=claim, task=task.pk)
        _move_up(task, now=now)
    return claim


def offers_expire(*, now: datetime | None = None) -> int:
    """Offers not confirmed by their deadline lapse; the next person is asked. Periodic."""
    now = now or timezone.now()
    count = 0
    due = list(Claim.objects.filter(state=ClaimState.OFFERED, offer_expires_at__lte=now)
               .values_list("pk", "task_id"))
    for claim_id, task_id in due:
        with transaction.atomic():
            task = _lock_task(task_id)
            claim = Claim.objects.select_for_update().select_related("volunteer__user").get(
                pk=claim_id)
            if claim.state != ClaimState.OFFERED or claim.offer_expires_at > now:
                continue
            claim.task = task
            _end_claim(claim, ClaimState.LAPSED)
            audit(actor=None, action="claim.lapse", target=claim, task=task.pk)
            notify(recipient=claim.volunteer.user, kind=KIND,
                   title=later(gettext_lazy("递补名额已过期：%(t)s"), t=task.board_title),
                   body=gettext_lazy("未在期限内确认，名额已让给下一位。"), url=_task_url(task))
            _move_up(task, now=now)
            count += 1
    return count


def claim_decide(*, actor: User, claim_id: int, approve: bool, reason: str = "") -> Claim:
    """The organiser accepts or declines a claim on a task that needs approval."""
    now = timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_related("task", "volunteer__user").get(pk=claim_id)
        require(actor, "volunteers.decide_claim", claim)
        task = _lock_task(claim.task_id)
        claim = Claim.objects.select_for_update().select_related("volunteer__user").get(
            pk=claim_id)
        claim.task = task
        if claim.state != ClaimState.PENDING:
            raise VolunteerError(_("这条报名已经处理过了。"))
        if approve:
            check_move(claim, ClaimState.HELD)
            claim.state = ClaimState.HELD
            claim.save(update_fields=["state"])
        else:
            _end_claim(claim, ClaimState.DECLINED)
            _move_up(task, now=now)
        audit(actor=actor, action="claim.approve" if approve else "claim.decline",
              target=claim, reason=reason)
        notify(recipient=claim.volunteer.user, kind=KIND, sms=True,
               title=later(gettext_lazy("报名已通过：%(t)s") if approve
                           else gettext_lazy("报名未通过：%(t)s"), t=task.title),
               body=reason, url=_task_url(task))
    return claim


# --- Check-in, check-out, confirmation, approval -----------------------------


def _held_claim_of(actor: User, task_id: int) -> Claim:
    volunteer = _own_volunteer(actor)
    claim = (Claim.objects.select_for_update().select_related("task")
             .filter(task_id=task_id, volunteer=volunteer, state=ClaimState.HELD).first())
    if claim is None:
        raise VolunteerError(_("您没有报上这个任务。"))
    return claim


def _check_in(claim: Claim, *, actor: User, now: datetime, how: str) -> Claim:
    task = claim.task
    if task.state != TaskState.OPEN:
        raise VolunteerError(_("任务已经结束了。"))
    if now < task.starts_at - CHECKIN_EARLY:
        raise VolunteerError(_("还没到签到时间（开始前30分钟起可签到）。"))
    if now > task.ends_at:
        raise VolunteerError(_("任务时间已过，不能签到。"))
    if claim.checked_in_at:
        return claim
    claim.checked_in_at = now
    claim.checked_in_by = actor
    claim.save(update_fields=["checked_in_at", "checked_in_by"])
    audit(actor=actor, action="claim.check_in", target=claim, how=how)
    return claim


def _check_out(claim: Claim, *, actor: User, now: datetime) -> Claim:
    if not claim.checked_in_at:
        raise VolunteerError(_("还没有签到。"))
    if claim.checked_out_at:
        return claim
    claim.checked_out_at = min(now, claim.task.ends_at + CHECKOUT_LATE)
    claim.checked_out_by = actor
    claim.save(update_fields=["checked_out_at", "checked_out_by"])
    audit(actor=actor, action="claim.check_out", target=claim)
    _ask_for_confirmation(claim)
    return claim


def _ask_for_confirmation(claim: Claim) -> None:
    """Tell the people helped (or, without an account, their building head) to confirm."""
    from buildings.models import BuildingHead

    households = list(claim.task.households.all())
    if not households:
        return
    ids = set(Residency.objects.filter(household__in=households, state=ResidencyState.VERIFIED)
              .values_list("user_id", flat=True))
    without = {h.unit.building_id for h in households} - set(
        Residency.objects.filter(household__in=households, state=ResidencyState.VERIFIED)
        .values_list("household__unit__building_id", flat=True))
    if without:
        ids |= set(BuildingHead.objects.filter(building_id__in=without)
                   .values_list("user_id", flat=True))
    for person in User.objects.filter(pk__in=ids):
        notify(recipient=person, kind=KIND,
               title=later(gettext_lazy("%(v)s 已完成服务，请确认"), v=claim.volunteer.public_name),
               body=claim.task.title, url=reverse("volunteers:to_confirm"))


def claim_check_in(*, actor: User, task_id: int, code: str = "", token: str = "") -> Claim:
    """The volunteer checks in with the organiser's code or the QR code at the place.

    The time is the server's. Checking in twice keeps the first time.
    """
    now = timezone.now()
    with transaction.atomic():
        claim = _held_claim_of(actor, task_id)
        task = claim.task
        code, token = (code or "").strip(), (token or "").strip()
        if not ((code and code == task.checkin_code) or (token and token == task.qr_token)):
            raise VolunteerError(_("签到码不对，请向组织者核对。"))
        return _check_in(claim, actor=actor, now=now, how="qr" if token else "code")


def claim_check_out(*, actor: User, task_id: int) -> Claim:
    """The volunteer checks out; the people helped are asked to confirm."""
    with transaction.atomic():
        claim = _held_claim_of(actor, task_id)
        return _check_out(claim, actor=actor, now=timezone.now())


def claim_check_in_for(*, actor: User, claim_id: int, out: bool = False) -> Claim:
    """The organiser or the building head checks a volunteer in (or out) who has no smartphone."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("task", "volunteer").get(
            pk=claim_id)
        require(actor, "volunteers.check_in_for", claim)
        if claim.state != ClaimState.HELD:
            raise VolunteerError(_("这位志愿者没有报上这个任务。"))
        if out:
            return _check_out(claim, actor=actor, now=timezone.now())
        return _check_in(claim, actor=actor, now=timezone.now(), how="on_behalf")


def _not_own(actor: User, claim: Claim) -> None:
    """A volunteer never confirms or approves their own service (their household's
    included): the hours and points need someone else's word."""
    if claim.volunteer.user_id == actor.pk:
        raise PermissionDenied(_("不能确认或审核自己的服务，请由其他人确认。"))


def claim_confirm(*, actor: User, claim_id: int) -> Claim:
    """The person helped (or their building head) confirms the service, with one tap."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("task", "volunteer").get(
            pk=claim_id)
        _not_own(actor, claim)
        require(actor, "volunteers.confirm_service", claim)
        if not claim.checked_out_at:
            raise VolunteerError(_("志愿者还没有完成服务。"))
        if claim.confirmed_at:
            return claim
        claim.confirmed_at = timezone.now()
        claim.confirmed_by = actor
        claim.save(update_fields=["confirmed_at", "confirmed_by"])
        audit(actor=actor, action="claim.confirm", target=claim)
        notify(recipient=claim.task.created_by, kind=KIND,
               title=gettext_lazy("服务已确认，请审核时长"), body=claim.task.title,
               url=_task_url(claim.task))
    return claim


def _quantize_hours(minutes: float) -> Decimal:
    return (Decimal(minutes) / Decimal(60)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def points_rule_for(task: Task) -> PointsRule | None:
    rules = {r.kind: r for r in PointsRule.objects.filter(community_id=task.community_id,
                                                          active=True, kind__in=[task.kind, ""])}
    return rules.get(task.kind) or rules.get("")


def points_for(*, task: Task, volunteer: Volunteer, hours: Decimal,
               now: datetime | None = None) -> int:
    """The points a service earns under the admin's rules, caps applied."""
    rule = points_rule_for(task)
    if task.points:
        points = task.points
    elif rule is not None:
        points = int((Decimal(rule.per_hour) * hours).to_integral_value(ROUND_HALF_UP)) \
            + rule.per_task
    else:
        points = int((Decimal(10) * hours).to_integral_value(ROUND_HALF_UP))
    if rule is None:
        return points
    if rule.cap_per_task:
        points = min(points, rule.cap_per_task)
    if rule.cap_per_month:
        local = timezone.localtime(now or timezone.now())
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        earned = PointsEntry.objects.filter(
            volunteer=volunteer, kind=EntryKind.SERVICE, created_at__gte=month_start
        ).aggregate(s=Sum("points"))["s"] or 0
        points = max(0, min(points, rule.cap_per_month - earned))
    return points


def claim_approve_service(*, actor: User, claim_id: int) -> Claim:
    """The organiser approves the service: hours and points go into the ledgers.

    Requires the check-out and, when the task served households, their
    confirmation. The hours are the checked time, at most the task's window.
    """
    with transaction.atomic():
        claim = Claim.objects.select_related("task", "volunteer").get(pk=claim_id)
        _not_own(actor, claim)
        require(actor, "volunteers.approve_service", claim)
        volunteer = _lock_volunteer(claim.volunteer_id)
        claim = Claim.objects.select_for_update().select_related("task").get(pk=claim_id)
        task = claim.task
        if claim.approved_at:
            raise VolunteerError(_("这次服务已经审核过了。"))
        if claim.state != ClaimState.HELD or not claim.checked_out_at:
            raise VolunteerError(_("志愿者还没有签退。"))
        if task.households.exists() and not claim.confirmed_at:
            raise VolunteerError(
                _("服务对象还没有确认。"))
        minutes = min(claim.service_minutes, (task.ends_at - task.starts_at).total_seconds() / 60)
        hours = _quantize_hours(minutes)
        points = points_for(task=task, volunteer=volunteer, hours=hours)
        claim.approved_at = timezone.now()
        claim.approved_by = actor
        claim.hours = hours
        claim.points = points
        claim.save(update_fields=["approved_at", "approved_by", "hours", "points"])
        reason = _("服务：%(t)s") % {"t": task.title}
        _append(volunteer=volunteer, hours=hours, points=points, kind=EntryKind.SERVICE,
                reason=reason, claim=claim, actor=actor)
        audit(actor=actor, action="claim.approve_service", target=claim, hours=str(hours),
              points=points)
        notify(recipient=volunteer.user, kind=KIND,
               title=later(gettext_lazy("服务已认定：%(h)s小时，%(p)d积分"), h=hours, p=points),
               body=task.title, url=reverse("volunteers:record"))
    return claim


# --- Ledgers ------------------------------------------------------------------


class InsufficientPoints(VolunteerError):
    pass


def _append(*, volunteer: Volunteer, kind: str, reason: str, actor: User | None,
            hours: Decimal | None = None, points: int | None = None,
            claim: Claim | None = None) -> None:
    """Add ledger lines and move the balances with them, in the caller's transaction.

    The caller holds the volunteer row lock. A balance that would go below zero
    raises (and the database's CHECK constraint would refuse it anyway).
    """
    if hours:
        changed = Volunteer.objects.filter(pk=volunteer.pk, hours_total__gte=-hours).update(
            hours_total=F("hours_total") + hours)
        if not changed:
            raise VolunteerError(_("时长不能减到零以下。"))
        HoursEntry.objects.create(volunteer=volunteer, hours=hours, kind=kind, reason=reason,
                                  claim=claim, created_by=actor)
    if points:
        changed = Volunteer.objects.filter(pk=volunteer.pk, points_balance__gte=-points).update(
            points_balance=F("points_balance") + points)
        if not changed:
            raise InsufficientPoints(_("积分不够。"))
        PointsEntry.objects.create(volunteer=volunteer, points=points, kind=kind, reason=reason,
                                   claim=claim, created_by=actor)


def ledger_correct(*, actor: User, volunteer_id: int, reason: str, hours: Decimal | int = 0,
                   points: int = 0) -> None:
    """An admin corrects hours or points: a new entry with a reason, never an edit."""
    reason = (reason or "").strip()
    if not reason:
        raise VolunteerError(_("更正必须写明原因。"))
    hours = Decimal(hours or 0).quantize(Decimal("0.01"))
    if not hours and not points:
        raise VolunteerError(_("请填写要更正的时长或积分。"))
    require(actor, "volunteers.correct_ledger")
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer_id)
        require(actor, "volunteers.correct_ledger", volunteer)  # an admin of *its* community
        _append(volunteer=volunteer, hours=hours, points=int(points), kind=EntryKind.CORRECTION,
                reason=reason[:200], actor=actor)
        audit(actor=actor, action="ledger.correct", target=volunteer, hours=str(hours),
              points=int(points), reason=reason)


# --- The points supermarket ---------------------------------------------------


def item_redeem(*, actor: User, item_id: int) -> Redemption:
    """The volunteer spends points on an item, to collect on exchange day.

    Stock and the balance never go below zero, however many redeem at once;
    the per-person limit counts everything not cancelled.
    """
    volunteer = _own_volunteer(actor)
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer.pk)
        item = ShopItem.objects.select_for_update().filter(pk=item_id, active=True).first()
        if item is None or item.community_id != volunteer.community_id:
            raise VolunteerError(_("没有这件商品。"))
        if item.per_person_limit:
            had = Redemption.objects.filter(item=item, volunteer=volunteer).exclude(
                state=RedemptionState.CANCELLED).count()
            if had >= item.per_person_limit:
                raise VolunteerError(_("这件商品每人限兑%(n)d件。")
                                     % {"n": item.per_person_limit})
        if volunteer.points_balance < item.cost:
            raise InsufficientPoints(_("积分不够。"))
        if not ShopItem.objects.filter(pk=item.pk, stock__gte=1).update(stock=F("stock") - 1):
            raise VolunteerError(_("已经兑完了。"))
        redemption = Redemption.objects.create(item=item, volunteer=volunteer, cost=item.cost)
        _append(volunteer=volunteer, points=-item.cost, kind=EntryKind.REDEEM,
                reason=_("兑换：%(n)s") % {"n": item.name}, actor=actor)
        audit(actor=actor, action="shop.redeem", target=redemption, item=item.pk,
              cost=item.cost)
        notify(recipient=actor, kind=KIND,
               title=later(gettext_lazy("兑换成功：%(n)s"), n=item.name),
               body=item.collect_note or gettext_lazy("请在兑换日到社区领取。"),
               url=reverse("volunteers:shop"))
    return redemption


def redemption_cancel(*, actor: User, redemption_id: int) -> Redemption:
    """Give it back before collecting: stock and points return (a refund entry)."""
    with transaction.atomic():
        redemption = Redemption.objects.select_related("volunteer", "item").get(
            pk=redemption_id)
        if redemption.volunteer.user_id != actor.pk:
            require(actor, "volunteers.hand_over", redemption)
        volunteer = _lock_volunteer(redemption.volunteer_id)
        redemption = Redemption.objects.select_for_update().select_related("item").get(
            pk=redemption_id)
        if redemption.state != RedemptionState.RESERVED:
            raise VolunteerError(_("这笔兑换已经处理过了。"))
        redemption.state = RedemptionState.CANCELLED
        redemption.handled_by = actor
        redemption.save(update_fields=["state", "handled_by"])
        ShopItem.objects.filter(pk=redemption.item_id).update(stock=F("stock") + 1)
        _append(volunteer=volunteer, points=redemption.cost, kind=EntryKind.REFUND,
                reason=_("取消兑换：%(n)s") % {"n": redemption.item.name}, actor=actor)
        audit(actor=actor, action="shop.cancel", target=redemption)
    return redemption


def redemption_collect(*, actor: User, redemption_id: int) -> Redemption:
    """Staff hand the item over on exchange day."""
    require(actor, "volunteers.run_shop")
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update().select_related("volunteer").get(
            pk=redemption_id)
        require(actor, "volunteers.hand_over", redemption)
        if redemption.state != RedemptionState.RESERVED:
            raise VolunteerError(_("这笔兑换已经处理过了。"))
        redemption.state = RedemptionState.COLLECTED
        redemption.collected_at = timezone.now()
        redemption.handled_by = actor
        redemption.save(update_fields=["state", "collected_at", "handled_by"])
        audit(actor=actor, action="shop.collect", target=redemption)
    return redemption


# --- Reminders ------------------------------------------------------------------


def claims_remind_upcoming(*, now: datetime | None = None,
                           within: timedelta = timedelta(hours=2)) -> int:
    """Remind everyone holding a place on a task that starts soon, once. Periodic.

    In-app always; by SMS too unless ``JIAYUAN["VOLUNTEER_REMINDER_SMS"]`` is off.
    """
    now = now or timezone.now()
    sms = settings.JIAYUAN.get("VOLUNTEER_REMINDER_SMS", True)
    due = (Claim.objects.filter(state=ClaimState.HELD, reminded_at__isnull=True,
                                task__state=TaskState.OPEN, task__starts_at__gt=now,
                                task__starts_at__lte=now + within)
           .select_related("task", "volunteer__user"))
    count = 0
    for claim in due:
        with transaction.atomic():
            # Only the first of two tickers gets the row.
            if not Claim.objects.filter(pk=claim.pk, reminded_at__isnull=True).update(
                    reminded_at=now):
                continue
            start = timezone.localtime(claim.task.starts_at).strftime("%H:%M")
            notify(recipient=claim.volunteer.user, kind=KIND, sms=sms,
                   title=later(gettext_lazy("志愿任务提醒：%(t)s"), t=claim.task.board_title),
                   body=later(gettext_lazy("%(s)s 开始，地点：%(p)s"), s=start,
                              p=claim.task.public_place),
                   url=_task_url(claim.task))
            count += 1
    return count


