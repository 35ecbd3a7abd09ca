"""What the volunteer side adds to 首页 and 我的 (registered in wagtail_hooks)."""

from __future__ import annotations

from django.utils import timezone

from buildings.access import may

from .choices import LIVE_STATES, TaskState
from .models import Claim, Task
from .rules import volunteer_of
from .selectors import claims_to_confirm_count, tasks_headed_by


def home_section(request):
    user = request.user
    if not user.is_authenticated:
        return None
    volunteer = volunteer_of(user)
    upcoming = []
    if volunteer is not None and volunteer.is_approved:
        upcoming = list(Claim.objects.filter(volunteer=volunteer, state__in=LIVE_STATES,
                                             task__state=TaskState.OPEN)
                        .select_related("task").order_by("task__starts_at")[:3])
    to_confirm = claims_to_confirm_count(user)
    open_count = Task.objects.filter(state=TaskState.OPEN, starts_at__gt=timezone.now()).count() \
        if volunteer is not None and volunteer.is_approved else 0
    if not (upcoming or to_confirm or open_count):
        return None
    return {"template": "volunteers/sections/home.html", "order": 40,
            "context": {"upcoming": upcoming, "to_confirm": to_confirm,
                        "open_count": open_count}}


def me_section(request):
    user = request.user
    if not user.is_authenticated:
        return None
    # Read in this request (volunteer_of keeps it on this request's user): fresh.
    volunteer = volunteer_of(user)
    return {"template": "volunteers/sections/me.html", "order": 40,
            "context": {"volunteer": volunteer, "to_confirm": bool(claims_to_confirm_count(user)),
                        "can_review": may(user, "volunteers.create_task"),
                        "headed_tasks": tasks_headed_by(user, limit=5)}}
