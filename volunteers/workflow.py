"""The claim state machine as a plain table (see choices.ClaimState).

    waitlisted ──(a place frees up)──▶ offered ──(confirm)──▶ held / pending
    pending ──(organiser approves)──▶ held
    held / pending / offered / waitlisted ──(withdraw)──▶ withdrawn
    pending ──(organiser declines)──▶ declined
    offered ──(deadline passes / declines)──▶ lapsed / withdrawn
    any live state ──(task cancelled)──▶ cancelled
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from portal.errors import Refused

from .choices import ClaimState as S

if TYPE_CHECKING:
    from .models import Claim

ALLOWED: dict[str, set[str]] = {
    S.WAITLISTED: {S.OFFERED, S.WITHDRAWN, S.CANCELLED},
    S.OFFERED: {S.HELD, S.PENDING, S.WITHDRAWN, S.LAPSED, S.CANCELLED},
    S.PENDING: {S.HELD, S.DECLINED, S.WITHDRAWN, S.CANCELLED},
    S.HELD: {S.WITHDRAWN, S.CANCELLED},
    S.WITHDRAWN: set(),
    S.DECLINED: set(),
    S.LAPSED: set(),
    S.CANCELLED: set(),
}


class WorkflowError(Refused):
    """A move the claim cannot make; the message is for the person."""


def check_move(claim: Claim, to: str) -> None:
    if to not in ALLOWED.get(claim.state, set()):
        raise WorkflowError(
            _("当前状态（%(state)s）不能进行这个操作。")
            % {"state": claim.get_state_display()}
        )
