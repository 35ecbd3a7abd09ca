"""The whistle's moves on the case page; ``community.views.act`` hands them here.

The move was checked before this is called (403 for anyone whose role does
not allow it); this reads the form, refuses ids it does not know (400),
and calls the service.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from buildings.models import Department
from portal.params import BadParameter, parse_id, parse_ids

from ..models import Case
from .services import whistle_blow, whistle_give_result, whistle_report_in

KINDS = ("whistle", "report_in", "whistle_result")


def handle(request: HttpRequest, case: Case, kind: str) -> dict | None:
    """Make the move; a dict of field errors for a 400, or ``None``. ``WorkflowError`` passes up."""
    P = request.POST
    if kind == "whistle":
        try:
            ids = set(parse_ids(P.getlist("departments"), name=_("部门")))
            lead_id = parse_id(P.get("lead"), name=_("牵头部门"))
        except BadParameter as exc:
            return {"departments": [str(exc)]}
        found = {d.pk: d for d in Department.objects.filter(
            pk__in=ids | {lead_id}, community_id=case.community_id)}
        if not ids or set(found) != ids | {lead_id}:
            return {"departments": [_("请从列表里选择本社区的部门。")]}
        whistle_blow(actor=request.user, case_id=case.pk, departments=[found[i] for i in ids],
                     lead=found[lead_id], note=P.get("note", ""))
    elif kind == "report_in":
        whistle_report_in(actor=request.user, case_id=case.pk, note=P.get("note", ""))
    else:
        whistle_give_result(actor=request.user, case_id=case.pk, text=P.get("text", ""))
    return None
