"""The closed loop on a phone: report, follow, work the queue, act on a case.

Views validate, check access, call a service, and answer (a redirect, or JSON
for forms.js). A case the person may not see is a 404; a move they may not
make is a 403; bad input is a 400 with the page and its message again.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buildings.access import may, require, scope_of
from buildings.models import Building, PublicPlace, Unit
from portal import limits
from portal.errors import Refused
from portal.forms_json import client_key_from, errors_of, json_or_redirect
from portal.params import BadParameter, parse_id, parse_int
from portal.phones import mask_phones_in_text

from . import plain, selectors
from .choices import EventKind, Priority, Status
from .forms import (
    DispatchForm,
    FeedbackForm,
    MergeForm,
    ReasonForm,
    ReportForm,
    TextForm,
    TriageForm,
    resolve_where,
    validate_phone_user,
    where_choices,
)
from .models import Case, Category
from .open311.selectors import platform_request_for
from .services import (
    case_accept,
    case_comment,
    case_decline,
    case_dispatch,
    case_give_feedback,
    case_hand_back,
    case_merge,
    case_metoo,
    case_place,
    case_record_followup,
    case_resolve,
    case_submit,
    case_supervise,
    case_triage,
    case_urge,
    case_url,
    grids_for_choice,
)
from .whistle import selectors as whistle_selectors
from .workflow import (
    STAFF_ROLES,
    allowed_moves,
    can_see,
    check_move,
    dispatch_kind,
    roles_for,
    sees_in_full,
    sees_photo,
)

MAX_PAGE = 1000  # 30 a page: far past any queue's end


# --- The resident's side -----------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """报事: the category icons to start a report, and the person's own cases."""
    scope = scope_of(request.user)
    cases = list(selectors.cases_of_resident(request.user))
    for c in cases:
        # Her own flat in full: she reported it, or she is a verified member of that household.
        own = c.reporter_id == request.user.pk or (
            c.household_id is not None and c.household_id in scope.household_ids)
        c.shown_where = c.where if own else c.masked_where
    return render(request, "community/index.html", {
        "categories": selectors.categories(),
        "cases": cases,
        "scope": scope,
        "works": may(request.user, "community.use_workbench"),
        "behalf": may(request.user, "community.file_on_behalf"),
        "disputes": scope.is_grid_worker or scope.is_admin or scope.is_handler,
    })


def _poster_place(request: HttpRequest):
    unit = building = None
    b = parse_id(request.GET.get("building"), name=_("楼栋"), default=None)
    u = parse_id(request.GET.get("unit"), name=_("单元"), default=None)
    if b is not None:
        building = Building.objects.filter(pk=b).first()
    if u is not None:
        unit = Unit.objects.select_related("building").filter(pk=u).first()
        if unit is not None and building is not None and unit.building_id != building.pk:
            unit = None
    return building, unit


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """The report form; ``?category=code``, ``?building=id&unit=id`` (stairwell posters)
    and ``?behalf=1`` (staff filing for a resident) fill it in."""
    behalf = request.GET.get("behalf") == "1" or request.POST.get("behalf") == "1"
    if behalf:
        require(request.user, "community.file_on_behalf")
    building, unit = _poster_place(request)
    choices = where_choices(request.user, poster_unit=unit, poster_building=building)
    if request.method == "POST":
        # Counted before the photos and voice note are decoded: that is the costly part.
        action = "case_report_behalf" if behalf else "case_report"
        if wait := limits.check(action, request.user.pk):
            return limits.too_many(request, wait, _("报得太频繁了。"))
        form = ReportForm(request.POST, request.FILES, user=request.user, behalf=behalf,
                          where=choices)
        if form.is_valid():
            return _submit(request, form, behalf)
        return _report_page(request, form, behalf, status=400)
    initial = {}
    code = request.GET.get("category", "")
    if code:
        initial["category"] = Category.objects.filter(code=code, active=True).first()
    if unit is not None:
        initial["where"] = f"u{unit.pk}"
    elif building is not None:
        initial["where"] = f"b{building.pk}"
    elif choices and isinstance(choices[0][1], str) and not behalf:
        initial["where"] = choices[0][0]
    form = ReportForm(initial=initial, user=request.user, behalf=behalf, where=choices)
    return _report_page(request, form, behalf)


