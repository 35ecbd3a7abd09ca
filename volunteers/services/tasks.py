"""Tasks: created by staff, from a case or for a notice's door-knocking; messages, finish, cancel."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require, scope_of
from buildings.models import Building, Grid, Household, Unit
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from ..choices import (
    LIVE_STATES,
    PLACE_STATES,
    ClaimState,
    TaskKind,
    TaskState,
)
from ..models import (
    Claim,
    Task,
    TaskMessage,
)
from ..signals import task_finished
from .base import KIND, VolunteerError, _lock_task, _task_url
from .claims import _end_claim

# --- Tasks ------------------------------------------------------------------


class Source(Protocol):
    """The case or notice a task serves, as far as this app knows it.

    Volunteers never import the apps that call them (see STYLE.md, "Which way
    the calls go"): a task reads its source's ``pk`` and, where present, its
    place and title, nothing more.
    """

    @property
    def pk(self) -> int: ...


def task_create(*, actor: User, title: str, starts_at: datetime, ends_at: datetime,
                description: str = "", kind: str = TaskKind.GENERAL,
                building: Building | None = None, unit: Unit | None = None,
                grid: Grid | None = None, place: str = "",
                households: Iterable[Household] = (), places: int = 1,
                skills: Iterable[str] = (), points: int = 0, needs_approval: bool = False,
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
    if unit is not None:
        if building is None:
            building = unit.building
        elif unit.building_id != building.pk:
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


def task_create_from_case(*, actor: User, case: Source, title: str | None = None,
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


def task_create_door_knock(*, actor: User, notice: Source, households: Iterable[Household],
                           starts_at: datetime | None = None,
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
