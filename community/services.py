"""Every change to a case goes through here.

Each function runs in one transaction: it locks the case, asks
``workflow.check_move`` whether the move may be made, changes the case
(``update_fields``), writes the never-edited ``CaseEvent`` and the audit row,
and tells the people concerned (in-app rows in the same transaction, SMS after
commit). Refusals raise ``WorkflowError`` with a message a resident can read;
nothing is written then.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require
from buildings.choices import ResidencyState
from buildings.models import (
    Building,
    CommunityAdmin,
    Department,
    DepartmentHandler,
    Grid,
    GridWorker,
    Household,
    PublicPlace,
    Unit,
    grid_paths_up,
)
from portal.choices import NotificationKind
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify
from portal.uploads.base import UploadRejected
from portal.uploads.photos import CleanPhoto, clean_photo
from portal.uploads.voice import CleanVoice, clean_voice
from volunteers.services import task_create_from_case

from . import workdays
from .choices import (
    FINAL_STATES,
    WORKING_STATES,
    Channel,
    EventKind,
    Ladder,
    PhotoKind,
    Priority,
    Status,
)
from .models import Case, CaseEvent, CaseFollower, CasePhoto, Category, LoopSettings
from .workflow import Move, PlatformActor, WorkflowError, check_move, dispatch_kind

KIND = NotificationKind.CASE


def loop_settings() -> LoopSettings:
    return LoopSettings.load()


def case_url(case: Case) -> str:
    return reverse("community:detail", args=[case.pk])


def case_short_link(case: Case) -> str:
    """The link an SMS carries: ``/c/<pk>/`` on the site, to the case after sign-in."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("case_short", args=[case.pk])


def _tag(case: Case) -> str:
    return case.tag


_lazy_tag = lazy(_tag, str)


# --- Small helpers -------------------------------------------------------------


def _lock(case_id: int) -> Case:
    case = (Case.objects.select_for_update(of=("self",))
            .select_related("category", "department", "grid").filter(pk=case_id).first())
    if case is None:
        raise WorkflowError(_("没有这件诉求。"))
    return case


def _record(case: Case, kind: str, actor: User | PlatformActor | None, *, from_status: str = "",
            to_status: str = "", note: str = "", internal: bool = False,
            **data: object) -> CaseEvent:
    # A platform (``PlatformActor``) or the system leaves no person on the record.
    person = actor if isinstance(actor, User) and actor.pk else None
    event = CaseEvent.objects.create(
        case=case, kind=kind, actor=person,
        from_status=from_status, to_status=to_status, note=note, internal=internal, data=data)
    audit(actor=person, action=f"case.{kind}", target=case, event=event.pk, **data)
    return event


def _move(case: Case, kind: str, actor: User | PlatformActor | None, *, note: str = "",
          fields: Iterable[str] = (), internal: bool = False, checked: Move | None = None,
          **data: object) -> CaseEvent:
    """Check the move (``workflow.check_move``, the one judge) and make it: set the
    state, save, record. ``checked`` is the move as the caller already checked it on
    this locked case (it had to know before it changed anything); it is not asked twice.
    """
    move = checked if checked is not None else check_move(case, kind, actor)
    before = case.status
    now = timezone.now()
    update = set(fields) | {"updated_at"}
    case.updated_at = now
    if move.target is not None:
        case.status = move.target
        update.add("status")
    case.save(update_fields=sorted(update))
    return _record(case, kind, actor, from_status=before,
                   to_status=case.status if move.target else before, note=note,
                   internal=internal, **data)