def _report_page(request, form, behalf, status=200):
    category = form.initial.get("category") if not form.is_bound else None
    if form.is_bound:
        category = Category.objects.filter(code=form.data.get("category", "")).first()
    where = {}
    # Similar cases are of a category: without one there are none, and the place
    # (one more query) is not worth reading.
    if category is not None:
        try:
            where = resolve_where((form.data if form.is_bound else form.initial).get("where", ""))
        except BadParameter:  # the form already says "choose where"
            where = {}
    similar = selectors.similar_open_cases(user=request.user, category=category,
                                           behalf=behalf, **where)
    ctx = {"form": form, "behalf": behalf, "categories": selectors.categories(),
           "chosen": category.code if category else "", "similar": similar}
    if status != 200:

        ctx["errors"] = errors_of(form)
        return json_or_redirect(request, form, None, template="community/new.html",
                                context=ctx)
    return render(request, "community/new.html", ctx)


def _submit(request, form, behalf):
    data = form.cleaned_data
    reporter, on_behalf_by, channel = request.user, None, "self"
    extra = {}
    if behalf:
        on_behalf_by, channel = request.user, data["channel"]
        reporter = validate_phone_user(data.get("reporter_phone"))
        extra = {"reporter_name": data.get("reporter_name", ""),
                 "reporter_phone": data.get("reporter_phone", "")}
    position = None
    if data.get("latitude") is not None and data.get("longitude") is not None:
        position = (data["latitude"], data["longitude"])
    try:
        case = case_submit(
            reporter=reporter, category=data["category"], description=data["description"],
            voice=data.get("voice"), photos=data.get("photos") or (), channel=channel,
            on_behalf_by=on_behalf_by, client_key=client_key_from(request),
            position=position, **data["place"], **extra)
    except Refused as exc:
        form.add_error(None, exc.message)
        return _report_page(request, form, behalf, status=400)
    return json_or_redirect(request, None, case_url(case) + "?sent=1")


@login_required
def similar(request: HttpRequest) -> HttpResponse:
    """The "me too" list for a category and place, as a fragment for report.js."""
    category = Category.objects.filter(code=request.GET.get("category", "")).first()
    where = resolve_where(request.GET.get("where", ""))
    behalf = request.GET.get("behalf") == "1" and may(request.user, "community.file_on_behalf")
    return render(request, "community/_similar.html", {
        "behalf": behalf,
        "similar": selectors.similar_open_cases(user=request.user, category=category,
                                                behalf=behalf, **where)})


# --- One case ---------------------------------------------------------------------


def _visible_case(request: HttpRequest, pk: int) -> Case:
    case = selectors.case_to_read(pk)
    if case is None or not can_see(request.user, case):
        raise Http404
    return case


def _shown_events(request: HttpRequest, case: Case, photos: list, *, staff: bool,
                  full: bool) -> list:
    """The timeline, each event with ``who`` and ``photos_shown`` for this reader.

    A follower reads it as a neighbour: the residents in it (the reporter,
    other followers) are "居民", phone numbers in notes are masked, and photos
    of the inside of another household's flat are left out. ``photos`` are the
    case's photos this reader may see (``selectors.case_photos``).
    """
    events = selectors.timeline(case, staff=staff)
    by_event: dict[int, list] = {}
    for p in photos:
        if p.event_id is not None:
            by_event.setdefault(p.event_id, []).append(p)
    # Only a neighbour's view hides the residents' names: the others need no follower list.
    residents = set() if full else (
        {case.reporter_id} | set(case.followers.values_list("user_id", flat=True)))
    for e in events:
        e.who = e.actor.shown_name if e.actor else _("系统")
        e.shown_note = e.note
        if not full:
            if e.actor_id in residents and e.actor_id != request.user.pk:
                e.who = _("居民")
            e.shown_note = mask_phones_in_text(e.note)
        e.photos_shown = by_event.get(e.pk, [])
    if not staff:
        plain.event_words(events, case)
    return events


PANEL_MOVES = frozenset({"accept", "triage", "dispatch", "reassign", "decline", "merge", "hand_back",
                         "resolve", "supervise", "followup"})


