"""Every write of the whistle: blow, report in, give the result, climb the ladder.

Each runs in one transaction: it locks the case, asks ``workflow.check_move``,
writes the whistle's rows, the ``CaseEvent`` and the audit row (``_move``), and
tells the people concerned (in-app in the transaction, SMS after commit), the
same way ``community.services`` does for a dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import scope_of
from buildings.models import Department, DepartmentHandler
from portal.i18n import later
from portal.models import User

from .. import workdays
from ..choices import WORKING_STATES, EventKind, Ladder
from ..models import Case, Whistle, WhistleSummons
from ..services import (
    _admins,
    _grid_workers,
    _lock,
    _move,
    _need,
    _residents,
    _tell,
    loop_settings,
)
from ..workflow import WorkflowError, check_move


def _department_handlers(department_ids: Iterable[int]) -> list[User]:
    return list(User.objects.filter(pk__in=DepartmentHandler.objects.filter(
        department_id__in=list(department_ids)).values("user_id")))


def open_whistle(case: Case) -> Whistle | None:
    return (Whistle.objects.select_related("lead").filter(case=case, result_at__isnull=True)
            .first())


def whistle_blow(*, actor: User, case_id: int, departments: Iterable[Department],
                 lead: Department, note: str = "", now: datetime | None = None) -> Whistle:
    """吹哨: summon two or more departments of the case's community to it, one of them leading.

    Each must report in within ``LoopSettings.whistle_report_hours`` working
    hours. Guarantees: one transaction; a ``whistle`` event and an audit row;
    the handlers of every summoned department told (in-app and SMS, as for a
    dispatch); the residents told which departments are on it (in-app).
    """
    departments = list({d.pk: d for d in departments}.values())
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case_id)
        move = check_move(case, EventKind.WHISTLE, actor)  # who, before what they chose
        if len(departments) < 2:
            raise WorkflowError(_("吹哨报到至少要召集两个部门。"))
        if lead is None or lead.pk not in {d.pk for d in departments}:
            raise WorkflowError(_("牵头部门必须是被召集的部门之一。"))
        if any(d.community_id != case.community_id for d in departments):
            raise WorkflowError(_("只能召集本社区的部门。"))
        if open_whistle(case) is not None:
            raise WorkflowError(_("这件诉求已经吹过哨，请等牵头部门反馈结果。"))
        due = workdays.add_workhours(now, loop_settings().whistle_report_hours)
        whistle = Whistle.objects.create(case=case, lead=lead, note=(note or "").strip(),
                                         blown_by=actor, blown_at=now, due_at=due)
        WhistleSummons.objects.bulk_create(
            WhistleSummons(whistle=whistle, department=d, due_at=due) for d in departments)
        _move(case, EventKind.WHISTLE, actor, note=whistle.note, internal=True, checked=move,
              whistle=whistle.pk, departments=[d.pk for d in departments], lead=lead.pk,
              due=due.isoformat())
        names = "、".join(d.name for d in departments)
        _tell(_department_handlers(d.pk for d in departments), case,
              later(gettext_lazy("吹哨报到：请在 %(t)s 前报到"),
                    t=f"{timezone.localtime(due):%m-%d %H:%M}"),
              later(gettext_lazy("牵头部门：%(lead)s；召集：%(names)s"), lead=lead.name,
                    names=names), sms=True, skip=actor)
        _tell(_residents(case), case,
              later(gettext_lazy("社区已召集 %(names)s 一起办理您的诉求"), names=names))
    return whistle


def whistle_report_in(*, actor: User, case_id: int, note: str,
                      department_id: int | None = None,
                      now: datetime | None = None) -> WhistleSummons:
    """报到: a handler of a summoned department says they are on it, with a note.

    Late if after the limit (recorded as such). Guarantees: one transaction; a
    ``report_in`` event and an audit row; the lead's handlers and the grid
    workers told. A department that was not summoned is refused (403).
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case_id)
        move = check_move(case, EventKind.REPORT_IN, actor)  # who, before what they wrote
        note = _need(note, _("请写下报到情况（谁来、做什么）。"))
        mine = scope_of(actor).department_ids
        waiting = WhistleSummons.objects.select_related("department", "whistle").filter(
            whistle__case=case, whistle__result_at__isnull=True, department_id__in=mine)
        if department_id is not None:
            waiting = waiting.filter(department_id=department_id)
        summons = (waiting.select_for_update(of=("self",)).filter(reported_at__isnull=True)
                   .order_by("pk").first())
        if summons is None:
            if waiting.exists():
                raise WorkflowError(_("您的部门已经报到过了。"))
            raise WorkflowError(_("您的部门没有被召集到这件诉求。"), forbidden=True)
        summons.reported_at, summons.reported_by, summons.note = now, actor, note[:2000]
        summons.save(update_fields=["reported_at", "reported_by", "note"])
        late = now > summons.due_at
        _move(case, EventKind.REPORT_IN, actor, note=summons.note, internal=True, checked=move,
              whistle=summons.whistle_id, department=summons.department_id, late=late,
              hours=workdays.workhours_between(summons.whistle.blown_at, now))
        title = (later(gettext_lazy("%(d)s 已报到（超时）"), d=summons.department.name) if late
                 else later(gettext_lazy("%(d)s 已报到"), d=summons.department.name))
        _tell(_department_handlers([summons.whistle.lead_id]) + _grid_workers(case), case,
              title, note[:80], skip=actor)
    return summons


