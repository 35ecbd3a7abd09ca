"""Background work of the Open311 interface: posting updates to the platforms, fetching
their photos."""

from django_tasks import task

from portal.periodic import every

from .models import CallbackDelivery, DeliveryStatus
from .services import callback_deliver, callbacks_send_due, platform_media_fetch


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


@task()
def fetch_platform_media(token_id: int) -> str:
    """Fetch the photo a platform's request pointed to (``media_url``) and attach it."""
    return platform_media_fetch(token_id=token_id).media_status


@every(seconds=30)
@task()
def retry_callbacks() -> int:
    """Retries that are due, and first tries where tasks run inline (embedded default)."""
    return callbacks_send_due()
