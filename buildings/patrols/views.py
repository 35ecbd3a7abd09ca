"""The round on a phone: the month's list, a household at the door, a visit and its finding.

A household or visit outside the person's reach is a 404 (a forged id learns
nothing); a person with no round at all gets a 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from buildings.access import may, require
from buildings.models import Household
from community.models import Category
from community.selectors import categories
from portal.errors import Refused
from portal.forms_json import client_key_from, json_or_redirect
from portal.params import parse_id, parse_month

from . import selectors
from .forms import DisputeFromVisitForm, VisitForm
from .models import CareFlagKind, Visit
from .services import (
    care_flags_read,
    care_flags_set,
    visit_record,
    visit_to_case,
    visit_to_dispute,
)


def _household(request: HttpRequest, pk: int) -> Household:
    household = Household.objects.select_related("unit__building__grid").filter(pk=pk).first()
    if household is None or not may(request.user, "patrols.visit_household", household):
        raise Http404
    return household


def _visit(request: HttpRequest, pk: int) -> Visit:
    visit = (Visit.objects.select_related("household__unit__building", "visitor", "case",
                                          "dispute").filter(pk=pk).first())
    if visit is None or not may(request.user, "patrols.view_visit", visit):
        raise Http404
    return visit


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    """本月走访: overdue and due flagged households first."""
    require(request.user, "patrols.walk_round")
    items = selectors.round_for(request.user)
    todo = [d for d in items if not d.done]
    return render(request, "patrols/round.html", {
        "todo": todo, "done": [d for d in items if d.done],
        "overdue": sum(1 for d in todo if d.flagged and d.overdue),
        "month": timezone.localdate(),
        "coverage": may(request.user, "patrols.view_coverage"),
    })


def _household_page(request, household, form, status=200):
    flags = care_flags_read(actor=request.user, household=household)
    due = selectors.schedule(Household.objects.filter(pk=household.pk))[0]
    return render(request, "patrols/household.html", {
        "household": household, "flags": flags, "due": due, "form": form,
        "visits": selectors.visits_of(household),
        "kinds": CareFlagKind.objects.filter(active=True),
        "flag_ids": {f.kind_id for f in flags},
        "contact": may(request.user, "buildings.view_household_contact", household),
    }, status=status)


@login_required
def household(request: HttpRequest, pk: int) -> HttpResponse:
    """One household at the door: its care flags (the read is audited), the visit form."""
    home = _household(request, pk)
    return _household_page(request, home, VisitForm())


@login_required
@require_POST
def visit_new(request: HttpRequest, pk: int) -> HttpResponse:
    home = _household(request, pk)
    form = VisitForm(request.POST, request.FILES)
    if not form.is_valid():
        return json_or_redirect(request, form, None)
    data = form.cleaned_data
    # A refusal (PatrolError) is answered by portal.errors.RefusedMiddleware: 403 or 400.
    visit = visit_record(actor=request.user, household=home, met=data["met"],
                         condition=data["condition"], finding=data["finding"],
                         note=data["note"], photos=data["photos"], voice=data["voice"],
                         client_key=client_key_from(request))
    return json_or_redirect(request, None, reverse("patrols:visit", args=[visit.pk]))


@login_required
@require_POST
def flags_set(request: HttpRequest, pk: int) -> HttpResponse:
    home = _household(request, pk)
    ids = [parse_id(v, name=_("标记")) for v in request.POST.getlist("kind")]
    kinds = list(CareFlagKind.objects.filter(pk__in=ids, active=True))
    care_flags_set(actor=request.user, household=home, kinds=kinds)
    return redirect("patrols:household", pk=home.pk)


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit(request, pk)

    return render(request, "patrols/visit.html", {
        "visit": visit, "photos": list(visit.photos.all()),
        "acts": may(request.user, "patrols.visit_household", visit.household),
        "categories": categories(), "dispute_form": DisputeFromVisitForm(),
    })


@login_required
@require_POST
def visit_case(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap: the finding becomes a case on the household's behalf."""

    visit = _visit(request, pk)
    category = Category.objects.filter(code=request.POST.get("category", ""),
                                       active=True).first()
    if category is None:
        return json_or_redirect(request, {"category": [_("请选择类别。")]}, None)
    try:
        visit = visit_to_case(actor=request.user, visit_id=visit.pk, category=category)
    except Refused as exc:
        if exc.forbidden:  # as on the visit's page: one they may not act on is not there
            raise Http404 from None
        raise  # 400, by portal.errors.RefusedMiddleware
    return json_or_redirect(request, None, reverse("community:detail", args=[visit.case_id]))


@login_required
@require_POST
def visit_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap: the finding becomes a dispute (全面排查 → 发现问题)."""
    visit = _visit(request, pk)
    form = DisputeFromVisitForm(request.POST)
    form.is_valid()
    visit = visit_to_dispute(actor=request.user, visit_id=visit.pk,
                             title=form.cleaned_data.get("title", ""))
    return json_or_redirect(request, None, reverse("community:dispute", args=[visit.dispute_id]))


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """走访覆盖: per grid and up the tree."""
    require(request.user, "patrols.view_coverage")
    month = parse_month(request.GET.get("month"), name=_("月份"), default=None)
    day = selectors.month_day(month)
    rows = selectors.coverage(selectors.coverage_grids(request.user), today=day)
    return render(request, "patrols/coverage.html", {
        "rows": rows, "month": day, "this_month": timezone.localdate().replace(day=1),
        "past": day != timezone.localdate()})
