"""Hours and points are append-only ledgers; balances always equal the sum of entries."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

from volunteers import services
from volunteers.models import HoursEntry, LedgerError, PointsEntry, ShopItem
from volunteers.services import VolunteerError

from . import factories as vf

pytestmark = pytest.mark.django_db


def _sums(v):
    return (HoursEntry.objects.filter(volunteer=v).aggregate(s=Sum("hours"))["s"] or 0,
            PointsEntry.objects.filter(volunteer=v).aggregate(s=Sum("points"))["s"] or 0)


def test_entries_cannot_be_changed_or_deleted(world):
    v = vf.volunteer(community=world.community)
    services.ledger_correct(actor=world.admin, volunteer_id=v.pk, hours=2, points=30,
                            reason="补录3月活动")
    entry = PointsEntry.objects.get(volunteer=v)
    entry.points = 3000
    with pytest.raises(LedgerError):
        entry.save()
    with pytest.raises(LedgerError):
        entry.delete()
    with pytest.raises(LedgerError):
        PointsEntry.objects.filter(pk=entry.pk).update(points=1)
    with pytest.raises(LedgerError):
        HoursEntry.objects.all().delete()
    assert PointsEntry.objects.get(pk=entry.pk).points == 30


def test_a_correction_is_a_new_entry_with_a_reason(world):
    v = vf.volunteer(community=world.community)
    services.ledger_correct(actor=world.admin, volunteer_id=v.pk, hours=3, points=50,
                            reason="补录")
    with pytest.raises(VolunteerError):
        services.ledger_correct(actor=world.admin, volunteer_id=v.pk, points=-5, reason=" ")
    with pytest.raises(PermissionDenied):
        services.ledger_correct(actor=world.worker_a, volunteer_id=v.pk, points=-5, reason="x")
    services.ledger_correct(actor=world.admin, volunteer_id=v.pk, hours=Decimal("-0.5"),
                            points=-20, reason="重复记录，更正")
    v.refresh_from_db()
    assert (v.hours_total, v.points_balance) == (Decimal("2.5"), 30)
    assert _sums(v) == (Decimal("2.5"), 30)
    assert PointsEntry.objects.filter(volunteer=v).count() == 2
    with pytest.raises(VolunteerError):
        services.ledger_correct(actor=world.admin, volunteer_id=v.pk, points=-31, reason="太多")
    v.refresh_from_db()
    assert v.points_balance == 30 and _sums(v)[1] == 30


def test_balance_follows_every_kind_of_entry(world):
    v = vf.volunteer(community=world.community)
    services.ledger_correct(actor=world.admin, volunteer_id=v.pk, points=100, reason="开户")
    item = ShopItem.objects.create(community=world.community, name="米", cost=60, stock=2,
                                   per_person_limit=2)
    r = services.item_redeem(actor=v.user, item_id=item.pk)
    with pytest.raises(services.InsufficientPoints):
        services.item_redeem(actor=v.user, item_id=item.pk)
    services.redemption_cancel(actor=v.user, redemption_id=r.pk)
    r2 = services.item_redeem(actor=v.user, item_id=item.pk)
    services.redemption_collect(actor=world.worker_a, redemption_id=r2.pk)
    with pytest.raises(PermissionDenied):
        services.redemption_collect(actor=v.user, redemption_id=r2.pk)
    v.refresh_from_db()
    item.refresh_from_db()
    assert v.points_balance == 40 == _sums(v)[1]
    assert item.stock == 1
    kinds = list(PointsEntry.objects.filter(volunteer=v).order_by("id")
                 .values_list("kind", flat=True))
    assert kinds == ["correction", "redeem", "refund", "redeem"]


def test_per_person_limit(world):
    v = vf.volunteer(community=world.community)
    services.ledger_correct(actor=world.admin, volunteer_id=v.pk, points=500, reason="开户")
    item = ShopItem.objects.create(community=world.community, name="油", cost=10, stock=9,
                                   per_person_limit=1)
    services.item_redeem(actor=v.user, item_id=item.pk)
    with pytest.raises(VolunteerError, match="限兑"):
        services.item_redeem(actor=v.user, item_id=item.pk)
