"""Claiming a flat and verifying claims, on a phone."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import Refused

from .access import may, scope_of
from .forms import ClaimForm, RejectForm
from .models import Residency
from .selectors import find_household, pending_claims_for, recent_decisions_for
from .services import (
    residency_claim,
    residency_reject,
    residency_verify,
    residency_withdraw,
)


@login_required
def claim(request: HttpRequest) -> HttpResponse:
    form = ClaimForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            household = find_household(
                building_number=form.cleaned_data["building"].number,
                unit_number=form.cleaned_data["unit"],
                number=form.cleaned_data["number"],
            )
            if household is None:
                form.add_error(
                    "number",
                    _("登记册里没有这一户，请核对楼栋、单元和门牌号，或联系楼栋长。"),
                )
            else:
                try:
                    residency_claim(user=request.user, household=household,
                                    relation=form.cleaned_data["relation"],
                                    name=form.cleaned_data["name"])
                except Refused as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _("已提交，楼栋长或网格员认证后会通知您。"))
                    return redirect("portal:me")
        status = 400
    return render(request, "buildings/claim.html", {"form": form}, status=status)


def _require_verifier(request: HttpRequest) -> None:
    scope = scope_of(request.user)
    if not (scope.is_building_head or scope.is_grid_worker or scope.is_admin):
        raise PermissionDenied(_("只有楼栋长、网格员可以审核住户认证。"))


@login_required
def verify_list(request: HttpRequest) -> HttpResponse:
    _require_verifier(request)
    return render(
        request,
        "buildings/verify_list.html",
        {
            "pending": list(pending_claims_for(request.user)),
            "decided": list(recent_decisions_for(request.user)),
            "reject_form": RejectForm(),
        },
    )


def _get_visible_residency(request: HttpRequest, pk: int) -> Residency:
    residency = (
        Residency.objects.select_related("household__unit__building", "user").filter(pk=pk).first()
    )
    # Someone else's claim looks the same as a claim that does not exist.
    if residency is None or not may(request.user, "buildings.decide_residency", residency):
        raise Http404
    return residency


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    residency = _get_visible_residency(request, pk)
    try:
        residency_verify(actor=request.user, residency_id=residency.pk)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect("buildings:verify_list")
    messages.success(request, _("已认证：%(who)s，%(where)s") % {
        "who": residency.user.shown_name, "where": residency.household.address})
    return redirect("buildings:verify_list")


@login_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    residency = _get_visible_residency(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "buildings/verify_list.html",
            {
                "pending": list(pending_claims_for(request.user)),
                "decided": list(recent_decisions_for(request.user)),
                "reject_form": form,
                "reject_for": residency.pk,
            },
            status=400,
        )
    try:
        residency_reject(actor=request.user, residency_id=residency.pk,
                         reason=form.cleaned_data["reason"])
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已标记为不通过，并通知了申请人。"))
    return redirect("buildings:verify_list")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    residency = Residency.objects.filter(pk=pk, user=request.user).first()
    if residency is None:
        raise Http404
    try:
        residency_withdraw(user=request.user, residency_id=residency.pk)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("portal:me")
