"""Every write about notices.

Posting and approving go through Wagtail (revisions, the moderation workflow,
its audit log); what Wagtail does not know (reads, acknowledgements,
reminders) is written here, each in one transaction with an audit row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtail.log_actions import log
from wagtail.models import TaskState, Workflow, WorkflowPage, WorkflowTask
from wagtail.rich_text import RichText

from buildings.access import scope_of
from buildings.choices import ResidencyState
from buildings.models import Building, BuildingHead, Household, Residency
from portal.choices import NotificationKind, SmsStatus
from portal.errors import Refused
from portal.i18n import later
from portal.models import HomePage, User
from portal.services import audit, notify
from portal.site import ensure_home_page
from portal.sms import send_sms
from portal.uploads.base import UploadRejected
from portal.uploads.photos import clean_photo
from volunteers.models import Task as VolunteerTask
from volunteers.services import task_create_door_knock

from .audience import audience_buildings
from .choices import AckMethod, Audience, Category, ReadVia, Receipt
from .models import (
    NoticeAck,
    NoticeApprovalTask,
    NoticeDelivery,
    NoticeIndexPage,
    NoticePage,
    NoticeRead,
    NoticeSettings,
)
from .rules import may_edit, responsible_building_ids
from .selectors import overdue_households, receipts_overview, reviewers_of

log_ = logging.getLogger("jiayuan.notices")

WORKFLOW_NAME = "通知审核"


class NoticeError(Refused):
    """A refusal a person can read (Chinese first, then English)."""


# --- The page tree and the workflow -----------------------------------------------


@transaction.atomic
def ensure_notice_index() -> NoticeIndexPage:
    """The 通知公告 page under the home page, with the 通知审核 workflow on it."""

    index = NoticeIndexPage.objects.first()
    if index is None:
        home = HomePage.objects.first()
        if home is None:
            home = ensure_home_page()
        index = home.add_child(instance=NoticeIndexPage(title="通知公告", slug="notices"))
    task = NoticeApprovalTask.objects.filter(active=True).first()
    if task is None:
        task = NoticeApprovalTask.objects.create(name="网格员审核")
    workflow = Workflow.objects.filter(name=WORKFLOW_NAME).first()
    if workflow is None:
        workflow = Workflow.objects.create(name=WORKFLOW_NAME, active=True)
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    if not WorkflowPage.objects.filter(page=index).exists():
        WorkflowPage.objects.create(page=index, workflow=workflow)
    return index


# --- Posting from the phone ------------------------------------------------------


def _shrink_photo(upload: UploadedFile) -> SimpleUploadedFile:
    """The shared photo cleaning: checked, turned upright, shrunk, no EXIF (no GPS position)."""

    try:
        cleaned = clean_photo(upload)
    except UploadRejected as exc:
        raise NoticeError(str(exc)) from exc
    cleaned.image.seek(0)
    return SimpleUploadedFile(f"notice-{uuid.uuid4().hex[:10]}.jpg", cleaned.image.read(),
                              content_type="image/jpeg")


def _body_from(text: str, image: AbstractImage | None = None, *, alt: str = "") -> list[tuple[str, object]]:
    """The notice body: the text as paragraphs, then the photo.

    The phone form never asks for alt text, and Wagtail's image block refuses
    a photo without one (approving in the Wagtail admin would fail): a photo
    with none says what the notice is called.
    """

    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    body: list[tuple[str, object]] = [("paragraph", RichText(html))]
    if image is not None:
        if not getattr(image, "contextual_alt_text", None) and not getattr(
                image, "decorative", False):
            image.contextual_alt_text = alt.strip()[:255] or image.default_alt_text
        body.append(("image", image))
    return body


def _check_buildings(author: User, building_ids: Iterable[int]) -> list[Building]:
    ids = {int(b) for b in building_ids}
    if not ids:
        raise NoticeError(_("请选择至少一栋楼。"))
    scope = scope_of(author)
    if not scope.is_superuser and not ids <= scope.headed_building_ids | scope.admin_building_ids:
        # Whatever the form sent: only the poster's own buildings.
        raise NoticeError(_("只能给您负责的楼栋发通知。"))
    buildings = list(Building.objects.filter(pk__in=ids))
    if len(buildings) != len(ids):
        raise NoticeError(_("楼栋不存在。"))
    return buildings


def _publishes_directly(author: User, buildings: list[Building]) -> bool:
    scope = scope_of(author)
    return all(scope.covers_building(b.pk) if scope.is_admin
               else b.pk in scope.direct_publish_building_ids for b in buildings)


def _submit_or_publish(page: NoticePage, author: User, direct: bool) -> str:
    """Save a revision; publish it, or hand it to the page's Wagtail workflow."""
    revision = page.save_revision(user=author, log_action=True)
    if direct:
        # Our rules decided (_publishes_directly); building heads hold no Wagtail permissions.
        revision.publish(user=author, skip_permission_checks=True)
        return "published"
    workflow = page.get_workflow()
    if workflow is None:
        ensure_notice_index()
        workflow = page.get_workflow()
    state = page.current_workflow_state
    if state is not None:
        state.cancel(user=author)
    workflow.start(page, author)
    return "submitted"