def _detail_context(request: HttpRequest, case: Case, **extra) -> dict:
    roles = roles_for(request.user, case)
    staff = bool(roles & STAFF_ROLES)
    # A county/township admin acts (督办 only) and reads the staff record of the case,
    # its residents' data still masked (``full`` is False for them).
    acts = staff or "overseer" in roles
    full = sees_in_full(request.user, case)
    # The household's own flat is never masked for its verified members.
    home = bool(case.household_id) and case.household_id in scope_of(request.user).household_ids
    moves = set(allowed_moves(request.user, case))
    if dispatch_kind(case) in moves:  # the 转办 form serves 改派 too
        moves.add("dispatch")
    if staff:
        selectors.case_people(case)  # the reporter and who filed for them: staff read them
    photos = [p for p in selectors.case_photos(case) if sees_photo(request.user, case, p)]
    ctx = {
        "case": case,
        "roles": roles,
        "staff": staff,
        "acts": acts,
        "full": full,
        "moves": moves,
        "events": _shown_events(request, case, photos, staff=acts, full=full),
        "description": case.description if full else mask_phones_in_text(case.description),
        "feedback": case.feedback if full else mask_phones_in_text(case.feedback),
        "report_photos": [p for p in photos if p.kind == "report"],
        "can_urge": "urge" in moves and case.is_overdue,
        # Before the deadline, say when 催一催 becomes possible rather than hide it.
        "urge_from": (plain.day(case.due_at) if "urge" in moves and case.due_at
                      and not case.is_overdue else ""),
        "summary": None if staff else plain.summary(case),
        "priorities": Priority.choices,
        "categories": selectors.categories() if "triage" in moves else [],
        "sent": request.GET.get("sent") == "1",
        "where": case.where if full or home else case.masked_where,
        "may_open_dispute": bool(roles & {"grid", "admin"}) and case.status not in (
            Status.CLOSED, Status.DECLINED, Status.MERGED),
        # A case read by ``case_to_read`` knows whether it was ever whistled on.
        "whistle": (whistle_selectors.panel(case, staff=staff)
                    if getattr(case, "jy_whistled", True) else None),
    }
    # The 办理 card holds these moves; 催一催 and the whistle's moves have sections of their own.
    ctx["act_panel"] = acts and bool(moves & PANEL_MOVES or ctx["may_open_dispute"])
    if case.is_unplaced and may(request.user, "community.place_case", case):
        ctx["place_choices"] = selectors.place_choices(case)
    if staff and case.source_platform:

        ctx["platform_request"] = platform_request_for(case)
    if "whistle" in moves:
        ctx["whistle_departments"] = whistle_selectors.whistle_choices(case)
    if "dispatch" in moves or "reassign" in moves:
        ctx.update(selectors.dispatch_choices(case))
    if "merge" in moves:
        ctx["merge_candidates"] = selectors.merge_candidates(case)
    ctx.update(extra)
    return ctx


