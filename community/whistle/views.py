"""The whistle's moves on the case page, one small view each over
``community.views.make_move`` (which finds the case and answers a refusal: the
service alone decides who may blow, report in or give the result)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from ..forms import WhistleForm
from ..views import make_move
from .services import whistle_blow, whistle_give_result, whistle_report_in


@login_required
@require_POST
def whistle(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "whistle", form=WhistleForm, call=lambda user, case, d: (
        whistle_blow(actor=user, case_id=case.pk, departments=d["departments"],
                     lead=d["lead"], note=d["note"])))


@login_required
@require_POST
def report_in(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "report_in", call=lambda user, case, d: (
        whistle_report_in(actor=user, case_id=case.pk, note=d.get("note", ""))))


@login_required
@require_POST
def whistle_result(request: HttpRequest, pk: int) -> HttpResponse:
    return make_move(request, pk, "whistle_result", call=lambda user, case, d: (
        whistle_give_result(actor=user, case_id=case.pk, text=d.get("text", ""))))
