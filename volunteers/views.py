"""The volunteer side on a phone: the task board, a task, check-in, records, the shop.

Views validate, check access, call a service and return. An id for something
the person may not see is a 404; a move they may not make is a 403.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from buildings.access import may, require, scope_of
from buildings.models import Community
from portal.downloads import as_download
from portal.errors import Refused
from portal.params import parse_date, parse_int

from . import selectors, services
from .choices import LIVE_STATES, ClaimState, Skill, TaskKind, TaskState
from .forms import (
    ApplyForm,
    CheckInForm,
    CorrectionForm,
    MessageForm,
    ProfileForm,
    ReasonForm,
    SummaryForm,
    TaskForm,
)
from .models import Claim, HoursEntry, PointsEntry, Redemption, Task, Volunteer
from .rules import volunteer_of

MAX_PAGE = 1000

# The board's filter options, translated once per language: each label of a choice is
# a lazy translation, and looking up the twenty-odd of them on every board was a
# measurable part of the page (the catalogs do not change while a process runs).
_FILTER_CHOICES: dict[str, dict[str, list[tuple[str, str]]]] = {}


def _filter_choices() -> dict[str, list[tuple[str, str]]]:
    lang = translation.get_language()
    choices = _FILTER_CHOICES.get(lang)
    if choices is None:
        choices = {"kinds": [(v, str(label)) for v, label in TaskKind.choices],
                   "skills": [(v, str(label)) for v, label in Skill.choices]}
        _FILTER_CHOICES[lang] = choices
    return choices


# --- The board ------------------------------------------------------------------


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    tab = request.GET.get("tab", "board")
    context = {
        "volunteer": volunteer,
        "tab": tab,
        **_filter_choices(),
        "f": {"kind": request.GET.get("kind", ""), "skill": request.GET.get("skill", ""),
              "when": request.GET.get("when", ""), "free": request.GET.get("free", "")},
        "can_organise": may(request.user, "volunteers.create_task"),
        "can_run_shop": may(request.user, "volunteers.run_shop"),
    }
    if tab == "mine" and volunteer is not None:
        context["mine"] = selectors.my_claims(volunteer)
    else:
        context["tab"] = "board"
        f = context["f"]
        context["board"] = selectors.task_board(
            user=request.user, kind=f["kind"] if f["kind"] in TaskKind.values else "",
            skill=f["skill"] if f["skill"] in Skill.values else "",
            when=f["when"], free_only=f["free"] == "1", page=parse_int(request.GET.get("page"), name=_("页码"), min=1, max=MAX_PAGE,
                                        default=1))
    if context["can_organise"]:
        context["organised"] = selectors.tasks_organised_by(request.user, limit=10)
    return render(request, "volunteers/index.html", context)


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    community_id = volunteer.community_id if volunteer else None
    if community_id is None:
        first = Community.objects.order_by("pk").first()
        community_id = first.pk if first else None
    if volunteer is not None and volunteer.state != "rejected":
        form = ProfileForm(request.POST or None, initial={
            "skills": volunteer.skill_list, "free_times": volunteer.free_times.strip(",").split(","),
            "hide_from_leaderboard": volunteer.hide_from_leaderboard})
        if request.method == "POST" and form.is_valid():
            services.volunteer_update_profile(user=request.user, **form.cleaned_data)
            messages.success(request, _("已保存。"))
            return redirect("volunteers:index")
        return render(request, "volunteers/apply.html",
                      {"form": form, "volunteer": volunteer, "profile": True},
                      status=400 if request.method == "POST" else 200)
    form = ApplyForm(request.POST or None, community_id=community_id,
                     initial={"real_name": request.user.get_full_name()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.volunteer_apply(user=request.user, **form.cleaned_data)
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("申请已提交，网格员审核后会通知您。"))
                return redirect("volunteers:index")
        status = 400
    return render(request, "volunteers/apply.html", {"form": form, "volunteer": volunteer},
                  status=status)


# --- A task ----------------------------------------------------------------------


def _task_or_404(pk: int) -> Task:
    task = selectors.task_for_page(pk)
    if task is None:
        raise Http404
    return task


def _task_page(request: HttpRequest, task: Task, *, status: int = 200, **extra) -> HttpResponse:
    user = request.user
    volunteer = volunteer_of(user)
    my_claim = ended_claim = None
    if volunteer is not None:
        latest = Claim.objects.filter(task=task, volunteer=volunteer).order_by("-id").first()
        if latest is not None and latest.state in LIVE_STATES:
            my_claim = latest
        else:
            ended_claim = latest
    now = timezone.now()
    organiser = may(user, "volunteers.organise_task", task)
    head = not organiser and task.building_id in scope_of(user).headed_building_ids
    holds = my_claim is not None and my_claim.state == ClaimState.HELD \
        and task.state == TaskState.OPEN
    on_task = organiser or (my_claim is not None and my_claim.state in
                            (ClaimState.HELD, ClaimState.PENDING, ClaimState.OFFERED))
    context = {
        "task": task,
        "volunteer": volunteer,
        "my_claim": my_claim,
        "ended_claim": ended_claim,
        "organiser": organiser,
        "head": head,
        # The exact flat only while the volunteer holds a place (and to the organiser).
        "addresses": selectors.households_of_task(task) if (holds or organiser) else None,
        "households_count": task.households.count(),
        "claims": selectors.claims_on_task(task) if (organiser or head) else None,
        "task_messages": selectors.messages_on_task(task) if on_task else None,
        "checkin_form": extra.pop("checkin_form", None) or CheckInForm(),
        "message_form": extra.pop("message_form", None) or MessageForm(),
        "can_claim": may(user, "volunteers.claim_task"),
        "now": now,
        "cutoff": task.starts_at - timedelta(hours=task.withdraw_cutoff_hours),
        # The real title and what to do may name the person served: only for
        # the organiser and the volunteers who hold a place.
        "details": organiser or head or holds or not task.serves_people(),
        "checkin_opens": task.starts_at - services.CHECKIN_EARLY,
        "checkin_open": task.starts_at - services.CHECKIN_EARLY <= now <= task.ends_at,
    }
    context.update(extra)
    return render(request, "volunteers/task.html", context, status=status)


@login_required
@require_GET
def task(request: HttpRequest, pk: int) -> HttpResponse:
    return _task_page(request, _task_or_404(pk))


def _act(request: HttpRequest, task: Task, fn, ok: str, **kwargs) -> HttpResponse:
    try:
        fn(**kwargs)
    except Refused as exc:
        return _task_page(request, task, status=409, error=str(exc))
    if ok:
        messages.success(request, ok)
    return redirect("volunteers:task", task.pk)


@login_required
@require_POST
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    require(request.user, "volunteers.claim_task")
    try:
        result = services.task_claim(actor=request.user, task_id=task.pk)
    except Refused as exc:
        return _task_page(request, task, status=409, error=str(exc))
    if result.state == ClaimState.HELD:
        messages.success(request, _("报名成功！请按时到场。"))
    elif result.state == ClaimState.PENDING:
        messages.success(request, _("已报名，等待组织者审核。"))
    elif result.state == ClaimState.WAITLISTED:
        messages.success(request, _("名额已满，您已进入候补。有空位时会通知您确认。"))
    return redirect("volunteers:task", task.pk)


def _own_claim(request: HttpRequest, claim_pk: int) -> Claim:
    """The person's own claim; anyone else's looks as if it did not exist."""
    claim = Claim.objects.filter(pk=claim_pk, volunteer__user=request.user).first()
    if claim is None:
        raise Http404
    return claim


@login_required
@require_POST
def withdraw(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _own_claim(request, claim_pk)
    return _act(request, _task_or_404(c.task_id), services.claim_withdraw, _("已退出。"),
                actor=request.user, claim_id=c.pk)


@login_required
@require_POST
def accept_offer(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _own_claim(request, claim_pk)
    return _act(request, _task_or_404(c.task_id), services.claim_accept_offer,
                _("已确认参加。"), actor=request.user, claim_id=c.pk)


@login_required
@require_POST
def decline_offer(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _own_claim(request, claim_pk)
    return _act(request, _task_or_404(c.task_id), services.claim_decline_offer,
                _("已放弃，名额让给下一位。"), actor=request.user, claim_id=c.pk)


@login_required
@require_POST
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, status=400, checkin_form=form)
    return _act(request, task, services.claim_check_in, _("签到成功。"),
                actor=request.user, task_id=task.pk, code=form.cleaned_data["code"])


@login_required
def qr_check_in(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """What the QR code at the place opens. GET shows a button; POST checks in."""
    task = _task_or_404(pk)
    if token != task.qr_token:
        raise Http404
    if request.method == "POST":
        return _act(request, task, services.claim_check_in, _("签到成功。"),
                    actor=request.user, task_id=task.pk, token=token)
    return render(request, "volunteers/qr_check_in.html", {"task": task, "token": token})


@login_required
@require_POST
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    return _act(request, task, services.claim_check_out, _("签退成功，辛苦了！"),
                actor=request.user, task_id=task.pk)


@login_required
@require_GET
def qr_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-in QR code for the organiser to show or print at the place."""
    import segno  # noqa: PLC0415 (lazy: only for a poster's QR code)

    task = _task_or_404(pk)
    if not may(request.user, "volunteers.organise_task", task):
        raise Http404
    url = request.build_absolute_uri(reverse("volunteers:qr_check_in",
                                             args=[task.pk, task.qr_token]))
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


