"""Background work of the Open311 interface: posting updates to the platforms."""

from django_tasks import task

from portal.periodic import every

from .models import CallbackDelivery, DeliveryStatus
from .services import callback_deliver, callbacks_send_due


@task()
def deliver_callback(delivery_id: int) -> str:
    """Post one queued update (enqueued after the commit of the case's step), then the
    later steps of the same case that waited behind it, in order."""
    delivery = callback_deliver(delivery_id=delivery_id)
    first = delivery.status if delivery is not None else "not due"
    while delivery is not None and delivery.status == DeliveryStatus.DELIVERED:
        following = (CallbackDelivery.objects.filter(
            case_id=delivery.case_id, url=delivery.url, status=DeliveryStatus.PENDING,
            pk__gt=delivery.pk).order_by("pk").values_list("pk", flat=True).first())
        delivery = callback_deliver(delivery_id=following) if following else None
    return first


@every(seconds=30)
@task()
def retry_callbacks() -> int:
    """Retries that are due, and first tries where tasks run inline (embedded default)."""
    return callbacks_send_due()
