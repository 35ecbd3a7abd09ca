"""Writes of the Open311 interface: a case from an external platform, keys, the call log."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from buildings.models import Building, Unit
from community.choices import Channel
from community.models import Case, Category
from community.services import case_submit
from portal.services import audit

from .models import ApiCall, ApiKey, RequestToken


class RequestRejected(Exception):
    """A request the platform must correct; ``status`` is the HTTP code to answer with."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def api_key_issue(*, actor, platform: str, **fields) -> tuple[ApiKey, str]:
    """Create a key for ``platform``; return it and its secret (shown once, never stored).

    Guarantees: one transaction; an audit row.
    """
    with transaction.atomic():
        key = ApiKey(platform=platform, **fields)
        raw = key.issue()
        key.save()
        audit(actor=actor, action="open311.key_issue", target=key, platform=platform)
    return key, raw


def api_call_log(*, key: ApiKey | None, method: str, path: str, query: str, status: int,
                 error: str = "", ip: str | None = None, duration_ms: int = 0,
                 case_id: int | None = None) -> ApiCall:
    """Append one row to the call log (and note when the key was last used)."""
    call = ApiCall.objects.create(
        key=key, platform=key.platform if key else "", method=method[:8], path=path[:200],
        query=query[:500], status=status, error=error[:200], ip=ip, duration_ms=duration_ms,
        case_id=case_id,
    )
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=call.at)
    return call


def open311_case_submit(*, key: ApiKey, category: Category, building: Building,
                        unit: Unit | None, description: str, first_name: str = "",
                        last_name: str = "", phone: str = "", lat=None, lon=None,
                        address: str = "", media_url: str = "", ticket_no: str = "",
                        ) -> tuple[Case, RequestToken]:
    """A case from an external platform, registered through ``case_submit``.

    It comes in on the hotline channel, marked with the platform and its own
    ticket number, and from here follows the same seven steps as any case.
    The same platform ticket number sent twice gives the same case.
    Guarantees (with case_submit's): one transaction; the token row with the case.
    """
    text = description.strip()
    if address:
        text += f"\n地址：{address.strip()}"
    if media_url:
        text += f"\n图片：{media_url.strip()}"
    name = (last_name + first_name).strip() or (first_name + " " + last_name).strip()
    with transaction.atomic():
        case = case_submit(
            reporter=None, category=category, description=text.strip(),
            building=building, unit=unit, channel=Channel.HOTLINE,
            client_key=f"open311:{key.platform}:{ticket_no}" if ticket_no else None,
            position=(lat, lon) if lat is not None and lon is not None else None,
            reporter_name=name, reporter_phone=phone, source_platform=key.platform,
            external_id=ticket_no,
        )
        token = RequestToken.objects.filter(case=case).first() or RequestToken.objects.create(
            key=key, case=case, created_at=timezone.now())
    return case, token
