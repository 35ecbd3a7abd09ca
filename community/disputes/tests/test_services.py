"""community.disputes.services: the five steps in order, the visits, and who may take them."""

from datetime import date

import pytest

from community.choices import DisputeStage
from community.disputes.services import dispute_advance, dispute_mediate, dispute_record_visit
from community.models import DisputeRecord, DisputeVisit
from community.workflow import WorkflowError


def test_five_steps_and_visits(world, dispute):
    assert dispute.stage == DisputeStage.SCREENING
    assert set(dispute.parties.values_list("name", flat=True)) >= {"楼下张姐"}
    dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="find", note="水管老化")
    dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="intervene",
                    note="网格员上门，两户同意调解")
    with pytest.raises(WorkflowError):  # no agreement
        dispute_mediate(actor=world.worker_a, dispute_id=dispute.pk, held_on=date(2026, 11, 1),
                        mediators=[world.handler])
    dispute_mediate(actor=world.worker_a, dispute_id=dispute.pk, held_on=date(2026, 11, 1),
                    mediators=[world.handler, world.other_handler],
                    agreement="楼上负责维修，赔偿 300 元")
    dispute.refresh_from_db()
    assert dispute.stage == DisputeStage.FOLLOW_UP
    assert set(dispute.mediators.values_list("department__name", flat=True)) == {"物业", "供水公司"}
    visits = list(DisputeVisit.objects.filter(dispute=dispute))
    assert [v.due_on for v in visits] == [date(2026, 11, 8), date(2026, 12, 1), date(2027, 1, 30)]
    # A mediator may record a visit.
    for v in visits:
        dispute_record_visit(actor=world.handler, dispute_id=dispute.pk, visit_id=v.pk,
                             note="关系缓和")
    dispute.refresh_from_db()
    assert dispute.stage == DisputeStage.CLOSED
    stages = list(DisputeRecord.objects.filter(dispute=dispute).values_list("to_stage", flat=True))
    assert stages[:4] == ["screening", "found", "intervention", "follow_up"]
    assert stages[-1] == "closed"
    # Archiving is a move of the table, audited like the others.
    close = DisputeRecord.objects.filter(dispute=dispute).last()
    assert close.kind == "close" and close.from_stage == "follow_up"
    from portal.models import AuditEntry

    assert AuditEntry.objects.filter(action="dispute.close", object_id=str(dispute.pk)).count() == 1


def test_steps_in_order_only(world, dispute):
    with pytest.raises(WorkflowError):
        dispute_advance(actor=world.worker_a, dispute_id=dispute.pk, kind="intervene", note="x")
    with pytest.raises(WorkflowError) as exc:
        dispute_advance(actor=world.worker_b, dispute_id=dispute.pk, kind="find", note="x")
    assert exc.value.forbidden
