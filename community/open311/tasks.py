"""Background work of the Open311 interface: posting updates to the platforms."""

from django_tasks import task

from portal.periodic import every

from .services import callback_deliver, callbacks_send_due


@task()
def deliver_callback(delivery_id: int) -> str:
    """Post one queued update (enqueued after the commit of the case's step)."""
    delivery = callback_deliver(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "not due"


@every(seconds=30)
@task()
def retry_callbacks() -> int:
    """Retries that are due, and first tries where tasks run inline (embedded default)."""
    return callbacks_send_due()