def notice_post(
    *,
    author: User,
    title: str,
    category: str,
    text: str,
    building_ids: Iterable[int],
    ack_wanted: bool = False,
    urgent: bool = False,
    photo: UploadedFile | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> tuple[NoticePage, str]:
    """A building head posts a notice for some of *their* buildings.

    Guarantees: refuses any building the author does not head (NoticeError);
    the notice is a Wagtail page with a revision, in review through the
    Wagtail workflow, or published at once if the author may publish directly
    to every chosen building. Returns the page and "published"/"submitted".
    """

    if category not in Category.values:
        raise NoticeError(_("请选择通知类别。"))
    if starts_at and ends_at and ends_at <= starts_at:
        raise NoticeError(_("结束时间要晚于开始时间。"))
    buildings = _check_buildings(author, building_ids)
    photo_file = _shrink_photo(photo) if photo else None
    with transaction.atomic():
        index = ensure_notice_index()
        image = None
        if photo_file is not None:
            image = get_image_model().objects.create(
                title=title[:100], description=title[:255], file=photo_file,
                uploaded_by_user=author)
        page = NoticePage(
            title=title.strip()[:255],
            slug=f"n-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}",
            category=category,
            body=_body_from(text, image, alt=title),
            audience=Audience.BUILDINGS,
            is_public=False,
            urgent=urgent,
            ack_wanted=ack_wanted,
            starts_at=starts_at,
            ends_at=ends_at,
            owner=author,
            live=False,
        )
        page.audience_buildings = buildings
        if category in (Category.WATER, Category.POWER):
            page.affected_buildings = buildings
        index.add_child(instance=page)
        log(instance=page, action="wagtail.create", user=author)
        outcome = _submit_or_publish(page, author, _publishes_directly(author, buildings))
        audit(actor=author, action=f"notice.{outcome}", target=page,
              buildings=[b.pk for b in buildings])
    return page, outcome


def notice_update(
    *,
    actor: User,
    notice: NoticePage,
    title: str,
    category: str,
    text: str,
    building_ids: Iterable[int],
    ack_wanted: bool = False,
    urgent: bool = False,
    photo: UploadedFile | None = None,
    ends_at: datetime | None = None,
) -> tuple[NoticePage, str]:
    """Edit a notice from the phone: a new Wagtail revision, reviewed again unless direct."""

    if not may_edit(actor, notice):
        raise NoticeError(_("您不能修改这条通知。"))
    if category not in Category.values:
        raise NoticeError(_("请选择通知类别。"))
    buildings = _check_buildings(actor, building_ids)
    photo_file = _shrink_photo(photo) if photo else None
    with transaction.atomic():
        page = notice.get_latest_revision_as_object()
        if page.starts_at and ends_at and ends_at <= page.starts_at:
            raise NoticeError(_("结束时间要晚于开始时间。"))
        image = None
        if photo_file is not None:
            image = get_image_model().objects.create(
                title=title[:100], description=title[:255], file=photo_file,
                uploaded_by_user=actor)
        else:
            image = next((b.value for b in page.body if b.block_type == "image"), None)
        page.title = title.strip()[:255]
        page.category = category
        page.body = _body_from(text, image, alt=title)
        page.ack_wanted = ack_wanted
        page.urgent = urgent
        page.ends_at = ends_at
        page.audience_buildings = buildings
        outcome = _submit_or_publish(page, actor, _publishes_directly(actor, buildings))
        audit(actor=actor, action=f"notice.edit.{outcome}", target=notice,
              buildings=[b.pk for b in buildings])
    return page, outcome


def notice_review(*, actor: User, task_state: TaskState, approve: bool, comment: str = "") -> None:
    """Approve or send back a notice through its Wagtail workflow task.

    Guarantees: only someone the task offers the action to may take it
    (NoticeError otherwise); approving the last task publishes the notice
    (Wagtail's workflow does that), which announces it to its audience.
    """

    with transaction.atomic():
        state = TaskState.objects.select_for_update().filter(pk=task_state.pk).first()
        if state is None or state.status != TaskState.STATUS_IN_PROGRESS:
            raise NoticeError(_("这条通知已经审核过了。"))
        task = state.task.specific
        page = state.revision.as_object()
        actions = {name for name, _label, _needs in task.get_actions(page, actor)}
        action = "approve" if approve else "reject"
        if action not in actions:
            raise NoticeError(_("您不能审核这条通知。"))
        task.on_action(state.specific, actor, action, comment=comment[:500])
        audit(actor=actor, action=f"notice.review.{action}", target=page, comment=comment[:200])
        if not approve and page.owner_id:
            notify(recipient=page.owner,
                   title=later(gettext_lazy("通知被退回修改：%(t)s"), t=page.title),
                   body=comment[:200], url=reverse("notices:mine"),
                   kind=NotificationKind.NOTICE)


def notice_tell_reviewers(*, page: NoticePage) -> int:
    """A notice waits for review: tell whoever may decide it, in the app, and by SMS
    when it is urgent (the audience waits for it). Returns how many were told.

    Runs in the transaction that submits the notice (the SMS go after commit).
    """

    sms = bool(page.urgent)
    title = (later(gettext_lazy("【紧急】通知等您审核：%(t)s"), t=page.title) if sms
             else later(gettext_lazy("通知等您审核：%(t)s"), t=page.title))
    count = 0
    for user in reviewers_of(page).exclude(pk=page.owner_id or 0):
        notify(recipient=user, title=title, url=reverse("notices:review_list"),
               kind=NotificationKind.NOTICE, sms=sms)
        count += 1
    audit(actor=None, action="notice.review_requested", target=page, people=count, sms=sms)
    return count


def notices_publish_unreviewed_urgent(*, now: datetime | None = None) -> int:
    """An urgent notice nobody has reviewed within the community's time is published.

    ``NoticeSettings.urgent_publish_after_minutes`` after it was submitted (0:
    never). Each goes through its Wagtail task's approve action (the workflow
    then publishes and announces it), in its own transaction with an audit
    row; the author and the reviewers are told. Returns how many were published.
    """

    minutes = NoticeSettings.load().urgent_publish_after_minutes
    if not minutes:
        return 0
    now = now or timezone.now()
    due = (TaskState.objects.filter(status=TaskState.STATUS_IN_PROGRESS,
                                    task__in=NoticeApprovalTask.objects.all(),
                                    started_at__lte=now - timedelta(minutes=minutes))
           .select_related("revision").order_by("started_at"))
    published = 0
    for candidate in due:
        if not candidate.revision.as_object().urgent:
            continue
        with transaction.atomic():
            state = TaskState.objects.select_for_update().filter(
                pk=candidate.pk, status=TaskState.STATUS_IN_PROGRESS).first()
            if state is None:  # a reviewer got there first
                continue
            page = state.revision.as_object()
            with translation.override(settings.LANGUAGE_CODE):
                comment = _("紧急通知 %(m)s 分钟无人审核，已自动发布。") % {"m": minutes}
            state.task.specific.on_action(state.specific, None, "approve", comment=comment)
            audit(actor=None, action="notice.auto_publish", target=page, minutes=minutes)
            people = set(reviewers_of(page).values_list("pk", flat=True))
            if page.owner_id:
                people.add(page.owner_id)
            for user in User.objects.filter(pk__in=people):
                notify(recipient=user,
                       title=later(gettext_lazy("紧急通知无人审核，已自动发布：%(t)s"),
                                   t=page.title),
                       url=reverse("notices:detail", args=[page.pk]),
                       kind=NotificationKind.NOTICE)
            published += 1
    return published


# --- Reading and acknowledging -----------------------------------------------------


def notice_mark_read(*, user: User, notice: NoticePage, via: str = ReadVia.WEB) -> bool:
    """Record that the person opened the notice (once). True if this was the first time."""
    if not getattr(user, "is_authenticated", False):
        return False
    if NoticeRead.objects.filter(notice=notice, user=user).exists():
        return False
    try:
        with transaction.atomic():
            NoticeRead.objects.create(notice=notice, user=user, via=via)
    except IntegrityError:  # a second tab got there first
        return False
    return True


def notice_acknowledge(*, user: User, notice: NoticePage) -> NoticeAck:
    """收到: the person acknowledges the notice for their whole household.

    Guarantees: one acknowledgement per household (a second tap, or another
    family member, gets the existing one back); only a verified resident of
    a household the notice reaches may do it.
    """
    if not notice.ack_wanted:
        raise NoticeError(_("这条通知不需要确认。"))
    scope = scope_of(user)
    households = list(Household.objects.filter(
        pk__in=scope.household_ids, unit__building__in=audience_buildings(notice)
    ).order_by("pk"))
    if not households:
        raise NoticeError(_("认证住户后才能确认收到。"))
    existing = NoticeAck.objects.filter(notice=notice, household__in=households).first()
    if existing:
        return existing
    with transaction.atomic():
        NoticeRead.objects.get_or_create(notice=notice, user=user)
        acks = []
        for household in households:
            obj, created = NoticeAck.objects.get_or_create(
                notice=notice, household=household,
                defaults={"method": AckMethod.APP, "by_user": user})
            acks.append(obj)
            if created:
                audit(actor=user, action="notice.ack", target=notice, household=household.pk,
                      method=AckMethod.APP)
    return acks[0]  # households is not empty


def notice_record_told(*, actor: User, notice: NoticePage, household: Household,
                       method: str, note: str = "") -> NoticeAck:
    """A building head told a household by phone or at the door: counts as acknowledged.

    Guarantees: only for a household of the notice's audience in a building
    the actor looks after (NoticeError otherwise); one per household.
    """
    if method not in (AckMethod.PHONE, AckMethod.DOOR):
        raise NoticeError(_("请选择告知方式。"))
    allowed = responsible_building_ids(actor, notice)
    if allowed is not None and household.unit.building_id not in allowed:
        raise NoticeError(_("这户不在您负责的楼栋。"))
    with transaction.atomic():
        ack, created = NoticeAck.objects.get_or_create(
            notice=notice, household=household,
            defaults={"method": method, "by_user": actor, "note": note[:200]})
        if created:
            audit(actor=actor, action="notice.told", target=notice, household=household.pk,
                  method=method)
    return ack


def _remind_text(notice: NoticePage) -> Promise:
    return later(gettext_lazy("请查看通知：%(t)s"), t=notice.title)


@dataclass
class RemindPlan:
    """Who one tap of 一键提醒 reaches: the same list on the confirm page and when sent."""

    households: list[Household]
    people: list[User]
    sms: list[tuple[str, str]]  # (phone, language) — one message per number

    @property
    def counts(self) -> dict[str, int]:
        return {"households": len(self.households), "app": len(self.people),
                "sms": len(self.sms)}


def remind_plan(*, actor: User, notice: NoticePage, rows: list[Household]) -> RemindPlan:
    """The households still without a receipt (not read; not acknowledged where asked),
    their verified residents in the app, and the SMS that would go.

    Never the notice's author nor the person reminding (nor their households):
    they know. SMS to residents' verified phones when the notice is urgent, and
    to the register's phone of a household with nobody in the app; each number once.
    """
    waiting = {Receipt.NOT_READ, Receipt.READ} if notice.ack_wanted else {Receipt.NOT_READ}
    skip_users = {pk for pk in (actor.pk, notice.owner_id) if pk}
    own = set(Residency.objects.filter(user_id__in=skip_users, state=ResidencyState.VERIFIED)
              .values_list("household_id", flat=True))
    households = [h for h in rows
                  if h.receipt in waiting and h.pk not in own]  # type: ignore[attr-defined]  # receipt: annotated by selectors.receipts_overview
    residents = (Residency.objects.filter(household__in=households,
                                          state=ResidencyState.VERIFIED)
                 .select_related("user").order_by("household_id", "pk"))
    people: dict[int, User] = {}
    with_account: set[int] = set()
    for r in residents:
        if r.user.erased_at is not None or not r.user.is_active:
            continue
        with_account.add(r.household_id)
        people.setdefault(r.user_id, r.user)
    sms: dict[str, str] = {}
    if notice.sends_sms:
        for user in people.values():
            if user.phone and user.phone_verified:
                sms.setdefault(user.phone, user.language or settings.LANGUAGE_CODE)
    for h in households:
        if h.pk not in with_account and h.phone:
            sms.setdefault(h.phone, settings.LANGUAGE_CODE)  # nobody's language known
    return RemindPlan(households=households, people=list(people.values()),
                      sms=list(sms.items()))


def remind_next_at(notice: NoticePage) -> datetime | None:
    """When 一键提醒 may be used again for this notice (None: now)."""

    last = (NoticeDelivery.objects.filter(notice=notice)
            .values_list("last_reminded_at", flat=True).first())
    if last is None:
        return None
    hours = NoticeSettings.load().remind_every_hours
    nxt = last + timedelta(hours=hours)
    return nxt if nxt > timezone.now() else None


def notice_remind(*, actor: User, notice: NoticePage, rows: list[Household]) -> dict[str, int]:
    """一键提醒: remind every household of ``remind_plan``, once per notice per N hours.

    Guarantees: at most one reminder per notice within the community's
    interval (``NoticeSettings.remind_every_hours``), however many people tap at
    once (the slot is taken by one conditional UPDATE; NoticeError for the
    others, saying when); in one transaction with its audit row. Returns the
    true counts: households, people told in the app, SMS accepted for sending.
    """

    now = timezone.now()
    hours = NoticeSettings.load().remind_every_hours
    with transaction.atomic():
        NoticeDelivery.objects.get_or_create(notice=notice)
        taken = (NoticeDelivery.objects.filter(notice=notice)
                 .filter(Q(last_reminded_at__isnull=True)
                         | Q(last_reminded_at__lte=now - timedelta(hours=hours)))
                 .update(last_reminded_at=now))
        if not taken:
            nxt = remind_next_at(notice)
            raise NoticeError(
                _("这条通知刚提醒过，%(h)s 小时内只能提醒一次。可在 %(t)s 后再提醒。")
                % {"h": hours, "t": timezone.localtime(nxt or now).strftime("%m-%d %H:%M")})
        plan = remind_plan(actor=actor, notice=notice, rows=rows)
        url = reverse("notices:detail", args=[notice.pk])
        for user in plan.people:
            notify(recipient=user, title=_remind_text(notice), url=url,
                   kind=NotificationKind.NOTICE)
        sent = 0
        for phone, language in plan.sms:
            with translation.override(language):
                text = f"【仫佬家园】{_remind_text(notice)}"
            if send_sms(phone=phone, text=text[:300],
                        purpose="notice:remind").status != SmsStatus.FAILED:
                sent += 1
        counts = {"households": len(plan.households), "app": len(plan.people), "sms": sent}
        audit(actor=actor, action="notice.remind", target=notice, **counts)
    return counts


def notice_door_knock(*, actor: User, notice: NoticePage,
                      households: list[Household]) -> VolunteerTask | None:
    """Ask volunteers to knock on the doors of households still not acknowledged.

    Uses ``volunteers.services.task_create_door_knock``; returns its task, or
    None (no households: the caller shows a list to print).
    """
    with transaction.atomic():
        task = None
        if households:
            # A VolunteerError is a Refused as a NoticeError is: it passes as it is.
            task = task_create_door_knock(actor=actor, notice=notice, households=households)
        delivery, _created = NoticeDelivery.objects.get_or_create(notice=notice)
        delivery.door_knock_at = timezone.now()
        delivery.save(update_fields=["door_knock_at"])
        audit(actor=actor, action="notice.door_knock", target=notice,
              households=[h.pk for h in households], task=getattr(task, "pk", None))
    return task


# --- Publishing -----------------------------------------------------------------------


def audience_users(notice: NoticePage) -> QuerySet[User]:
    """The people a published notice is for: verified residents it reaches, and the
    building heads of its buildings."""

    buildings = audience_buildings(notice)
    residents = User.objects.filter(
        residencies__state=ResidencyState.VERIFIED,
        residencies__household__unit__building__in=buildings,
    )
    heads = User.objects.filter(pk__in=BuildingHead.objects.filter(
        building__in=buildings).values("user_id"))
    return (residents | heads).distinct()


def notice_announce(*, notice: NoticePage) -> int:
    """Tell the audience of a newly published notice (once per notice).

    In-app to each of them; urgent notices and urgent categories (water or
    power cut, safety) also by SMS. Returns how many were told.
    """
    with transaction.atomic():
        delivery, _created = NoticeDelivery.objects.select_for_update().get_or_create(
            notice=notice)
        if delivery.announced_at is not None:
            return 0
        url = reverse("notices:detail", args=[notice.pk])
        title = later(gettext_lazy("【%(label)s】%(title)s"), label=Category(notice.category).label,
                      title=notice.title)
        body = notice.body_text()[:120]
        count = 0
        for user in audience_users(notice).only("id", "phone", "phone_verified").iterator():
            notify(recipient=user, title=title, body=body if notice.sends_sms else "",
                   url=url, kind=NotificationKind.NOTICE, sms=notice.sends_sms)
            count += 1
        delivery.announced_at = timezone.now()
        delivery.announced_to = count
        delivery.save(update_fields=["announced_at", "announced_to"])
        audit(actor=None, action="notice.announce", target=notice, people=count,
              sms=notice.sends_sms)
    return count


def notices_alert_overdue(*, now: datetime | None = None) -> int:
    """Tell authors and building heads when households have not acknowledged in time.

    Once per notice; they can then record phone calls or ask for a door knock.
    Returns how many notices were flagged.
    """

    now = now or timezone.now()
    flagged = 0
    candidates = (NoticePage.objects.live().filter(ack_wanted=True)
                  .exclude(delivery__overdue_alerted_at__isnull=False)
                  .exclude(ends_at__lt=now))
    for notice in candidates:
        deadline = notice.ack_deadline
        if deadline is None or deadline > now:
            continue
        rows = receipts_overview(notice, None)
        late = overdue_households(notice, rows)
        with transaction.atomic():
            delivery, _created = NoticeDelivery.objects.get_or_create(notice=notice)
            delivery.overdue_alerted_at = now
            delivery.save(update_fields=["overdue_alerted_at"])
            if not late:
                continue
            people = set(BuildingHead.objects.filter(
                building__in=audience_buildings(notice)).values_list("user_id", flat=True))
            if notice.owner_id:
                people.add(notice.owner_id)
            for user in User.objects.filter(pk__in=people):
                notify(recipient=user,
                       title=later(gettext_lazy("%(n)s 户还没确认：%(t)s"), n=len(late),
                                   t=notice.title),
                       body=gettext_lazy("可以电话告知、上门告知，或请志愿者上门。"),
                       url=reverse("notices:receipts", args=[notice.pk]),
                       kind=NotificationKind.NOTICE)
            audit(actor=None, action="notice.overdue", target=notice, households=len(late))
            flagged += 1
    return flagged


def sms_enabled() -> bool:
    return bool(getattr(settings, "SMS_BACKEND", ""))
