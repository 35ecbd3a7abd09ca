"""Answers to other apps' signals."""

from __future__ import annotations

from .services import case_record_volunteer_result


def on_task_finished(sender, *, task=None, case_id=None, actor=None, summary="", **kwargs):
    """A volunteer task made from a case is done: its summary is the case's result."""
    if not case_id:
        return

    case_record_volunteer_result(case_id=case_id, actor=actor, summary=summary or "")
