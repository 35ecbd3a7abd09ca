"""What the round adds to 我的 (registered in wagtail_hooks)."""

from __future__ import annotations

from buildings.access import may

from .selectors import round_for


def me_section(request):
    user = request.user
    if not user.is_authenticated:
        return None
    walks = may(user, "patrols.walk_round")
    coverage = may(user, "patrols.view_coverage")
    if not (walks or coverage):
        return None
    todo = overdue = 0
    if walks:
        items = [d for d in round_for(user) if not d.done]
        todo, overdue = len(items), sum(1 for d in items if d.flagged and d.overdue)
    return {"template": "patrols/me_section.html", "order": 25,
            "context": {"walks": walks, "coverage": coverage, "todo": todo,
                        "overdue": overdue}}
