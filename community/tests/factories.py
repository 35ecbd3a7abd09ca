"""Cases in every state, made through the services (so every event is there)."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from community.choices import Status
from community.models import Category
from community.services import (
    case_accept,
    case_decline,
    case_dispatch,
    case_give_feedback,
    case_merge,
    case_resolve,
    case_submit,
    case_triage,
)


def category(code: str = "repair", **kw) -> Category:
    defaults = {"name": {"repair": "维修", "hygiene": "环境卫生"}.get(code, code),
                "icon": "repair", "days_normal": 5, "days_high": 3, "days_urgent": 1}
    defaults.update(kw)
    return Category.objects.get_or_create(code=code, defaults=defaults)[0]


def jpeg(name: str = "photo.jpg", size=(640, 480), color=(200, 60, 40)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def case_in(world, state: str, *, reporter=None, household=None, **kw):
    """A case of ``world.resident_a`` at their flat, brought to ``state`` by the right people.

    With ``unit``, ``building`` or ``place`` in ``kw`` it is at that public part instead.
    """
    reporter = reporter or world.resident_a
    if household is None and not {"unit", "building", "place"} & set(kw):
        household = world.household_a
    case = case_submit(reporter=reporter, category=category(), household=household,
                       description="楼道灯坏了", **kw)
    if state == Status.SUBMITTED:
        return case
    if state == Status.DECLINED:
        return case_decline(actor=world.worker_a, case_id=case.pk, reason="不属于社区")
    if state == Status.MERGED:
        kept = case_submit(reporter=world.resident_a2, category=category(),
                           household=world.household_a2, description="同一盏灯")
        return case_merge(actor=world.worker_a, case_id=case.pk, into_id=kept.pk)
    case_triage(actor=world.worker_a, case_id=case.pk)
    if state == Status.TRIAGED:
        return _fresh(case)
    case_dispatch(actor=world.worker_a, case_id=case.pk, department=world.department)
    if state == Status.DISPATCHED:
        return _fresh(case)
    case_accept(actor=world.handler, case_id=case.pk)
    if state == Status.IN_PROGRESS:
        return _fresh(case)
    case_resolve(actor=world.handler, case_id=case.pk, text="已修好")
    if state == Status.RESOLVED:
        return _fresh(case)
    case_give_feedback(actor=reporter, case_id=case.pk, fixed=True, rating=5)
    assert state == Status.CLOSED
    return _fresh(case)


def _fresh(case):
    case.refresh_from_db()
    return case