@login_required
def short(request: HttpRequest, pk: int) -> HttpResponse:
    """``/c/<pk>/``, the link in an SMS: through sign-in to the case page, for whoever
    may see the case; anyone else gets a 404, as on the case page."""
    _visible_case(request, pk)
    return redirect("community:detail", pk=pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    return render(request, "community/detail.html", _detail_context(request, case))


@login_required
@require_POST
def place(request: HttpRequest, pk: int) -> HttpResponse:
    """Place a case that came in 待定位 at one of its community's buildings or places."""
    case = _visible_case(request, pk)
    require(request.user, "community.place_case", case)
    value = request.POST.get("to", "").strip()
    target = {}
    try:
        target_pk = parse_id(value[1:])
    except BadParameter:
        target_pk = None
    if target_pk is not None and value[:1] == "b":
        target["building"] = Building.objects.filter(
            pk=target_pk, community_id=case.community_id).first()
    elif target_pk is not None and value[:1] == "p":
        target["place"] = PublicPlace.objects.filter(
            pk=target_pk, community_id=case.community_id).first()
    if not any(target.values()):
        return _bad(request, case, {"to": [_("请选择本社区的一栋楼或一个公共场所。")]})
    try:
        case_place(actor=request.user, case_id=case.pk, **target)
    except Refused as exc:  # the case page again, with the message
        return _bad(request, case, exc.message)
    messages.success(request, _("已定位，诉求已转到该地点所属网格"))
    return json_or_redirect(request, None, case_url(case))


def _bad(request, case, errors, form=None) -> HttpResponse:
    """400: the case page again, with the message; nothing was written."""
    return json_or_redirect(request, errors, None, template="community/detail.html",
                            context=_detail_context(request, case, failed_form=form))


# --- The moves: one small view each, over make_move ----------------------------------


def make_move(request: HttpRequest, pk: int, kind: str, call, *, form=None, asks=None,
              neighbours: bool = False) -> HttpResponse:
    """What every move on a case shares: find it, read its form, let the service decide.

    ``call(user, case, data)`` calls the service with the form's ``cleaned_data``
    (``request.POST`` for a move without a form). The service alone decides whether
    the person may make the move now (``workflow.check_move`` in its transaction): a
    refusal about the person is a 403, about the case's state or the input a 400 with
    the case page and the message, and nothing is written. Only when the form is bad,
    and so the service is not called, is the workflow asked here (the move ``asks``,
    if the button is not named after it): someone who may not make the move is told
    that, not what the form wanted. A case the person may not see is a 404 (for
    "me too", ``neighbours`` may not see it yet and still say it).
    """
    case = selectors.case_for_page(pk)
    if case is None:
        raise Http404
    sees = can_see(request.user, case)
    if not sees and not (neighbours and "neighbour" in roles_for(request.user, case)):
        raise Http404
    data = request.POST
    try:
        if form is not None:
            bound = form(request.POST, request.FILES, case=case, user=request.user)
            if not bound.is_valid():
                check_move(case, asks(case) if callable(asks) else asks or kind, request.user)
                return _bad(request, case, bound, bound)
            data = bound.cleaned_data
        call(request.user, case, data)
    except Refused as exc:  # the case page again: here, not in portal.errors' middleware
        if exc.forbidden or not sees:
            # Someone who may not see the case is told why, not shown it.
            raise PermissionDenied(exc.message) from None
        return _bad(request, case, exc.message)
    messages.success(request, _done(kind, selectors.case_for_page(case.pk)))
    return json_or_redirect(request, None, case_url(case))


@login_required
@require_POST
def triage(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "triage", form=TriageForm, call=lambda user, case, d: (
        case_triage(actor=user, case_id=case.pk, category=d["category"],
                    priority=d["priority"], note=d["note"])))


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "decline", form=ReasonForm, call=lambda user, case, d: (
        case_decline(actor=user, case_id=case.pk, reason=d["reason"])))


@login_required
@require_POST
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "merge", form=MergeForm, call=lambda user, case, d: (
        case_merge(actor=user, case_id=case.pk, into_id=d["into"].pk, note=d["note"])))


@login_required
@require_POST
def dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """转办, or 改派 once dispatched (``workflow.dispatch_kind``): one button, one form."""
    return make_move(request, pk, "dispatch", form=DispatchForm, asks=dispatch_kind,
                     call=lambda user, case, d: case_dispatch(
                         actor=user, case_id=case.pk, note=d["note"], **d["target"]))


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "accept", call=lambda user, case, d: (
        case_accept(actor=user, case_id=case.pk, note=d.get("note", ""))))


@login_required
@require_POST
def hand_back(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "hand_back", form=ReasonForm, call=lambda user, case, d: (
        case_hand_back(actor=user, case_id=case.pk, reason=d["reason"])))


@login_required
@require_POST
def resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "resolve", form=TextForm, call=lambda user, case, d: (
        case_resolve(actor=user, case_id=case.pk, text=d["text"], photos=d["photos"])))


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter's answer: 确认 (closed) or 未解决 (back to dispatch); the service says which."""
    return make_move(request, pk, "feedback", form=FeedbackForm, asks=EventKind.CONFIRM,
                     call=lambda user, case, d: case_give_feedback(
                         actor=user, case_id=case.pk, fixed=d["fixed"], rating=d["rating"],
                         words=d["words"]))


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "comment", form=TextForm, call=lambda user, case, d: (
        case_comment(actor=user, case_id=case.pk, text=d["text"], photos=d["photos"])))