# --- Organiser and building-head actions ---------------------------------------------


def _claim_for_staff(request: HttpRequest, claim_pk: int) -> Claim:
    """A claim the person may see: their own, their task's, their building's, or one that
    helped them. Anything else is a 404."""
    claim = Claim.objects.select_related("task", "volunteer").filter(pk=claim_pk).first()
    if claim is None:
        raise Http404
    user = request.user
    if not (claim.volunteer.user_id == user.pk
            or may(user, "volunteers.check_in_for", claim)
            or may(user, "volunteers.confirm_service", claim)):
        raise Http404
    return claim


@login_required
@require_POST
def decide_claim(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _claim_for_staff(request, claim_pk)
    approve = request.POST.get("approve") == "1"
    return _act(request, _task_or_404(c.task_id), services.claim_decide,
                _("已通过报名。") if approve else _("已拒绝报名。"),
                actor=request.user, claim_id=c.pk, approve=approve,
                reason=request.POST.get("reason", "")[:200])


@login_required
@require_POST
def check_in_for(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _claim_for_staff(request, claim_pk)
    out = request.POST.get("out") == "1"
    return _act(request, _task_or_404(c.task_id), services.claim_check_in_for,
                _("已代为签退。") if out else _("已代为签到。"),
                actor=request.user, claim_id=c.pk, out=out)


@login_required
@require_POST
def approve_service(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _claim_for_staff(request, claim_pk)
    return _act(request, _task_or_404(c.task_id), services.claim_approve_service,
                _("已认定服务时长和积分。"), actor=request.user, claim_id=c.pk)


@login_required
@require_POST
def message(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    require(request.user, "volunteers.organise_task", task)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, status=400, message_form=form)
    return _act(request, task, services.task_message, _("消息已发出。"), actor=request.user,
                task_id=task.pk, body=form.cleaned_data["body"], sms=form.cleaned_data["sms"])


@login_required
@require_POST
def finish(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    require(request.user, "volunteers.organise_task", task)
    form = SummaryForm(request.POST)
    summary = form.cleaned_data["summary"] if form.is_valid() else ""
    return _act(request, task, services.task_finish, _("任务已完成。"), actor=request.user,
                task_id=task.pk, summary=summary)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_or_404(pk)
    require(request.user, "volunteers.organise_task", task)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _task_page(request, task, status=400,
                          error=_("请填写取消原因。"))
    return _act(request, task, services.task_cancel, _("任务已取消，已通知报名的志愿者。"),
                actor=request.user, task_id=task.pk, reason=form.cleaned_data["reason"])


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    require(request.user, "volunteers.create_task")
    form = TaskForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                task = services.task_create(
                    actor=request.user, title=d["title"], description=d["description"],
                    public_title=d["public_title"],
                    kind=d["kind"], building=d["building"], unit=d["unit_obj"],
                    households=[d["household"]] if d["household"] else [],
                    place=d["place"], starts_at=d["starts_at"], ends_at=d["ends_at"],
                    places=d["places"], skills=d["skills"], points=d["points"] or 0,
                    needs_approval=d["needs_approval"],
                    withdraw_cutoff_hours=d["withdraw_cutoff_hours"])
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("任务已发布。"))
                return redirect("volunteers:task", task.pk)
        status = 400
    return render(request, "volunteers/task_form.html", {"form": form}, status=status)


# --- Confirming a service (the person helped, or their building head) -------------------


@login_required
@require_GET
def to_confirm(request: HttpRequest) -> HttpResponse:
    return render(request, "volunteers/to_confirm.html",
                  {"claims": selectors.claims_to_confirm(request.user)})


@login_required
@require_POST
def confirm(request: HttpRequest, claim_pk: int) -> HttpResponse:
    c = _claim_for_staff(request, claim_pk)
    try:
        services.claim_confirm(actor=request.user, claim_id=c.pk)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已确认，谢谢！"))
    return redirect("volunteers:to_confirm")


# --- Volunteer approval -------------------------------------------------------------


@login_required
def review(request: HttpRequest) -> HttpResponse:
    require(request.user, "volunteers.review_volunteers")
    return render(request, "volunteers/review.html", _review_context(request))


def _review_context(request: HttpRequest) -> dict:
    can_correct = may(request.user, "volunteers.correct_ledger")
    return {
        "pending": selectors.volunteers_pending_for(request.user),
        "can_correct": can_correct,
        "approved": selectors.volunteers_approved_for(request.user) if can_correct else [],
        "correction_form": CorrectionForm(),
    }


@login_required
@require_POST
def decide_volunteer(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = Volunteer.objects.filter(pk=pk).first()
    if volunteer is None or not may(request.user, "volunteers.decide_volunteer", volunteer):
        if volunteer is not None and volunteer.user_id == request.user.pk:
            raise PermissionDenied(_("您没有权限进行此操作。"))
        raise Http404
    approve = request.POST.get("approve") == "1"
    try:
        services.volunteer_decide(actor=request.user, volunteer_id=pk, approve=approve,
                                  reason=request.POST.get("reason", ""))
    except Refused as exc:
        messages.error(request, str(exc))
        return render(request, "volunteers/review.html", _review_context(request), status=400)
    messages.success(request, _("已通过。") if approve else _("已标记为不通过。"))
    return redirect("volunteers:review")


# --- Records, leaderboard, certificate, export ----------------------------------------


def _my_volunteer(request: HttpRequest) -> Volunteer:
    volunteer = volunteer_of(request.user)
    if volunteer is None:
        raise Http404
    return volunteer


@login_required
@require_GET
def record(request: HttpRequest) -> HttpResponse:
    volunteer = _my_volunteer(request)
    volunteer.refresh_from_db(fields=["hours_total", "points_balance"])
    return render(request, "volunteers/record.html", {
        "volunteer": volunteer,
        "services": list(Claim.objects.filter(volunteer=volunteer, approved_at__isnull=False)
                         .select_related("task").order_by("-task__starts_at")[:50]),
        "hours_entries": list(HoursEntry.objects.filter(volunteer=volunteer)[:50]),
        "points_entries": list(PointsEntry.objects.filter(volunteer=volunteer)[:50]),
        "can_correct": may(request.user, "volunteers.correct_ledger", volunteer),
    })


@login_required
@require_GET
def certificate(request: HttpRequest) -> HttpResponse:
    volunteer = _my_volunteer(request)
    if not volunteer.is_approved:
        raise Http404
    services_done = Claim.objects.filter(volunteer=volunteer, approved_at__isnull=False)
    first = services_done.order_by("task__starts_at").select_related("task").first()
    return render(request, "volunteers/certificate.html", {
        "volunteer": volunteer, "count": services_done.count(),
        "since": first.task.starts_at if first else None, "today": timezone.localdate(),
    })


@login_required
@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    community_id = volunteer.community_id if volunteer else (
        Community.objects.order_by("pk").values_list("pk", flat=True).first())
    rows = selectors.leaderboard(community_id=community_id) if community_id else []
    return render(request, "volunteers/leaderboard.html", {"rows": rows, "me": volunteer})


def _day_start(value: str | None, name: str) -> datetime | None:
    """Midnight (local) at the start of the day ``YYYY-MM-DD``; empty is None."""
    day = parse_date(value, name=name, default=None)
    return None if day is None else timezone.make_aware(datetime.combine(day, time.min))


EXPORT_HEADER = ["姓名", "手机号", "服务队", "服务项目", "类别", "服务地点", "服务日期",
                 "签到时间", "签退时间", "服务时长（小时）", "积分", "服务对象确认", "审核人"]


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """Approved service records for the official volunteer record (CSV or xlsx)."""
    require(request.user, "volunteers.export_records")
    since = _day_start(request.GET.get("from"), _("开始日期"))
    until = _day_start(request.GET.get("to"), _("结束日期"))
    rows = []
    for c in selectors.service_records(request.user, since=since, until=until).iterator():
        local = timezone.localtime
        rows.append([
            c.volunteer.real_name, c.volunteer.phone.removeprefix("+86"),
            c.volunteer.team.name if c.volunteer.team else "", c.task.title,
            c.task.get_kind_display(), c.task.public_place,
            local(c.task.starts_at).strftime("%Y-%m-%d"),
            local(c.checked_in_at).strftime("%H:%M") if c.checked_in_at else "",
            local(c.checked_out_at).strftime("%H:%M") if c.checked_out_at else "",
            float(c.hours or 0), c.points or 0, "是" if c.confirmed_at else "—",
            c.approved_by.shown_name if c.approved_by else "",
        ])
    stamp = timezone.localdate().strftime("%Y%m%d")
    if request.GET.get("format") == "xlsx":
        from openpyxl import Workbook  # noqa: PLC0415 (lazy: heavy (~1 s), only for a spreadsheet)

        wb = Workbook()
        ws = wb.active
        ws.title = "志愿服务记录"
        ws.append(EXPORT_HEADER)
        for row in rows:
            ws.append(row)
        buffer = io.BytesIO()
        wb.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return as_download(response, f"volunteer-records-{stamp}.xlsx")
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel on Windows reads UTF-8 with the mark
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return as_download(response, f"volunteer-records-{stamp}.csv")


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin adds a correcting entry (never an edit)."""
    require(request.user, "volunteers.correct_ledger")  # an admin at all, else 403
    volunteer = Volunteer.objects.filter(pk=pk).first()
    if volunteer is None or not may(request.user, "volunteers.correct_ledger", volunteer):
        raise Http404  # another community's volunteer is nobody this admin knows
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.ledger_correct(actor=request.user, volunteer_id=pk,
                                    hours=form.cleaned_data["hours"] or 0,
                                    points=form.cleaned_data["points"] or 0,
                                    reason=form.cleaned_data["reason"])
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect("volunteers:review")
        messages.success(request, _("已记入更正。"))
    else:
        messages.error(request, _("请填写更正原因。"))
    return redirect("volunteers:review")


# --- The points supermarket -------------------------------------------------------------


@login_required
@require_GET
def shop(request: HttpRequest) -> HttpResponse:
    volunteer = volunteer_of(request.user)
    if volunteer is not None:
        volunteer.refresh_from_db(fields=["points_balance"])
    community_id = volunteer.community_id if volunteer else None
    return render(request, "volunteers/shop.html", {
        "volunteer": volunteer,
        "items": selectors.shop_items(community_id) if community_id else [],
        "redemptions": selectors.my_redemptions(volunteer) if volunteer else [],
        "can_run_shop": may(request.user, "volunteers.run_shop"),
    })


@login_required
@require_POST
def redeem(request: HttpRequest, item_pk: int) -> HttpResponse:
    require(request.user, "volunteers.claim_task")
    try:
        services.item_redeem(actor=request.user, item_id=item_pk)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("volunteers:shop")
    messages.success(request, _("兑换成功，请在兑换日到社区领取。"))
    return redirect("volunteers:shop")


@login_required
@require_POST
def redemption_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    redemption = Redemption.objects.filter(pk=pk).select_related("volunteer").first()
    if redemption is None or not (redemption.volunteer.user_id == request.user.pk
                                  or may(request.user, "volunteers.hand_over", redemption)):
        raise Http404
    try:
        services.redemption_cancel(actor=request.user, redemption_id=pk)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已取消，积分已退回。"))
    return redirect(request.POST.get("next") == "orders" and "volunteers:orders"
                    or "volunteers:shop")


@login_required
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    require(request.user, "volunteers.run_shop")
    return render(request, "volunteers/orders.html",
                  {"orders": list(selectors.redemptions_to_hand_over(request.user)[:200])})


@login_required
@require_POST
def collected(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "volunteers.run_shop")
    if not Redemption.objects.filter(pk=pk).exists():
        raise Http404
    try:
        services.redemption_collect(actor=request.user, redemption_id=pk)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已登记领取。"))
    return redirect("volunteers:orders")
