"""What a resident reads about a case: plain words instead of workflow steps.

Staff read the timeline as the seven steps ("分类 → 待转办"); a resident (the
reporter, a household member, a follower) reads what happened to her problem
("已交给 物业 潘师傅 办理，预计 12月4日 前办好"), and on top of the page who is
handling it and by when. Nothing here writes; the words are worked out for the
page being rendered, in the reader's language.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from buildings.models import Department
from portal.models import User

from .choices import EventKind, Status
from .models import Case, CaseEvent


def day(moment: datetime | None) -> str:
    """A date as people say it: 12月4日."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return _("%(m)d月%(d)d日") % {"m": local.month, "d": local.day}


def handled_by(case: Case) -> str:
    """The department and the person (if any) a case is with, e.g. "物业 潘师傅"."""
    if case.to_volunteers:
        return _("社区志愿者")
    parts = [case.department.name if case.department_id else "",
             case.assignee.shown_name if case.assignee_id else ""]
    return " ".join(p for p in parts if p)


def summary(case: Case) -> dict:
    """Where the case stands, in one sentence, and by when it should be done."""
    due = day(case.due_at) if case.status in (Status.SUBMITTED, Status.TRIAGED,
                                               Status.DISPATCHED, Status.IN_PROGRESS) else ""
    who = handled_by(case)
    if case.status in (Status.SUBMITTED, Status.TRIAGED):
        text = _("社区已收到，正在安排人办理")
    elif case.status == Status.DISPATCHED:
        text = _("已交给 %(who)s 办理") % {"who": who}
    elif case.status == Status.IN_PROGRESS:
        text = _("%(who)s 正在办理") % {"who": who}
    elif case.status == Status.RESOLVED:
        text = _("已有办理结果，请看下面，告诉我们解决了没有")
    elif case.status == Status.CLOSED:
        text = _("这件事已办结")
    elif case.status == Status.DECLINED:
        text = _("社区不予受理，原因见下面")
    else:
        text = _("已和同样的诉求一起办理")
    return {"text": text, "who": who if case.status in (Status.DISPATCHED,
                                                         Status.IN_PROGRESS) else "",
            "due": due}


def _names(events: list[CaseEvent]) -> tuple[dict, dict]:
    """The departments and people the dispatch events name, in two queries at most."""
    dept_ids = {e.data.get("department") for e in events if e.data.get("department")}
    user_ids = {e.data.get("person") for e in events if e.data.get("person")}
    depts = dict(Department.objects.filter(pk__in=dept_ids).values_list("pk", "name")) \
        if dept_ids else {}
    people = {u.pk: u.shown_name for u in User.objects.filter(pk__in=user_ids)} \
        if user_ids else {}
    return depts, people


def _due_of(event: CaseEvent) -> datetime | None:
    """The deadline a dispatch promised, as it stood then (``case_dispatch`` records it)."""
    raw = event.data.get("due")
    try:
        return datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


def event_words(events: list[CaseEvent], case: Case) -> None:
    """Give each event ``plain``: the line a resident reads for it."""
    depts, people = _names(events)
    for e in events:
        k = e.kind
        if k == EventKind.SUBMIT:
            text = _("社区已收到")
        elif k == EventKind.TRIAGE:
            text = _("网格员已看过，正在安排人办理")
        elif k in (EventKind.DISPATCH, EventKind.REASSIGN):
            if e.data.get("to_volunteers"):
                who = _("社区志愿者")
            else:
                who = " ".join(x for x in (depts.get(e.data.get("department"), ""),
                                           people.get(e.data.get("person"), "")) if x)
            due = _due_of(e)
            if due is not None:
                text = _("已交给 %(who)s 办理，预计 %(day)s 前办好") % {"who": who, "day": day(due)}
            else:
                text = _("已交给 %(who)s 办理") % {"who": who}
        elif k == EventKind.ACCEPT:
            text = _("%(who)s 已开始处理") % {"who": e.who if e.actor_id else _("社区志愿者")}
        elif k == EventKind.HAND_BACK:
            text = _("承办的人说不归他们管，社区正在重新安排")
        elif k in (EventKind.RESOLVE, EventKind.RESULT_FEEDBACK, EventKind.WHISTLE_RESULT):
            text = _("办理结果：")
        elif k == EventKind.CONFIRM:
            text = _("确认问题已解决，这件事已办结")
        elif k == EventKind.REOPEN:
            text = (_("反映问题还没解决，社区会重新安排处理") if not e.data.get("fixed")
                    else _("评价不满意，社区会重新安排处理"))
        elif k == EventKind.AUTO_CLOSE:
            text = _("没有评价，这件事已自动办结")
        elif k == EventKind.DECLINE:
            text = _("社区不予受理，原因：")
        elif k == EventKind.MERGE:
            text = _("和同样的诉求合并在一起办理")
        elif k == EventKind.METOO:
            text = _("又有邻居也遇到了这个问题")
        elif k == EventKind.URGE:
            text = _("催了一催，办理的人已收到提醒")
        elif k == EventKind.COMMENT:
            text = _("补充说明：")
        elif k == EventKind.FOLLOWUP:
            text = _("社区回访：")
        else:
            text = e.get_kind_display()
        e.plain = text
