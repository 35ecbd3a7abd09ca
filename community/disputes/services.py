"""Disputes (矛盾纠纷): the community's five steps on top of the case loop.

Screening (全面排查) opens the record; then problem found, early intervention,
joint mediation and periodic follow-up visits (``community.workflow`` has the
moves). Every function here runs in one transaction and writes its audit row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import scope_of
from buildings.models import (
    Building,
    DepartmentHandler,
    Grid,
)
from community.models import (
    Case,
    Dispute,
    DisputeMediator,
    DisputeParty,
    DisputeRecord,
    DisputeVisit,
)
from community.services import KIND, _need, loop_settings
from community.workflow import WorkflowError, check_dispute_move
from portal.models import User
from portal.services import audit, notify
from portal.uploads.base import UploadRejected
from portal.uploads.documents import clean_document


def dispute_open(*, actor: User, title: str, summary: str, grid: Grid | None = None,
                 building: Building | None = None, case: Case | None = None,
                 party_users: Iterable[User] = (), party_names: Iterable[str] = ()) -> Dispute:
    """Record a screening (全面排查) that found a dispute. Only grid workers and admins.

    Guarantees one transaction, the first ``DisputeRecord``, an audit row, and
    the parties told that the community is looking into it.
    """

    title, summary = (title or "").strip(), (summary or "").strip()
    if not title or not summary:
        raise WorkflowError(_("请填写纠纷事项和排查情况。"))
    if case is not None:
        grid, building = case.grid, building or case.building
    elif building is not None:
        grid = grid or building.grid
    if grid is None:
        raise WorkflowError(_("请选择楼栋或网格。"))
    scope = scope_of(actor)
    if not (grid.pk in scope.grid_ids or scope.is_superuser
            or grid.community_id in scope.admin_community_ids):
        raise WorkflowError(_("只有本网格的网格员和社区管理员可以登记纠纷。"),
                            forbidden=True)
    if case is not None and Dispute.objects.filter(case=case).exists():
        raise WorkflowError(_("这件诉求已经登记过纠纷。"))
    with transaction.atomic():
        dispute = Dispute.objects.create(community_id=grid.community_id, grid=grid,
                                         building=building, case=case, title=title[:80],
                                         summary=summary, created_by=actor)
        users = list(party_users)
        if case is not None and case.reporter is not None:
            users.append(case.reporter)
        seen = set()
        for u in users:
            if u.pk not in seen:
                seen.add(u.pk)
                DisputeParty.objects.create(dispute=dispute, user=u, name=u.shown_name)
        for name in party_names:
            if name.strip():
                DisputeParty.objects.create(dispute=dispute, name=name.strip()[:40])
        DisputeRecord.objects.create(dispute=dispute, kind="open", to_stage=dispute.stage,
                                     actor=actor, note=summary)
        audit(actor=actor, action="dispute.open", target=dispute, case=case.pk if case else None)
        url = reverse("community:dispute", args=[dispute.pk])
        for u in users:
            notify(recipient=u, title=gettext_lazy("社区已受理您反映的纠纷"), body=title, url=url,
                   kind=KIND)
    return dispute


def _lock_dispute(dispute_id: int) -> Dispute:
    dispute = (Dispute.objects.select_for_update().filter(pk=dispute_id)
               .prefetch_related("parties", "mediators").first())
    if dispute is None:
        raise WorkflowError(_("没有这件纠纷。"))
    return dispute


def _dispute_step(dispute: Dispute, kind: str, actor: User, note: str,
                  fields: Sequence[str] = ()) -> None:
    move = check_dispute_move(dispute, kind, actor)
    before = dispute.stage
    if move.target is not None:
        dispute.stage = move.target
    dispute.updated_at = timezone.now()
    dispute.save(update_fields=sorted({"stage", "updated_at", *fields}))
    DisputeRecord.objects.create(dispute=dispute, kind=kind, from_stage=before,
                                 to_stage=dispute.stage, actor=actor, note=note)
    audit(actor=actor, action=f"dispute.{kind}", target=dispute)


def dispute_advance(*, actor: User, dispute_id: int, kind: str, note: str) -> Dispute:
    """One of the recorded steps: ``find``, ``intervene``, or a ``note``."""
    if kind not in ("find", "intervene", "note"):
        raise WorkflowError(_("没有这个操作。"))
    note = _need(note, _("请写下情况。"))
    with transaction.atomic():
        dispute = _lock_dispute(dispute_id)
        _dispute_step(dispute, kind, actor, note)
    return dispute


def dispute_mediate(*, actor: User, dispute_id: int, held_on: date | None,
                    mediators: Iterable[User], agreement: str = "",
                    agreement_file: UploadedFile | None = None, note: str = "") -> Dispute:
    """联合调解: the date, the mediators (from several departments), the agreement.

    Schedules the follow-up visits (``LoopSettings.dispute_visit_days`` after
    the mediation) and tells the parties and mediators.
    """

    mediators = list(mediators)
    if held_on is None:
        raise WorkflowError(_("请填写调解日期。"))
    if not mediators:
        raise WorkflowError(_("请选择参加调解的人员。"))
    if not (agreement or "").strip() and not agreement_file:
        raise WorkflowError(_("请填写调解协议或上传协议附件。"))
    document = None
    if agreement_file:
        # Checked by its content before anything is written: a PDF or a photo only.
        try:
            document = clean_document(agreement_file)
        except UploadRejected as exc:
            raise WorkflowError(exc.message) from None
    with transaction.atomic():
        dispute = _lock_dispute(dispute_id)
        for m in mediators:
            dh = DepartmentHandler.objects.filter(user=m).first()
            DisputeMediator.objects.get_or_create(
                dispute=dispute, user=m, defaults={"department_id": dh.department_id if dh else None})
        dispute = _lock_dispute(dispute_id)  # the mediators now count as such
        dispute.mediated_on = held_on
        dispute.agreement = (agreement or "").strip()
        fields = ["mediated_on", "agreement"]
        if document is not None:
            # clean_document names every file it returns (a random name).
            dispute.agreement_file.save(str(document.name), document, save=False)
            fields.append("agreement_file")
        _dispute_step(dispute, "mediate", actor, note.strip() or dispute.agreement[:200], fields)
        for days in loop_settings().visit_days():
            DisputeVisit.objects.create(dispute=dispute, due_on=held_on + timedelta(days=days))
        url = reverse("community:dispute", args=[dispute.pk])
        people = [p.user for p in dispute.parties.all() if p.user_id] + mediators
        _tell_many(people, gettext_lazy("纠纷已调解，将定期回访"), dispute.title, url, skip=actor)
    return dispute


def dispute_record_visit(*, actor: User, dispute_id: int, visit_id: int, note: str) -> Dispute:
    """Record a follow-up visit; after the last one the dispute is archived (化解归档)."""

    note = _need(note, _("请写下回访情况。"))
    with transaction.atomic():
        dispute = _lock_dispute(dispute_id)

        check_dispute_move(dispute, "visit", actor)
        visit = DisputeVisit.objects.filter(pk=visit_id, dispute=dispute,
                                            done_at__isnull=True).first()
        if visit is None:
            raise WorkflowError(_("这次回访已经记录过了。"))
        visit.done_at, visit.done_by, visit.note = timezone.now(), actor, note
        visit.save(update_fields=["done_at", "done_by", "note"])
        _dispute_step(dispute, "visit", actor, note)
        if not dispute.visits.filter(done_at__isnull=True).exists():
            # Through the move table like every step: the record and the audit row.
            _dispute_step(dispute, "close", actor, _("回访全部完成，化解归档"))
    return dispute


def _tell_many(people: Iterable[User | None], title: str | Promise, body: str, url: str, *,
               skip: User | None = None) -> None:
    seen = set()
    for person in people:
        if person is None or person.pk in seen or (skip is not None and person.pk == skip.pk):
            continue
        seen.add(person.pk)
        notify(recipient=person, title=title, body=body, url=url, kind=KIND)