def _need(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise WorkflowError(message)
    return text


def _save_photos(case: Case, event: CaseEvent | None, photos: Iterable[CleanPhoto],
                 kind: str) -> int:
    """Store photos already checked by ``_clean_photos`` (before anything was written)."""
    count = 0
    for item in photos:
        photo = CasePhoto(case=case, event=event, kind=kind)
        photo.set_clean(item)
        photo.save()
        count += 1
    return count


def _clean_photos(photos: Iterable[CleanPhoto | File] | None) -> list[CleanPhoto]:
    """Check every photo before anything is written (UploadRejected → WorkflowError)."""
    from portal.uploads.photos import MAX_PHOTOS  # noqa: PLC0415 (moved with this module's rewrite (one view per move))

    photos = list(photos or ())
    if len(photos) > MAX_PHOTOS:
        raise WorkflowError(_("最多 %(n)d 张照片。") % {"n": MAX_PHOTOS})
    out = []
    for item in photos:
        if isinstance(item, CleanPhoto):
            out.append(item)
        else:
            try:
                out.append(clean_photo(item))
            except UploadRejected as exc:
                raise WorkflowError(str(exc)) from None
    return out


# --- Who to tell ---------------------------------------------------------------


def _residents(case: Case) -> list[User]:
    people = []
    if case.reporter is not None:
        people.append(case.reporter)
    people += [f.user for f in case.followers.select_related("user")]
    return people


def _grid_workers(case: Case, *, above: bool = False) -> list[User]:
    """Grid workers of the case's own grid; with ``above``, those of the grids above it."""
    grid = case.grid
    if above:
        qs = GridWorker.objects.filter(grid__path__in=grid_paths_up(grid.path)[:-1])
    else:
        qs = GridWorker.objects.filter(grid=grid)
    return list(User.objects.filter(pk__in=qs.values("user_id")))


def _handlers(case: Case) -> list[User]:
    if case.assignee is not None:
        return [case.assignee]
    if case.department_id:
        return list(User.objects.filter(
            pk__in=DepartmentHandler.objects.filter(department_id=case.department_id)
            .values("user_id")))
    if case.to_volunteers:
        return _grid_workers(case)
    return []


def _admins(case: Case) -> list[User]:
    return list(User.objects.filter(pk__in=CommunityAdmin.objects.filter(
        community_id=case.community_id).values("user_id")))


def _tell(people: Iterable[User], case: Case, title: str | Promise,
          body: str | Promise = "", *,
          sms: bool = False, skip: User | PlatformActor | None = None) -> None:
    # An SMS says which case (with five open ones, "your case" is none of them) and
    # links to it; the details are in the app, behind sign-in.
    sms_text = (later(gettext_lazy("%(title)s：%(tag)s %(link)s"), title=title,
                      tag=_lazy_tag(case), link=case_short_link(case)) if sms else None)
    seen = set()
    for person in people:
        if person is None or person.pk in seen or (skip is not None and person.pk == skip.pk):
            continue
        seen.add(person.pk)
        notify(recipient=person, title=title, body=body, url=case_url(case), kind=KIND,
               sms=sms, sms_text=sms_text)


# --- 1 接收登记 -----------------------------------------------------------------


def _where(*, reporter: User | None, household: Household | None, place: PublicPlace | None,
           building: Building | None, unit: Unit | None, unplaced_grid: Grid | None = None,
           ) -> tuple[Household | None, PublicPlace | None, Building | None, Unit | None,
                      Grid, int]:
    """Fill in the place from what was given, most precise first.

    ``unplaced_grid``: a case from outside (the hotline) whose place could not be
    matched is registered there, without a place (待定位), for its grid worker to place.
    """
    if place is not None:
        building = building or place.building
        unit = unit or place.unit
        return household, place, building, unit, place.grid, place.community_id
    if household is not None:
        unit = household.unit
        building = unit.building
    elif unit is not None:
        building = unit.building
    elif building is None and reporter is not None:
        household = (Household.objects.select_related("unit__building")
                     .filter(residencies__user=reporter,
                             residencies__state=ResidencyState.VERIFIED).first())
        if household is not None:
            unit, building = household.unit, household.unit.building
    if building is None:
        if unplaced_grid is not None:
            return None, None, None, None, unplaced_grid, unplaced_grid.community_id
        raise WorkflowError(_("请选择地点（楼栋、单元或公共场所）。"))
    return household, None, building, unit, building.grid, building.community_id


def case_submit(
    *,
    reporter: User | None,
    category: Category,
    description: str = "",
    voice: File | None = None,
    photos: Iterable[CleanPhoto | File] = (),
    household: Household | None = None,
    place: PublicPlace | None = None,
    building: Building | None = None,
    unit: Unit | None = None,
    channel: str = Channel.SELF,
    on_behalf_by: User | None = None,
    client_key: uuid.UUID | str | None = None,
    position: tuple[Decimal, Decimal] | dict[str, Decimal] | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    source_platform: str = "",
    external_id: str = "",
    unplaced_grid: Grid | None = None,
) -> Case:
    """Register a case (step 1). Idempotent on (reporter, client_key).

    With no place and ``unplaced_grid`` (a community's top grid), the case is
    registered there as 待定位, for its grid worker to place (``case_place``).

    The same key returns the case already stored, unchanged. Photos are checked
    (all of them) before anything is written; a voice note is decoded, timed and
    stored re-encoded (``portal.uploads.voice``). Guarantees: one transaction; a ``submit`` event; an audit row;
    the reporter and the grid workers of the place's grid are told.
    """
    key = str(client_key or "")[:64]
    if key:
        existing = Case.objects.filter(reporter=reporter, client_key=key,
                                       on_behalf_by=on_behalf_by).first()
        if existing is not None:
            return existing
    description = (description or "").strip()
    if not description and not voice and not photos:
        raise WorkflowError(_("请说一说或写一写是什么问题。"))
    if not getattr(category, "active", True):
        raise WorkflowError(_("这个类别已停用。"))
    clean = _clean_photos(photos)
    voice_file = None
    if voice:
        voice_file = voice if isinstance(voice, CleanVoice) else None
        if voice_file is None:
            try:
                voice_file = clean_voice(voice)
            except UploadRejected as exc:
                raise WorkflowError(str(exc)) from None
    household, place, building, unit, grid, community_id = _where(
        reporter=reporter, household=household, place=place, building=building, unit=unit,
        unplaced_grid=unplaced_grid)
    lat = lon = None
    if position:
        if isinstance(position, dict):
            lat, lon = position.get("lat"), position.get("lon")
        else:
            lat, lon = position[0], position[1]
    now = timezone.now()
    try:
        with transaction.atomic():
            case = Case(
                community_id=community_id, category=category, priority=Priority.NORMAL,
                description=description[:4000], household=household, place=place,
                building=building, unit=unit, grid=grid, reporter=reporter,
                reporter_name=(reporter_name or "")[:40],
                reporter_phone=(reporter_phone or "")[:20], on_behalf_by=on_behalf_by,
                channel=channel, client_key=key, source_platform=source_platform[:40],
                external_id=external_id[:80], latitude=lat, longitude=lon,
                created_at=now, updated_at=now,
                due_at=workdays.deadline(now, category.days_for(Priority.NORMAL)),
            )
            if voice_file is not None:
                case.voice.save(voice_file.name, voice_file, save=False)  # type: ignore[arg-type]  # a CleanVoice is always named
            case.save()
            event = _record(case, EventKind.SUBMIT, on_behalf_by or reporter,
                            to_status=Status.SUBMITTED, channel=channel,
                            on_behalf=bool(on_behalf_by))
            _save_photos(case, event, clean, PhotoKind.REPORT)
            if reporter is not None:
                _tell([reporter], case, later(gettext_lazy("已收到您的诉求：%(c)s"), c=category),
                      gettext_lazy("网格员会尽快处理，请留意进度。"))
            _tell(_grid_workers(case) or _grid_workers(case, above=True), case,
                  later(gettext_lazy("新诉求：%(c)s"), c=category), case.where, skip=on_behalf_by)
    except IntegrityError:
        # The same key arrived twice at once: the other request stored it.
        existing = Case.objects.filter(reporter=reporter, client_key=key).first()
        if existing is None:
            raise
        return existing
    return case


def case_place(*, actor: User, case_id: int, building: Building | None = None,
               place: PublicPlace | None = None) -> Case:
    """Place a case that came in without a place (待定位) at a building or public place
    of its community; it moves to that building's or place's grid.

    Staff of the case's community only (``community.place_case``). Guarantees: one
    transaction; an internal timeline entry and a ``case.place`` audit row; the grid
    workers of the new grid are told.
    """
    require(actor, "community.place_case", Case.objects.filter(pk=case_id).first())
    target = place or building  # exactly one of them
    if target is None or (place is not None and building is not None):
        raise WorkflowError(_("请选择一栋楼或一个公共场所。"))
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("grid").get(pk=case_id)
        if not case.is_unplaced:
            raise WorkflowError(_("这件诉求已经有地点了。"))
        if target.community_id != case.community_id:
            raise WorkflowError(_("只能定位到本社区的楼栋或公共场所。"))
        before = case.grid_id
        case.place = place
        case.building = building if place is None else place.building
        case.unit = None if place is None else place.unit
        case.grid = target.grid
        case.updated_at = timezone.now()
        case.save(update_fields=["place", "building", "unit", "grid", "updated_at"])
        CaseEvent.objects.create(case=case, kind=EventKind.COMMENT, actor=actor, internal=True,
                                 note=_("已定位到：%(where)s") % {"where": case.where},
                                 data={"placed": True})
        audit(actor=actor, action="case.place", target=case, building=case.building_id,
              place=case.place_id, grid_from=before, grid_to=case.grid_id)
        if case.grid_id != before:
            _tell(_grid_workers(case), case, later(gettext_lazy("新诉求：%(c)s"), c=case.category),
                  case.where, skip=actor)
    return case


def case_metoo(*, actor: User, case_id: int) -> Case:
    """A neighbour with the same problem joins an open case instead of filing another."""
    with transaction.atomic():
        case = _lock(case_id)
        if CaseFollower.objects.filter(case=case, user=actor).exists():
            return case  # a second tap counts once
        move = check_move(case, EventKind.METOO, actor)  # a neighbour's; not the reporter's
        case.metoo_count += 1
        _move(case, EventKind.METOO, actor, fields=["metoo_count"], checked=move)
        CaseFollower.objects.create(case=case, user=actor)
    return case


# --- 2 梳理分类 -----------------------------------------------------------------


def case_triage(*, actor: User, case_id: int, category: Category | None = None,
                priority: str | None = None, note: str = "") -> Case:
    """Set category and priority (step 2); the deadline follows from them."""
    if priority is not None and priority not in Priority.values:
        raise WorkflowError(_("紧急程度不对。"))
    with transaction.atomic():
        case = _lock(case_id)
        category = category or case.category
        priority = priority or case.priority
        case.category, case.priority = category, priority
        case.due_at = workdays.deadline(case.created_at, category.days_for(priority))
        _move(case, EventKind.TRIAGE, actor, note=note.strip(),
              fields=["category", "priority", "due_at"], category=category.code,
              priority=priority)
    return case


def case_decline(*, actor: User, case_id: int, reason: str) -> Case:
    """Decline a case (not the community's to handle); the reason is told to the reporter."""
    reason = _need(reason, _("请写明不予受理的原因。"))
    with transaction.atomic():
        case = _lock(case_id)
        case.closed_at = timezone.now()
        _move(case, EventKind.DECLINE, actor, note=reason, fields=["closed_at"])
        _tell(_residents(case), case, gettext_lazy("您的诉求不予受理"), reason, sms=True)
    return case


def case_merge(*, actor: User, case_id: int, into_id: int, note: str = "") -> Case:
    """Merge a duplicate into the case that is kept; its reporter and followers follow it."""
    if case_id == into_id:
        raise WorkflowError(_("不能合并到它自己。"))
    with transaction.atomic():
        case = _lock(case_id)
        kept = _lock(into_id)
        if kept.status in FINAL_STATES or kept.community_id != case.community_id:
            raise WorkflowError(_("只能合并到一件未办结的诉求。"))
        check_move(kept, EventKind.COMMENT, actor)  # must be allowed to work on the kept one
        case.merged_into = kept
        case.closed_at = timezone.now()
        _move(case, EventKind.MERGE, actor, note=note.strip(),
              fields=["merged_into", "closed_at"], into=kept.pk)
        people = [p for p in _residents(case) if p.pk != kept.reporter_id]
        added = 0
        for person in people:
            _f, created = CaseFollower.objects.get_or_create(
                case=kept, user=person, defaults={"via_merge": True})
            added += created
        if added:
            kept.metoo_count += added
            kept.save(update_fields=["metoo_count"])
        _record(kept, EventKind.METOO, actor, note=_("合并了重复诉求 #%(n)s") % {"n": case.pk},
                merged=case.pk)
        for person in people:
            notify(recipient=person, title=gettext_lazy("您的诉求已与同类诉求合并办理"),
                   body=gettext_lazy("请在新的诉求里查看进度。"), url=case_url(kept), kind=KIND)
    return case


# --- 3 分流转办 -----------------------------------------------------------------


def _dispatch_target(case: Case, *, department: Department | None,
                     person: User | None) -> Department:
    """The department a case goes to; refuses anyone who is not its handler.

    Being dispatched a case opens it in full (the flat, the reporter, the
    photos) and lets one accept and resolve it, so only a department of the
    case's community, or a handler of one, may be given it.
    """
    if department is not None and department.community_id != case.community_id:
        raise WorkflowError(_("不能转给其他社区的部门。"))
    if person is None:
        if department is None:
            raise WorkflowError(_("请选择承办部门、承办人或志愿服务。"))
        return department
    handlers = DepartmentHandler.objects.filter(
        user=person, department__community_id=case.community_id)
    if department is not None:
        handlers = handlers.filter(department=department)
    handler = handlers.select_related("department").order_by("pk").first()
    if handler is None:
        raise WorkflowError(_("只能转给本社区承办部门的承办人，或转为志愿服务任务。"))
    return handler.department


def case_dispatch(*, actor: User, case_id: int, department: Department | None = None,
                  person: User | None = None, to_volunteers: bool = False,
                  note: str = "") -> Case:
    """Send the case to a department, a person, or volunteers (step 3); again = reassign.

    A case already dispatched or in progress is reassigned (``reassign`` event).
    A person must be a handler of a department of the case's community (of
    ``department``, if given); anyone else is refused and nothing is written.
    With ``to_volunteers`` the volunteers app is asked to make a task, if it can.
    Tells the new handlers (SMS) and the residents.
    """
    if not (department or person or to_volunteers):
        raise WorkflowError(_("请选择承办部门、承办人或志愿服务。"))
    with transaction.atomic():
        case = _lock(case_id)
        move = check_move(case, dispatch_kind(case), actor)
        # None: to volunteers; otherwise the department checked for this case.
        target = (None if to_volunteers
                  else _dispatch_target(case, department=department, person=person))
        case.department = target
        case.assignee = None if to_volunteers else person
        case.to_volunteers = bool(to_volunteers)
        _move(case, move.kind, actor, note=note.strip(), checked=move,
              fields=["department", "assignee", "to_volunteers"],
              department=target.pk if target is not None else None,
              person=person.pk if person and not to_volunteers else None,
              to_volunteers=bool(to_volunteers),
              due=case.due_at.isoformat() if case.due_at else None)
        who = (gettext_lazy("志愿服务") if target is None
               else (person.shown_name if person else target.name))
        _tell(_handlers(case), case, later(gettext_lazy("请办理诉求：%(c)s"), c=case.category),
              f"{case.where} {case.description[:60]}", sms=True, skip=actor)
        _tell(_residents(case), case, later(gettext_lazy("您的诉求已转交%(who)s办理"), who=who))
        if to_volunteers:
            task_create_from_case(actor=actor, case=case)
    return case


# --- 4 部门承办 -----------------------------------------------------------------


def case_accept(*, actor: User | None, case_id: int, note: str = "") -> Case:
    """The handler takes the case on (step 4)."""
    with transaction.atomic():
        case = _lock(case_id)
        _move(case, EventKind.ACCEPT, actor, note=note.strip())
        _tell(_residents(case), case, gettext_lazy("您的诉求正在办理"),
              case.department.name if case.department is not None else "")
    return case


def case_hand_back(*, actor: User, case_id: int, reason: str) -> Case:
    """The handler hands the case back (wrong department); it waits for dispatch again."""
    reason = _need(reason, _("请写明退回的原因。"))
    with transaction.atomic():
        case = _lock(case_id)
        _move(case, EventKind.HAND_BACK, actor, note=reason,
              department=case.department_id)
        _tell(_grid_workers(case) or _grid_workers(case, above=True), case,
              gettext_lazy("诉求被退回，请重新转办"), reason, sms=True)
    return case


# --- 5 结果反馈 -----------------------------------------------------------------


def case_resolve(*, actor: User | None, case_id: int, text: str,
                 photos: Iterable[CleanPhoto | File] = ()) -> Case:
    """The handler reports what was done, with photos; the residents are asked to confirm."""
    text = _need(text, _("请写明办理结果。"))
    clean = _clean_photos(photos)
    with transaction.atomic():
        case = _lock(case_id)
        case.resolved_at = timezone.now()
        event = _move(case, EventKind.RESOLVE, actor, note=text, fields=["resolved_at"])
        _save_photos(case, event, clean, PhotoKind.RESULT)
        _tell(_residents(case), case, gettext_lazy("您的诉求有了办理结果，请确认"),
              gettext_lazy("问题解决了吗？请评价。"), sms=True)
    return case


def case_give_feedback(*, actor: User | PlatformActor, case_id: int, fixed: bool, rating: int | None,
                       words: str = "") -> Case:
    """The reporter answers: fixed? how satisfied (1–5)? Not fixed or low → back to dispatch."""
    if rating is not None and not (1 <= int(rating) <= 5):
        raise WorkflowError(_("请选择 1 到 5 颗星。"))
    if fixed and rating is None:
        raise WorkflowError(_("请给办理结果打分（1到5颗星）。"))
    words = (words or "").strip()[:300]
    reopen = (not fixed) or (rating is not None and rating < loop_settings().reopen_below_rating)
    with transaction.atomic():
        case = _lock(case_id)
        case.fixed, case.rating, case.feedback = bool(fixed), rating, words
        fields = ["fixed", "rating", "feedback"]
        if reopen:
            case.reopen_count += 1
            case.resolved_at = None
            case.ladder = Ladder.NONE
            case.due_at = workdays.deadline(timezone.now(), case.category.days_for(case.priority))
            _move(case, EventKind.REOPEN, actor, note=words,
                  fields=fields + ["reopen_count", "resolved_at", "ladder", "due_at"],
                  fixed=bool(fixed), rating=rating)
            _tell(_grid_workers(case) or _grid_workers(case, above=True), case,
                  gettext_lazy("居民反映问题未解决，请重新转办"), words, sms=True)
            _tell(_handlers(case), case, gettext_lazy("居民反映问题未解决"), words)
        else:
            case.closed_at = timezone.now()
            _move(case, EventKind.CONFIRM, actor, note=words, fields=fields + ["closed_at"],
                  fixed=True, rating=rating)
            _tell(_handlers(case), case,
                  later(gettext_lazy("诉求已办结，居民评价 %(r)s 星"), r=rating), words)
    return case


def case_record_followup(*, actor: User | PlatformActor, case_id: int, text: str) -> Case:
    """A follow-up call (回访) by staff, after the result; allowed on a closed case too."""
    text = _need(text, _("请写下回访的情况。"))
    with transaction.atomic():
        case = _lock(case_id)
        _move(case, EventKind.FOLLOWUP, actor, note=text)
    return case


# --- Alongside: comments, urging, supervision ------------------------------------


def case_comment(*, actor: User | PlatformActor, case_id: int, text: str,
                 photos: Iterable[CleanPhoto | File] = ()) -> Case:
    """Add to the record; a resident's comment lands in the handler's view and tells them."""
    text = _need(text, _("请写下要补充的内容。"))
    clean = _clean_photos(photos)
    with transaction.atomic():
        case = _lock(case_id)
        event = _move(case, EventKind.COMMENT, actor, note=text[:2000])
        _save_photos(case, event, clean, PhotoKind.COMMENT)
        people = _handlers(case) or _grid_workers(case)
        if actor.pk in {p.pk for p in people} or actor.pk in {
                p.pk for p in _grid_workers(case)}:
            people = _residents(case)
        _tell(people, case, gettext_lazy("诉求有新的补充说明"), text[:80], skip=actor)
    return case


def case_urge(*, actor: User, case_id: int, now: datetime | None = None) -> Case:
    """催一催: a resident presses on an overdue case, once a day."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _lock(case_id)
        move = check_move(case, EventKind.URGE, actor)  # who, before when
        if not (case.due_at and case.due_at < now):
            raise WorkflowError(_("还没有超过办理时限，请耐心等待。"))
        start = timezone.make_aware(datetime.combine(timezone.localtime(now).date(),
                                                     datetime.min.time()))
        if CaseEvent.objects.filter(case=case, kind=EventKind.URGE, actor=actor,
                                    at__gte=start).exists():
            raise WorkflowError(_("今天已经催过了，明天可以再催。"))
        _move(case, EventKind.URGE, actor, checked=move)
        _tell(_handlers(case) + _grid_workers(case), case,
              later(gettext_lazy("居民催办：%(c)s"), c=case.category), case.where, sms=True)
    return case


def case_supervise(*, actor: User, case_id: int, text: str) -> Case:
    """A supervisor's note (督办意见); the handler and the grid workers are told."""
    text = _need(text, _("请写下督办意见。"))
    with transaction.atomic():
        case = _lock(case_id)
        _move(case, EventKind.SUPERVISE, actor, note=text, internal=True)
        _tell(_handlers(case) + _grid_workers(case), case, gettext_lazy("督办意见"), text[:80],
              skip=actor)
    return case


# --- The periodic jobs ------------------------------------------------------------


def cases_supervise_due(*, now: datetime | None = None) -> dict[str, int]:
    """Climb the supervision ladder for every open case, as far as the clock says.

    Before the deadline (``remind_before_workdays`` working days): remind the
    handler. After it: overdue (handler, grid worker); ``escalate_after``
    working days later: 催办 to the department supervisor and the grid workers
    of the grids above; ``report_after``: 通报 to the community admins. Each
    step is done once per case; each writes an event. Returns counts.
    """
    now = now or timezone.now()
    conf = loop_settings()
    today = timezone.localtime(now).date()
    horizon = now + timedelta(days=conf.remind_before_workdays * 3 + 14)
    counts = {"remind": 0, "overdue": 0, "escalate": 0, "report": 0}
    ids = list(Case.objects.filter(status__in=WORKING_STATES, due_at__isnull=False,
                                   due_at__lt=horizon, ladder__lt=Ladder.REPORTED)
               .values_list("pk", flat=True))
    for case_id in ids:
        with transaction.atomic():
            case = _lock(case_id)
            if case.status not in WORKING_STATES or case.due_at is None:
                continue
            due_day = timezone.localtime(case.due_at).date()
            if now <= case.due_at:
                left = workdays.workdays_between(today, due_day)
                if left <= conf.remind_before_workdays and case.ladder < Ladder.REMINDED:
                    case.ladder = Ladder.REMINDED
                    _move(case, EventKind.REMIND, None, fields=["ladder"], internal=True,
                          workdays_left=left)
                    _tell(_handlers(case) or _grid_workers(case), case,
                          gettext_lazy("诉求快到办理时限了"),
                          later(gettext_lazy("请在 %(d)s 前办结。"),
                                d=f"{timezone.localtime(case.due_at):%m-%d}"))
                    counts["remind"] += 1
                continue
            late = workdays.workdays_between(due_day, today - timedelta(days=1))
            if late >= conf.report_after_workdays:
                step = Ladder.REPORTED
            elif late >= conf.escalate_after_workdays:
                step = Ladder.ESCALATED
            else:
                step = Ladder.OVERDUE
            if step <= case.ladder:
                continue
            case.ladder = step
            title_body: tuple[str, Promise, list[User]] = {
                Ladder.OVERDUE: (EventKind.OVERDUE, gettext_lazy("诉求已超期"),
                                 _handlers(case) + _grid_workers(case)),
                Ladder.ESCALATED: (EventKind.ESCALATE, gettext_lazy("催办：诉求超期未办结"),
                                   ([case.department.supervisor] if case.department is not None
                                    and case.department.supervisor is not None else [])
                                   + _grid_workers(case, above=True) + _handlers(case)),
                Ladder.REPORTED: (EventKind.REPORT, gettext_lazy("通报：诉求严重超期"),
                                  _admins(case) + _grid_workers(case, above=True)),
            }[step]
            kind, title, people = title_body
            _move(case, kind, None, fields=["ladder"], internal=True, workdays_late=late)
            _tell(people, case, title,
                  later(gettext_lazy("%(c)s · %(w)s"), c=case.category, w=case.where),
                  sms=step >= Ladder.ESCALATED)
            counts[kind] += 1
    return counts


def cases_close_unrated(*, now: datetime | None = None) -> int:
    """Close the cases whose residents did not answer within ``feedback_days`` days."""
    now = now or timezone.now()
    limit = now - timedelta(days=loop_settings().feedback_days)
    ids = list(Case.objects.filter(status=Status.RESOLVED, resolved_at__lt=limit)
               .values_list("pk", flat=True))
    closed = 0
    for case_id in ids:
        with transaction.atomic():
            case = _lock(case_id)
            if case.status != Status.RESOLVED:
                continue
            case.no_rating = True
            case.closed_at = now
            _move(case, EventKind.AUTO_CLOSE, None, fields=["no_rating", "closed_at"])
            _tell(_residents(case), case, gettext_lazy("您的诉求已办结（未评价）"))
            closed += 1
    return closed


def case_record_volunteer_result(*, case_id: int, actor: User | None = None,
                                 summary: str = "") -> Case | None:
    """The volunteers app says a task made from this case is finished: record the result."""
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.status not in (Status.DISPATCHED, Status.IN_PROGRESS):
        return case
    who = actor.shown_name if actor is not None else ""
    text = (summary or _("志愿服务已完成")).strip()
    if who:
        text = f"{text}（{who}）"
    with transaction.atomic():
        if case.status == Status.DISPATCHED:
            case_accept(actor=None, case_id=case_id, note=_("志愿者已接单"))
        return case_resolve(actor=None, case_id=case_id, text=text)


def grids_for_choice(user: User) -> list[Grid]:
    from buildings.access import scope_of  # noqa: PLC0415 (moved with this module's rewrite (one view per move))

    scope = scope_of(user)
    qs = Grid.objects.order_by("path")
    if not scope.is_admin and not scope.is_liaison:
        qs = qs.filter(pk__in=scope.grid_ids)
    return list(qs)
