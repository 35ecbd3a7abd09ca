"""What the portal's tests share."""

import re

from portal.models import SmsMessage


def last_code(phone: str) -> str:
    """The six-digit code of the last text sent to ``phone`` (the SMS outbox in tests)."""
    text = SmsMessage.objects.filter(phone=phone).order_by("-id").first().text
    return re.search(r"(\d{6})", text).group(1)