@login_required
@require_POST
def supervise(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "supervise", form=TextForm, call=lambda user, case, d: (
        case_supervise(actor=user, case_id=case.pk, text=d["text"])))


@login_required
@require_POST
def followup(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "followup", form=TextForm, call=lambda user, case, d: (
        case_record_followup(actor=user, case_id=case.pk, text=d["text"])))


@login_required
@require_POST
def urge(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "urge", call=lambda user, case, d: (
        case_urge(actor=user, case_id=case.pk)))


@login_required
@require_POST
def metoo(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "metoo", neighbours=True, call=lambda user, case, d: (
        case_metoo(actor=user, case_id=case.pk)))


@login_required
@require_POST
def act(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """``community:act`` with a kind, the name templates and tests reverse: every move
    has its own URL under that same path (``urls.py``), so only an unknown kind lands here."""
    raise Http404


def _done(kind: str, case: Case) -> str:
    """What just happened, in plain words, for the banner after a move."""
    if kind == "feedback":
        if case.status == Status.CLOSED:
            return _("谢谢您的评价，这件事已办结")
        if case.fixed:
            return _("谢谢您的评价。您不太满意，社区会重新安排处理")
        return _("已告诉社区：问题还没解决，会重新安排处理")
    if kind == "triage":
        return _("已分类，请在 %(day)s 前办结") % {"day": plain.day(case.due_at)}
    if kind == "dispatch":
        return _("已交给 %(who)s 办理") % {"who": plain.handled_by(case)}
    return {
        "decline": _("已不予受理，原因已告诉居民"),
        "merge": _("已合并到另一件诉求，居民会在那里看到进度"),
        "accept": (_("已接收，请在 %(day)s 前办好") % {"day": plain.day(case.due_at)}
                   if case.due_at else _("已接收")),
        "hand_back": _("已退回，网格员会重新安排"),
        "resolve": _("办理结果已告诉居民，等居民确认"),
        "comment": _("补充说明已发出"),
        "supervise": _("督办意见已发出"),
        "followup": _("回访已记下"),
        "whistle": _("已吹哨，被召集的部门会收到通知"),
        "report_in": _("已报到"),
        "whistle_result": _("办理结果已告诉居民，等居民确认"),
        "urge": _("已催一催，办理的人会收到提醒"),
        "metoo": _("已记下您也遇到这个问题，有进展会告诉您"),
    }.get(kind, _("已办好"))


# --- The workbench ------------------------------------------------------------------


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """The staff's queue on a phone: new, waiting for them, overdue, in progress, done."""
    require(request.user, "community.use_workbench")
    handler_only = selectors.handler_only(request.user)
    default = "waiting" if handler_only else "new"
    tab = request.GET.get("tab", default)
    if tab not in selectors.TABS:
        tab = default
    page = parse_int(request.GET.get("page"), name=_("页码"), min=1, max=MAX_PAGE, default=1)
    filters = {"category": request.GET.get("category", ""),
               "grid": parse_id(request.GET.get("grid"), name=_("网格"), default=None),
               "priority": request.GET.get("priority", ""),
               "ticket": request.GET.get("ticket", "").strip()[:80]}
    per_page = 30
    rows = selectors.cases_for_workbench(request.user, tab=tab, page=page, per_page=per_page,
                                         **filters)
    counts = selectors.workbench_counts(request.user)
    labels = {"new": _("新登记"), "waiting": _("待我办") if handler_only else _("待转办"),
              "overdue": _("已超期"), "doing": _("办理中"), "result": _("待评价"),
              "done": _("已办结")}

    return render(request, "community/workbench.html", {
        "tab": tab, "tabs": [(t, labels[t], counts[t]) for t in selectors.TABS],
        "cases": rows[:per_page], "more": len(rows) > per_page, "page": page,
        "filters": filters, "categories": selectors.categories(),
        "grids": grids_for_choice(request.user) if not handler_only else [],
        "priorities": Priority.choices, "handler_only": handler_only,
        "behalf": may(request.user, "community.file_on_behalf"),
        "next_url": reverse("community:workbench"),
    })
