"""The points supermarket (爱心积分超市): reserve, cancel, hand over."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from buildings.access import require
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from ..choices import (
    EntryKind,
    RedemptionState,
)
from ..models import (
    Redemption,
    ShopItem,
)
from .base import KIND, VolunteerError, _lock_volunteer, _own_volunteer
from .ledger import InsufficientPoints, _append

# --- The points supermarket ---------------------------------------------------


def item_redeem(*, actor: User, item_id: int) -> Redemption:
    """The volunteer spends points on an item, to collect on exchange day.

    Stock and the balance never go below zero, however many redeem at once;
    the per-person limit counts everything not cancelled.
    """
    volunteer = _own_volunteer(actor)
    with transaction.atomic():
        volunteer = _lock_volunteer(volunteer.pk)
        item = ShopItem.objects.select_for_update().filter(pk=item_id, active=True).first()
        if item is None or item.community_id != volunteer.community_id:
            raise VolunteerError(_("没有这件商品。"))
        if item.per_person_limit:
            had = Redemption.objects.filter(item=item, volunteer=volunteer).exclude(
                state=RedemptionState.CANCELLED).count()
            if had >= item.per_person_limit:
                raise VolunteerError(_("这件商品每人限兑%(n)d件。")
                                     % {"n": item.per_person_limit})
        if volunteer.points_balance < item.cost:
            raise InsufficientPoints(_("积分不够。"))
        if not ShopItem.objects.filter(pk=item.pk, stock__gte=1).update(stock=F("stock") - 1):
            raise VolunteerError(_("已经兑完了。"))
        redemption = Redemption.objects.create(item=item, volunteer=volunteer, cost=item.cost)
        _append(volunteer=volunteer, points=-item.cost, kind=EntryKind.REDEEM,
                reason=_("兑换：%(n)s") % {"n": item.name}, actor=actor)
        audit(actor=actor, action="shop.redeem", target=redemption, item=item.pk,
              cost=item.cost)
        notify(recipient=actor, kind=KIND,
               title=later(gettext_lazy("兑换成功：%(n)s"), n=item.name),
               body=item.collect_note or gettext_lazy("请在兑换日到社区领取。"),
               url=reverse("volunteers:shop"))
    return redemption


def redemption_cancel(*, actor: User, redemption_id: int) -> Redemption:
    """Give it back before collecting: stock and points return (a refund entry)."""
    with transaction.atomic():
        redemption = Redemption.objects.select_related("volunteer", "item").get(
            pk=redemption_id)
        if redemption.volunteer.user_id != actor.pk:
            require(actor, "volunteers.hand_over", redemption)
        volunteer = _lock_volunteer(redemption.volunteer_id)
        redemption = Redemption.objects.select_for_update().select_related("item").get(
            pk=redemption_id)
        if redemption.state != RedemptionState.RESERVED:
            raise VolunteerError(_("这笔兑换已经处理过了。"))
        redemption.state = RedemptionState.CANCELLED
        redemption.handled_by = actor
        redemption.save(update_fields=["state", "handled_by"])
        ShopItem.objects.filter(pk=redemption.item_id).update(stock=F("stock") + 1)
        _append(volunteer=volunteer, points=redemption.cost, kind=EntryKind.REFUND,
                reason=_("取消兑换：%(n)s") % {"n": redemption.item.name}, actor=actor)
        audit(actor=actor, action="shop.cancel", target=redemption)
    return redemption


def redemption_collect(*, actor: User, redemption_id: int) -> Redemption:
    """Staff hand the item over on exchange day."""
    require(actor, "volunteers.run_shop")
    with transaction.atomic():
        redemption = Redemption.objects.select_for_update().select_related("volunteer").get(
            pk=redemption_id)
        require(actor, "volunteers.hand_over", redemption)
        if redemption.state != RedemptionState.RESERVED:
            raise VolunteerError(_("这笔兑换已经处理过了。"))
        redemption.state = RedemptionState.COLLECTED
        redemption.collected_at = timezone.now()
        redemption.handled_by = actor
        redemption.save(update_fields=["state", "collected_at", "handled_by"])
        audit(actor=actor, action="shop.collect", target=redemption)
    return redemption
