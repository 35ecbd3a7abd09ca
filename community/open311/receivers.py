"""A case's public step queues its update for the platform that sent the case."""

from __future__ import annotations

from .services import callbacks_for_event


def on_case_event(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return

    callbacks_for_event(event=instance)
