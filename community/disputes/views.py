"""Disputes (矛盾纠纷) on a phone: the list, opening one, and each of the five steps."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buildings.access import scope_of
from buildings.models import Building
from community import selectors
from community.forms import validate_phone_user
from community.workflow import can_see, dispute_roles_for
from portal.errors import Refused
from portal.forms_json import json_or_redirect
from portal.models import User
from portal.params import parse_date, parse_id, parse_ids

from .services import dispute_advance, dispute_mediate, dispute_open, dispute_record_visit


def _may_open(user) -> bool:
    s = scope_of(user)
    return s.is_grid_worker or s.is_admin


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    return render(request, "community/disputes.html", {
        "disputes": selectors.disputes_for(request.user), "may_open": _may_open(request.user)})


@login_required
def dispute_new(request: HttpRequest) -> HttpResponse:
    if not _may_open(request.user):
        raise PermissionDenied(_("只有网格员和社区管理员可以登记纠纷。"))
    case = None
    case_id = parse_id(request.GET.get("case") or request.POST.get("case"), name=_("诉求"),
                       default=None)
    if case_id is not None:
        case = selectors.case_for_page(case_id)
        if case is None or not can_see(request.user, case):
            raise Http404
    buildings = Building.objects.filter(grid_id__in=scope_of(request.user).grid_ids) \
        if not scope_of(request.user).is_admin else Building.objects.all()
    ctx = {"case": case, "buildings": list(buildings.order_by("number")), "data": request.POST}
    if request.method != "POST":
        return render(request, "community/dispute_new.html", ctx)
    P = request.POST
    building = None
    building_id = parse_id(P.get("building"), name=_("楼栋"), default=None)
    if building_id is not None:
        building = next((b for b in ctx["buildings"] if b.pk == building_id), None)
    users = [u for u in (validate_phone_user(p) for p in P.get("party_phones", "").split())
             if u is not None]
    try:
        dispute = dispute_open(actor=request.user, title=P.get("title", ""),
                               summary=P.get("summary", ""), building=building, case=case,
                               party_users=users,
                               party_names=P.get("party_names", "").splitlines())
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.message) from None
        return json_or_redirect(request, exc.message, None,
                                template="community/dispute_new.html", context=ctx)
    return json_or_redirect(request, None, reverse("community:dispute", args=[dispute.pk]))


def _visible(request, pk):
    dispute = selectors.dispute_for_page(pk)
    if dispute is None or not dispute_roles_for(request.user, dispute):
        raise Http404
    return dispute


def _context(request, dispute, **extra):
    roles = dispute_roles_for(request.user, dispute)
    staff = bool(roles & {"grid", "mediator", "admin"})
    ctx = {"dispute": dispute, "staff": staff, "roles": roles,
           "records": list(dispute.records.all()), "visits": list(dispute.visits.all()),
           "mediator_choices": selectors.mediator_choices(dispute.community_id) if staff else [],
           "today": timezone.localdate()}
    ctx.update(extra)
    return ctx


@login_required
def dispute_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _visible(request, pk)
    return render(request, "community/dispute.html", _context(request, dispute))


@login_required
@require_POST
def dispute_act(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    dispute = _visible(request, pk)
    # A party reads the dispute; moving it is for the people who work it. Asked
    # before the input is read, so a party is refused whatever they send.
    if not dispute_roles_for(request.user, dispute) & {"grid", "mediator", "admin"}:
        raise PermissionDenied(_("只有网格员、调解员和社区管理员可以处理纠纷。"))
    P = request.POST
    try:
        if kind in ("find", "intervene", "note"):
            dispute_advance(actor=request.user, dispute_id=dispute.pk, kind=kind,
                            note=P.get("note", ""))
        elif kind == "mediate":
            held_on = parse_date(P.get("held_on"), name=_("调解日期"), default=None)
            ids = parse_ids(P.getlist("mediators"), name=_("调解员"))
            allowed = {u.pk for u, _d in selectors.mediator_choices(dispute.community_id)}
            mediators = list(User.objects.filter(pk__in=[i for i in ids if i in allowed]))
            dispute_mediate(actor=request.user, dispute_id=dispute.pk, held_on=held_on,
                            mediators=mediators, agreement=P.get("agreement", ""),
                            agreement_file=request.FILES.get("agreement_file"),
                            note=P.get("note", ""))
        elif kind == "visit":
            dispute_record_visit(actor=request.user, dispute_id=dispute.pk,
                                 visit_id=parse_id(P.get("visit"), name=_("回访"), default=0),
                                 note=P.get("note", ""))
        else:
            raise Http404
    except Refused as exc:
        if exc.forbidden:
            raise PermissionDenied(exc.message) from None
        return json_or_redirect(request, exc.message, None, template="community/dispute.html",
                                context=_context(request, dispute))
    return json_or_redirect(request, None, reverse("community:dispute", args=[dispute.pk]))

