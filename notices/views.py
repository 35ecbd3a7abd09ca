"""Notices on a phone: the list, a notice, 收到, posting, review, who has not heard yet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buildings.access import may, require, scope_of
from buildings.models import Building, Household
from portal import limits
from portal.errors import Refused
from portal.forms_json import json_or_redirect, wants_json
from portal.params import MAX_ID, parse_int

from . import selectors
from .choices import Category, ReadVia, Receipt
from .forms import NoticeForm, ReviewForm, ToldForm
from .models import NoticePage, NoticeSettings
from .rules import responsible_building_ids
from .services import (
    notice_acknowledge,
    notice_door_knock,
    notice_mark_read,
    notice_post,
    notice_record_told,
    notice_remind,
    notice_review,
    notice_update,
    remind_next_at,
    remind_plan,
)

PER_PAGE = 20
MAX_PAGE = 500


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:40]
    archive = request.GET.get("archive") == "1" and not query
    qs = selectors.notice_list(request.user, archive=archive, query=query)
    number = parse_int(request.GET.get("page"), name=_("页码"), min=1, max=MAX_PAGE, default=1)
    # One query for the page and one more row to know if there is a next one:
    # no COUNT(*) over every notice the person may see.
    rows = list(qs[(number - 1) * PER_PAGE:number * PER_PAGE + 1])
    scope = scope_of(request.user)
    return render(request, "notices/index.html", {
        "number": number,
        "has_next": len(rows) > PER_PAGE,
        "notices": selectors.labelled(rows[:PER_PAGE]),
        "L": selectors.item_labels(),
        "query": query,
        "archive": archive,
        "may_post": scope.is_building_head or scope.is_admin,
        "may_review": scope.is_grid_worker or scope.is_admin,
    })


def render_notice(request: HttpRequest, notice: NoticePage, *, status: int = 200) -> HttpResponse:
    return render(request, "notices/detail.html", notice.get_context(request), status=status)


def _visible(request: HttpRequest, pk: int) -> NoticePage:
    notice = selectors.notice_for(request.user, pk)
    if notice is None:
        # A notice for another building looks the same as one that does not exist.
        raise Http404
    return notice


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _visible(request, pk)
    if request.user.is_authenticated:
        via = ReadVia.QR if request.GET.get("src") == "qr" else ReadVia.WEB
        notice_mark_read(user=request.user, notice=notice, via=via)
    return render_notice(request, notice)


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _visible(request, pk)
    try:
        notice_acknowledge(user=request.user, notice=notice)
    except Refused as exc:
        messages.error(request, str(exc))
        return render_notice(request, notice, status=400)
    messages.success(request, _("已确认收到，谢谢！"))
    return redirect("notices:detail", pk=notice.pk)


def poster(request: HttpRequest, pk: int) -> HttpResponse:
    """An A4 poster for the stairwell board, with a QR code that opens the notice."""
    import segno  # noqa: PLC0415 (lazy: only for a poster's QR code)

    notice = _visible(request, pk)
    url = request.build_absolute_uri(reverse("notices:detail", args=[notice.pk]) + "?src=qr")
    qr = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff", omitsize=True,
                                               title=_("扫码查看通知"))
    return render(request, "notices/poster.html", {
        "notice": notice, "qr": qr, "qr_url": url, "category": Category(notice.category).label,
    })


# --- Posting and editing (building heads) -------------------------------------------


def _form_buildings(user) -> set[int]:
    scope = scope_of(user)
    if scope.is_superuser:
        return set(Building.objects.values_list("pk", flat=True))
    return set(scope.headed_building_ids | scope.admin_building_ids)


@login_required
def post(request: HttpRequest) -> HttpResponse:
    require(request.user, "notices.post")
    form = NoticeForm(request.POST or None, request.FILES or None,
                      building_ids=_form_buildings(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                page, outcome = notice_post(
                    author=request.user, title=data["title"], category=data["category"],
                    text=data["text"], building_ids=[b.pk for b in data["buildings"]],
                    ack_wanted=data["ack_wanted"], urgent=data["urgent"],
                    photo=data.get("photo"), ends_at=data.get("ends_at"),
                )
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已发布。") if outcome == "published"
                                 else _("已提交，网格员审核后发布。"))
                return _sent(request)
        status = 400
        if wants_json(request):
            return json_or_redirect(request, form, None)
    return render(request, "notices/post.html", {"form": form, "editing": None}, status=status)


def _sent(request: HttpRequest) -> HttpResponse:
    """To 我发的通知: a redirect, or for forms.js (which shrank the photo) its JSON answer."""
    if wants_json(request):
        return json_or_redirect(request, None, reverse("notices:mine"))
    return redirect("notices:mine")


def _editable(request: HttpRequest, pk: int) -> NoticePage:
    notice = NoticePage.objects.filter(pk=pk).first() if pk <= MAX_ID else None
    if notice is None or not may(request.user, "notices.edit", notice):
        raise Http404
    return notice


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _editable(request, pk)
    draft = notice.get_latest_revision_as_object()
    initial = {
        "title": draft.title, "category": draft.category, "text": draft.body_text(),
        "buildings": [b.pk for b in draft.audience_buildings.all()],
        "ack_wanted": draft.ack_wanted, "urgent": draft.urgent,
        "ends_at": timezone.localtime(draft.ends_at) if draft.ends_at else None,
    }
    form = NoticeForm(request.POST or None, request.FILES or None, initial=initial,
                      building_ids=_form_buildings(request.user))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                _page, outcome = notice_update(
                    actor=request.user, notice=notice, title=data["title"],
                    category=data["category"], text=data["text"],
                    building_ids=[b.pk for b in data["buildings"]],
                    ack_wanted=data["ack_wanted"], urgent=data["urgent"],
                    photo=data.get("photo"), ends_at=data.get("ends_at"),
                )
            except Refused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已发布。") if outcome == "published"
                                 else _("已提交，网格员审核后发布。"))
                return _sent(request)
        status = 400
        if wants_json(request):
            return json_or_redirect(request, form, None)
    return render(request, "notices/post.html", {"form": form, "editing": notice}, status=status)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    require(request.user, "notices.post")
    return render(request, "notices/mine.html",
                  {"notices": list(selectors.notices_by(request.user))})


# --- Review (grid workers, admins) -----------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "notices.review")
    return render(request, "notices/review_list.html",
                  {"states": selectors.task_states_for_reviewer(request.user),
                   "form": ReviewForm()})


@login_required
@require_POST
def review(request: HttpRequest, state_id: int) -> HttpResponse:
    require(request.user, "notices.review")
    state = next((s for s in selectors.task_states_for_reviewer(request.user)
                  if s.pk == state_id), None)
    if state is None:
        raise Http404
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return render(request, "notices/review_list.html",
                      {"states": selectors.task_states_for_reviewer(request.user),
                       "form": form, "form_for": state_id}, status=400)
    try:
        notice_review(actor=request.user, task_state=state,
                      approve=form.cleaned_data["decision"] == "approve",
                      comment=form.cleaned_data["comment"])
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已通过并发布。") if form.cleaned_data["decision"] == "approve"
                         else _("已退回给发布人。"))
    return redirect("notices:review_list")


# --- Who has not heard yet (authors, building heads, grid workers) ------------------


def _receipts_context(request: HttpRequest, pk: int):
    notice = NoticePage.objects.live().filter(pk=pk).first() if pk <= MAX_ID else None
    if notice is None:
        raise Http404
    building_ids = responsible_building_ids(request.user, notice)
    if building_ids is not None and not building_ids:
        # Not responsible for any household of it: it does not exist for them.
        raise Http404
    rows = selectors.receipts_overview(notice, building_ids)
    return notice, building_ids, rows


@login_required
def receipts(request: HttpRequest, pk: int) -> HttpResponse:
    notice, _ids, rows = _receipts_context(request, pk)
    # 没用手机的住户: nobody of theirs in the app and not yet told: the doors to knock on.
    no_app = [h for h in rows if not h.has_account and h.receipt != Receipt.ACKNOWLEDGED]
    only_no_app = request.GET.get("show") == "no_app"
    return render(request, "notices/receipts.html", {
        "notice": notice,
        "rows": no_app if only_no_app else rows,
        "only_no_app": only_no_app,
        "no_app_count": len(no_app),
        "counts": selectors.receipt_counts(rows),
        "overdue": selectors.overdue_households(notice, rows),
        "told_form": ToldForm(),
        "remind_next_at": remind_next_at(notice),
    })


@login_required
@require_POST
def told(request: HttpRequest, pk: int) -> HttpResponse:
    notice, building_ids, _rows = _receipts_context(request, pk)
    form = ToldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择告知方式。"))
        return redirect("notices:receipts", pk=notice.pk)
    household = Household.objects.select_related("unit").filter(
        pk=form.cleaned_data["household"]).first()
    if household is None or (building_ids is not None
                             and household.unit.building_id not in building_ids):
        raise Http404
    try:
        notice_record_told(actor=request.user, notice=notice, household=household,
                           method=form.cleaned_data["method"])
    except Refused as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, _("已记录：%(h)s") % {"h": household.address})
    return redirect("notices:receipts", pk=notice.pk)


@login_required
def remind(request: HttpRequest, pk: int) -> HttpResponse:
    """一键提醒: a confirm page with the exact count (GET), then the reminder (POST)."""
    notice, _ids, rows = _receipts_context(request, pk)
    next_at = remind_next_at(notice)
    if next_at is not None:
        messages.error(request, _("这条通知已经提醒过了，%(t)s 后才能再提醒。")
                       % {"t": timezone.localtime(next_at).strftime("%m-%d %H:%M")})
        return redirect("notices:receipts", pk=notice.pk)
    if request.method != "POST" or request.POST.get("confirm") != "yes":
        plan = remind_plan(actor=request.user, notice=notice, rows=rows)
        return render(request, "notices/remind_confirm.html", {
            "notice": notice, "counts": plan.counts,
            "hours": NoticeSettings.load(request_or_site=request).remind_every_hours,
        })
    # Every waiting household is told again, some by SMS: not on every tap.
    wait = limits.check("notice_remind", notice.pk) or limits.check(
        "notice_remind_author", request.user.pk)
    if wait:
        return limits.too_many(request, wait, _("刚刚提醒过了。"))
    try:
        counts = notice_remind(actor=request.user, notice=notice, rows=rows)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("notices:receipts", pk=notice.pk)
    messages.success(request, _("已提醒 %(households)s 户：手机上通知 %(app)s 人，"
                                "发出短信 %(sms)s 条。") % counts)
    return redirect("notices:receipts", pk=notice.pk)


@login_required
@require_POST
def door_knock(request: HttpRequest, pk: int) -> HttpResponse:
    notice, _ids, rows = _receipts_context(request, pk)
    late = selectors.overdue_households(notice, rows)
    try:
        task = notice_door_knock(actor=request.user, notice=notice, households=late)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("notices:receipts", pk=notice.pk)
    if task is not None:
        messages.success(request, _("已生成上门告知任务，志愿者可以认领。"))
    # The list to print and take round, whether or not volunteers were asked.
    return render(request, "notices/door_knock.html",
                  {"notice": notice, "rows": late, "task": task})


def serve_document(document, request: HttpRequest) -> None:
    """``/documents/<id>/<name>`` (Wagtail's ``before_serve_document`` hook): a
    document attached to notices goes to whoever may read one of them, anyone
    else gets a 404. Wagtail then sends it (or, on object storage, redirects to
    ``/media/documents/...``, which ``notices/media.py`` checks the same way)."""
    if not selectors.may_read_document(request.user, document):
        raise Http404
