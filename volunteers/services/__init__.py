"""Every change to volunteers, tasks, claims, ledgers and the points supermarket.

One module per part (``profiles``, ``tasks``, ``claims``, ``attendance``, ``ledger``,
``shop``; ``base`` for what they share); callers keep writing
``from volunteers import services; services.task_claim(...)``.

Each function runs in one transaction, writes its audit row in it and tells
the people concerned (notifications are rows in the same transaction; SMS
leave after commit). Two things are guarded twice, by a lock and by the
database itself:

- a task's places: the task row is locked (``select_for_update``; on SQLite
  the IMMEDIATE transactions serialise writers instead), a place is taken by a
  conditional ``UPDATE … SET filled = filled + 1 WHERE filled < places`` and a
  CHECK constraint refuses ``filled > places``; a unique constraint makes a
  double tap one claim;
- balances and stock: the volunteer row is locked, balances and stock change
  by conditional updates, and CHECK constraints refuse anything below zero.

Locks are always taken volunteer first, then task or item, so two services
never wait on each other in a circle.
"""

from .attendance import (
    _ask_for_confirmation,
    _check_in,
    _check_out,
    _held_claim_of,
    _not_own,
    _quantize_hours,
    claim_approve_service,
    claim_check_in,
    claim_check_in_for,
    claim_check_out,
    claim_confirm,
    points_for,
    points_rule_for,
)
from .base import (
    CHECKIN_EARLY,
    CHECKOUT_LATE,
    KIND,
    OFFER_WINDOW,
    VolunteerError,
    _lock_task,
    _lock_volunteer,
    _own_volunteer,
    _task_url,
)
from .claims import (
    _end_claim,
    _free_place,
    _move_up,
    _overlap_error,
    _overlapping,
    _take_place,
    claim_accept_offer,
    claim_decide,
    claim_decline_offer,
    claim_withdraw,
    claims_remind_upcoming,
    claims_withdraw_upcoming,
    lock_claim,
    offers_expire,
    task_claim,
)
from .ledger import (
    InsufficientPoints,
    _append,
    ledger_correct,
)
from .profiles import (
    _reviewers,
    volunteer_apply,
    volunteer_decide,
    volunteer_update_profile,
)
from .shop import (
    item_redeem,
    redemption_cancel,
    redemption_collect,
)
from .tasks import (
    _common_grid,
    _next_morning,
    task_cancel,
    task_create,
    task_create_door_knock,
    task_create_from_case,
    task_finish,
    task_message,
)

__all__ = [
    "CHECKIN_EARLY",
    "CHECKOUT_LATE",
    "InsufficientPoints",
    "KIND",
    "OFFER_WINDOW",
    "VolunteerError",
    "_append",
    "_ask_for_confirmation",
    "_check_in",
    "_check_out",
    "_common_grid",
    "_end_claim",
    "_free_place",
    "_held_claim_of",
    "_lock_task",
    "_lock_volunteer",
    "_move_up",
    "_next_morning",
    "_not_own",
    "_overlap_error",
    "_overlapping",
    "_own_volunteer",
    "_quantize_hours",
    "_reviewers",
    "_take_place",
    "_task_url",
    "claim_accept_offer",
    "claim_approve_service",
    "claim_check_in",
    "claim_check_in_for",
    "claim_check_out",
    "claim_confirm",
    "claim_decide",
    "claim_decline_offer",
    "claim_withdraw",
    "claims_remind_upcoming",
    "claims_withdraw_upcoming",
    "lock_claim",
    "item_redeem",
    "ledger_correct",
    "offers_expire",
    "points_for",
    "points_rule_for",
    "redemption_cancel",
    "redemption_collect",
    "task_cancel",
    "task_claim",
    "task_create",
    "task_create_door_knock",
    "task_create_from_case",
    "task_finish",
    "task_message",
    "volunteer_apply",
    "volunteer_decide",
    "volunteer_update_profile",
]