def whistle_give_result(*, actor: User, case_id: int, text: str,
                        now: datetime | None = None) -> Whistle:
    """The lead department gives the result: the case waits for the resident's answer.

    The lead must have reported in first. Guarantees: one transaction; a
    ``whistle_result`` event (the case becomes resolved) and an audit row; the
    residents asked to confirm (SMS), the summoned departments told.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case_id)
        move = check_move(case, EventKind.WHISTLE_RESULT, actor)  # who, before what
        text = _need(text, _("请写明办理结果。"))
        whistle = open_whistle(case)
        if whistle is None:
            raise WorkflowError(_("这件诉求没有进行中的吹哨报到。"))
        if not whistle.summonses.filter(department=whistle.lead,
                                        reported_at__isnull=False).exists():
            raise WorkflowError(_("牵头部门请先报到，再反馈结果。"))
        whistle.result, whistle.result_at = text[:4000], now
        whistle.save(update_fields=["result", "result_at"])
        case.resolved_at = now
        _move(case, EventKind.WHISTLE_RESULT, actor, note=whistle.result, checked=move,
              fields=["resolved_at"], whistle=whistle.pk, lead=whistle.lead_id)
        _tell(_residents(case), case, gettext_lazy("您的诉求有了办理结果，请确认"),
              gettext_lazy("问题解决了吗？请评价。"), sms=True)
        _tell(_department_handlers(whistle.summonses.values_list("department_id", flat=True)),
              case, gettext_lazy("吹哨报到已办结"), text[:80], skip=actor)
    return whistle


def whistles_supervise_due(*, now: datetime | None = None) -> dict[str, int]:
    """Climb the 督办 ladder for every department that has not reported in in time.

    Past the limit: 报到超时 to the department's handlers and the grid workers;
    ``escalate_after_workdays`` working days later: 催办 to the department's
    supervisor and the grids above (SMS); ``report_after_workdays``: 通报 to the
    community admins (SMS). Each step once per summons, each a ``whistle_late``
    event. Returns counts per step.
    """
    now = now or timezone.now()
    conf = loop_settings()
    today = timezone.localtime(now).date()
    counts = {"overdue": 0, "escalate": 0, "report": 0}
    ids = list(WhistleSummons.objects.filter(
        reported_at__isnull=True, due_at__lt=now, ladder__lt=Ladder.REPORTED,
        whistle__result_at__isnull=True, whistle__case__status__in=WORKING_STATES)
        .values_list("pk", "whistle__case_id"))
    for summons_id, case_id in ids:
        with transaction.atomic():
            case = _lock(case_id)
            summons = (WhistleSummons.objects.select_for_update(of=("self",))
                       .select_related("department__supervisor").filter(
                           pk=summons_id, reported_at__isnull=True,
                           whistle__result_at__isnull=True).first())
            if summons is None or case.status not in WORKING_STATES:
                continue
            due_day = timezone.localtime(summons.due_at).date()
            late = workdays.workdays_between(due_day, today - timedelta(days=1))
            if late >= conf.report_after_workdays:
                step = Ladder.REPORTED
            elif late >= conf.escalate_after_workdays:
                step = Ladder.ESCALATED
            else:
                step = Ladder.OVERDUE
            if step <= summons.ladder:
                continue
            summons.ladder = step
            summons.save(update_fields=["ladder"])
            dept = summons.department
            handlers = _department_handlers([dept.pk])
            steps: dict[int, tuple[str, Promise, list[User]]] = {
                Ladder.OVERDUE: ("overdue", gettext_lazy("吹哨报到超时未报到"),
                                 handlers + _grid_workers(case)),
                Ladder.ESCALATED: ("escalate", gettext_lazy("催办：吹哨报到超时未报到"),
                                   ([dept.supervisor] if dept.supervisor is not None else [])
                                   + _grid_workers(case, above=True) + handlers),
                Ladder.REPORTED: ("report", gettext_lazy("通报：吹哨报到严重超时"),
                                  _admins(case) + _grid_workers(case, above=True)),
            }
            key, title, people = steps[step]
            _move(case, EventKind.WHISTLE_LATE, None, internal=True, whistle=summons.whistle_id,
                  department=dept.pk, ladder=int(step), workdays_late=late)
            _tell(people, case, title,
                  later(gettext_lazy("%(d)s · %(c)s · %(w)s"), d=dept.name, c=case.category,
                        w=case.where), sms=step >= Ladder.ESCALATED)
            counts[key] += 1
    return counts
