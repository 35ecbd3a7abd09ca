"""Retire cached permission scopes whenever who-is-where changes.

A residency or an assignment belongs to one person: only that person's scope
is retired. Grids and buildings reach everyone below them: those retire all.
"""

from django.db.models.signals import post_delete, post_save

from .access import person_scope_changed, scopes_changed
from .models import (
    Building,
    BuildingHead,
    Community,
    CommunityAdmin,
    DepartmentHandler,
    Grid,
    GridWorker,
    LiaisonStaff,
    Region,
    RegionAdmin,
    Residency,
)

PERSONAL = (Residency, BuildingHead, GridWorker, DepartmentHandler, LiaisonStaff, CommunityAdmin,
            RegionAdmin)
# A community moved to another township changes what region admins oversee.
STRUCTURE = (Grid, Building, Community, Region)


def _person_changed(sender, instance, **kwargs) -> None:
    if instance.user_id:
        person_scope_changed(instance.user_id)


def _structure_changed(sender, **kwargs) -> None:
    scopes_changed()


def connect() -> None:
    for model in PERSONAL:
        post_save.connect(_person_changed, sender=model, dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_person_changed, sender=model, dispatch_uid=f"scope-{model.__name__}-del")
    for model in STRUCTURE:
        post_save.connect(_structure_changed, sender=model,
                          dispatch_uid=f"scope-{model.__name__}-save")
        post_delete.connect(_structure_changed, sender=model,
                            dispatch_uid=f"scope-{model.__name__}-del")
