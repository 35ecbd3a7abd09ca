"""Retire cached permission scopes whenever who-is-where changes."""

from django.db.models.signals import post_delete, post_save

from .access import scopes_changed
from .models import (
    Building,
    BuildingHead,
    CommunityAdmin,
    DepartmentHandler,
    Grid,
    GridWorker,
    LiaisonStaff,
    Residency,
)

WATCHED = (Residency, BuildingHead, GridWorker, DepartmentHandler, LiaisonStaff, CommunityAdmin,
           Grid, Building)


def _changed(sender, **kwargs) -> None:
    scopes_changed()


def connect() -> None:
    for model in WATCHED:
        post_save.connect(_changed, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"scope-{model.__name__}-del")
