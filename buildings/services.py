"""Every change to who lives where goes through here.

Each function runs in one transaction, writes its audit row in it, and tells
the people concerned (in-app notifications are rows in the same transaction;
SMS leave after commit).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.choices import NotificationKind
from portal.errors import Refused
from portal.i18n import later
from portal.models import User
from portal.services import audit, notify

from .access import forget_scope, require, scope_of, scopes_changed
from .choices import Relation, ResidencyState
from .importer import ImportPlan, build_plan, may_import_into, register_snapshot
from .models import (
    Building,
    BuildingHead,
    Community,
    CommunityAdmin,
    GridWorker,
    Household,
    Region,
    RegionAdmin,
    RegisterImport,
    Residency,
    Unit,
    grid_paths_up,
)
from .regions import RegionKind


class RegisterError(Refused):
    """A change to the register that cannot be made; the message is for the person."""


def _responsible_people(household: Household) -> list[User]:
    building = household.unit.building
    head_ids = BuildingHead.objects.filter(building=building).values_list("user_id", flat=True)
    # The grid worker of the building's grid and of every grid above it.
    worker_ids = GridWorker.objects.filter(
        grid__path__in=grid_paths_up(building.grid.path)).values_list("user_id", flat=True)
    return list(User.objects.filter(pk__in=set(head_ids) | set(worker_ids)))


def residency_claim(*, user: User, household: Household,
                    relation: str = Relation.FAMILY, name: str = "") -> Residency:
    """A person says they live in ``household``; it waits for verification.

    Refuses a second open claim for the same flat. Tells the building head and
    the grid workers of the building's grid.
    """
    if Residency.objects.filter(
        user=user, household=household,
        state__in=[ResidencyState.PENDING, ResidencyState.VERIFIED],
    ).exists():
        raise RegisterError(_("您已经申请过这一户，请等待认证。"))
    try:
        with transaction.atomic():
            residency = Residency.objects.create(
                user=user, household=household, relation=relation,
                claimant_name=" ".join((name or "").split())[:40],
            )
            audit(actor=user, action="residency.claim", target=residency,
                  household=household.pk)
            for person in _responsible_people(household):
                notify(
                    recipient=person,
                    kind=NotificationKind.RESIDENCY,
                    title=gettext_lazy("有新的住户认证申请"),
                    body=later(gettext_lazy("%(who)s 申请认证为 %(where)s 的住户"),
                               who=residency.claimant_name or user.shown_name,
                               where=household.address),
                    url=reverse("buildings:verify_list"),
                )
    except IntegrityError as exc:  # a double tap that raced the check above
        raise RegisterError(
            _("您已经申请过这一户，请等待认证。")
        ) from exc
    return residency


def _decide(*, actor: User, residency_id: int, to: str, reason: str, action: str) -> Residency:
    with transaction.atomic():
        residency = (
            Residency.objects.select_for_update()
            .select_related("household__unit__building", "user")
            .get(pk=residency_id)
        )
        require(actor, "buildings.decide_residency", residency)
        if residency.state != ResidencyState.PENDING:
            raise RegisterError(_("这条申请已经处理过了。"))
        residency.state = to
        residency.reason = reason
        residency.decided_by = actor
        residency.decided_at = timezone.now()
        residency.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit(actor=actor, action=action, target=residency, reason=reason)
        if to == ResidencyState.VERIFIED:
            title = gettext_lazy("您的住户认证已通过")
            body = residency.household.address
        else:
            title = gettext_lazy("您的住户认证未通过")
            body = later(gettext_lazy("原因：%(reason)s"), reason=reason)
        notify(recipient=residency.user, kind=NotificationKind.RESIDENCY, title=title,
               body=body, url=reverse("portal:me"), sms=True)
    forget_scope(residency.user)
    return residency


def residency_verify(*, actor: User, residency_id: int) -> Residency:
    """The building head or grid worker confirms the person lives there."""
    return _decide(actor=actor, residency_id=residency_id, to=ResidencyState.VERIFIED,
                   reason="", action="residency.verify")


def residency_reject(*, actor: User, residency_id: int, reason: str) -> Residency:
    """Refuse a claim. A reason is required: the resident is told it."""
    reason = (reason or "").strip()
    if not reason:
        raise RegisterError(_("请填写不通过的原因。"))
    return _decide(actor=actor, residency_id=residency_id, to=ResidencyState.REJECTED,
                   reason=reason[:200], action="residency.reject")


def residency_move_out(*, actor: User, residency_id: int, reason: str = "") -> Residency:
    """A verified resident leaves the flat; kept as history, no longer counts."""
    with transaction.atomic():
        residency = Residency.objects.select_for_update().select_related(
            "household__unit__building"
        ).get(pk=residency_id)
        if residency.user_id != actor.pk:
            require(actor, "buildings.decide_residency", residency)
        if residency.state != ResidencyState.VERIFIED:
            raise RegisterError(_("只有已认证的住户才能迁出。"))
        residency.state = ResidencyState.MOVED_OUT
        residency.reason = (reason or "").strip()[:200]
        residency.decided_by = actor
        residency.decided_at = timezone.now()
        residency.save(update_fields=["state", "reason", "decided_by", "decided_at"])
        audit(actor=actor, action="residency.move_out", target=residency, reason=residency.reason)
    forget_scope(residency.user)
    return residency


def residency_withdraw(*, user: User, residency_id: int) -> None:
    """A person takes back their own pending claim."""
    with transaction.atomic():
        residency = Residency.objects.select_for_update().get(pk=residency_id)
        require(user, "buildings.withdraw_residency", residency)
        if residency.state != ResidencyState.PENDING:
            raise RegisterError(_("这条申请已经处理过了。"))
        audit(actor=user, action="residency.withdraw", target=residency)
        residency.delete()


# --- Importing the register, and granting the community admin role ------------
# (imports kept local: this section was added after the residency services)

COMMUNITY_ADMIN_GROUP = "社区管理员"


class RegisterChanged(RegisterError):
    """The register changed between the preview and the confirm; ``plan`` is the fresh one."""

    def __init__(self, message: str, plan: ImportPlan) -> None:
        super().__init__(message)
        self.plan = plan


def _require_import_into(actor: User, community: Community) -> None:
    if not may_import_into(actor, community):
        raise PermissionDenied(_("只有社区管理员可以导入登记册。"))


def _plan_counts(plan: ImportPlan) -> dict[str, int]:
    return {
        "new_count": len(plan.new),
        "unchanged_count": len(plan.unchanged),
        "unit_count": len(plan.units),
        "rejected_count": len(plan.rejected),
    }


def register_import_preview(*, actor: User, plan: ImportPlan) -> RegisterImport:
    """Keep a checked plan as a ``RegisterImport`` waiting for confirmation.

    Writes nothing to the register itself; records who uploaded which file.
    """

    community = Community.objects.get(pk=plan.community_id)
    _require_import_into(actor, community)
    with transaction.atomic():
        record = RegisterImport.objects.create(
            community=community,
            uploaded_by=actor,
            file_name=plan.file_name[:200],
            file_sha256=plan.file_sha256,
            plan=plan.to_json(),
            fingerprint=plan.fingerprint,
            **_plan_counts(plan),
        )
        audit(actor=actor, action="register.import_preview", target=record,
              file=plan.file_name, **_plan_counts(plan))
    return record


def register_import_replan(*, actor: User, record: RegisterImport,
                           plan: ImportPlan) -> RegisterImport:
    """Replace a waiting import's plan with a fresh one (after the register changed)."""

    _require_import_into(actor, record.community)
    with transaction.atomic():
        record = RegisterImport.objects.select_for_update().get(pk=record.pk)
        if record.state != RegisterImport.State.PREVIEWED:
            raise RegisterError(_("这次导入已经完成。"))
        record.plan = plan.to_json()
        record.fingerprint = plan.fingerprint
        for name, value in _plan_counts(plan).items():
            setattr(record, name, value)
        record.save(update_fields=["plan", "fingerprint", *_plan_counts(plan)])
        audit(actor=actor, action="register.import_replan", target=record, **_plan_counts(plan))
    return record


def register_import(*, actor: User, plan: ImportPlan,
                    record: RegisterImport | None = None) -> RegisterImport:
    """Apply an import plan: every new unit and household, or nothing at all.

    Guarantees: one transaction; the plan is checked again against the register
    as it is now, and if the outcome differs from the plan that was previewed
    (someone added a flat or removed a building meanwhile), nothing is written
    and ``RegisterChanged`` carries the fresh plan; a plan with rejected rows is
    refused; a waiting ``record`` is applied at most once. Writes in bulk (a
    handful of queries for thousands of rows) and one ``register.import`` audit
    row on the ``RegisterImport`` record, which is created if not given.
    """

    community = Community.objects.get(pk=plan.community_id)
    _require_import_into(actor, community)
    if plan.rejected:
        raise RegisterError(
            _("有 %(n)d 行未通过检查，整份文件没有导入。请改正后重新上传。") % {"n": len(plan.rejected)}
        )
    if not plan.ok:
        raise RegisterError(_("文件中没有需要导入的新住户。"))
    try:
        with transaction.atomic():
            if record is not None:
                record = RegisterImport.objects.select_for_update().get(pk=record.pk)
                if record.state != RegisterImport.State.PREVIEWED:
                    raise RegisterError(
                        _("这次导入已经完成。")
                    )
            fresh = build_plan(plan.source, register_snapshot(community),
                               file_name=plan.file_name, file_sha256=plan.file_sha256)
            if fresh.fingerprint != plan.fingerprint:
                raise RegisterChanged(
                    _("预览之后登记册有了变化，已按现在的登记册重新核对，请查看新的预览后再确认。"),
                    fresh,
                )
            Unit.objects.bulk_create(
                [Unit(building_id=b, number=n) for b, n in plan.units], batch_size=500
            )
            unit_ids = {
                (b, n): pk
                for pk, b, n in Unit.objects.filter(building__community=community).values_list(
                    "pk", "building_id", "number"
                )
            }
            Household.objects.bulk_create(
                [
                    Household(
                        unit_id=unit_ids[(h.building_id, h.unit_number)],
                        floor=h.floor,
                        number=h.number,
                        head_name=h.head_name,
                        phone=h.phone,
                        members=h.members,
                        origin_village=h.origin_village,
                        note=h.note,
                    )
                    for h in plan.new
                ],
                batch_size=1000,
            )
            for building_id, lat, lon in plan.coordinates:
                Building.objects.filter(pk=building_id, community=community).update(
                    latitude=Decimal(lat), longitude=Decimal(lon))
            now = timezone.now()
            if record is None:
                record = RegisterImport(
                    community=community, uploaded_by=actor, file_name=plan.file_name[:200],
                    file_sha256=plan.file_sha256, plan=plan.to_json(),
                    fingerprint=plan.fingerprint, **_plan_counts(plan),
                )
            record.state = RegisterImport.State.APPLIED
            record.applied_at = now
            record.applied_by = actor
            record.save()
            audit(actor=actor, action="register.import", target=record,
                  file=plan.file_name, households=len(plan.new), units=len(plan.units),
                  unchanged=len(plan.unchanged), coordinates=len(plan.coordinates))
    except IntegrityError as exc:  # a flat or unit added by someone else at the same moment
        raise RegisterError(
            _("导入时登记册正被他人修改，没有导入任何数据，请重新上传预览。")
        ) from exc
    return record


def community_admin_grant(*, actor: User, user: User,
                          community: Community) -> CommunityAdmin:
    """Make ``user`` a community admin of ``community``, with access to the Wagtail admin.

    Only a superuser or an admin of that community may. Adds the person to the
    "社区管理员" group (Wagtail admin access and the model permissions Wagtail's
    own screens ask for); audit row; the person is told in the app.
    """

    scope = scope_of(actor)
    if not (scope.is_superuser or community.pk in scope.admin_community_ids):
        raise PermissionDenied(_("您没有权限进行此操作。"))
    with transaction.atomic():
        assignment, created = CommunityAdmin.objects.get_or_create(user=user, community=community)
        group, _created = Group.objects.get_or_create(name=COMMUNITY_ADMIN_GROUP)
        user.groups.add(group)
        if created:
            audit(actor=actor, action="community_admin.grant", target=assignment,
                  user=user.pk, community=community.pk)
            notify(recipient=user, kind=NotificationKind.GENERAL,
                   title=gettext_lazy("您已被设为社区管理员"),
                   body=later(gettext_lazy("%(community)s：可以登录管理后台。"),
                              community=community.name),
                   url="/admin/")
    forget_scope(user)
    return assignment


def community_admin_revoke(*, actor: User, assignment_id: int) -> None:
    """End a community admin assignment; leaves the group when no other remains."""

    with transaction.atomic():
        assignment = CommunityAdmin.objects.select_for_update().select_related("user").get(
            pk=assignment_id
        )
        scope = scope_of(actor)
        if not (scope.is_superuser or assignment.community_id in scope.admin_community_ids):
            raise PermissionDenied(_("您没有权限进行此操作。"))
        user = assignment.user
        audit(actor=actor, action="community_admin.revoke", target=assignment,
              user=user.pk, community=assignment.community_id)
        assignment.delete()
        if not CommunityAdmin.objects.filter(user=user).exists():
            user.groups.remove(*Group.objects.filter(name=COMMUNITY_ADMIN_GROUP))
    forget_scope(user)


# --- The administrative tree above communities (county → township) --------------------


def _require_superuser(actor: User) -> None:
    if not (getattr(actor, "is_active", False) and actor.is_superuser):
        raise PermissionDenied(_("只有系统管理员可以调整行政区域。"))


def region_save(*, actor: User, region: Region,
                communities: Iterable[Community] | None = None) -> Region:
    """Create or change a county or township; for a township, set the communities under it.

    Superusers only (the tree is above every community's admin). A county has no
    parent; a township hangs under a county. One transaction with its audit row
    (what changed, which communities came and went); every cached scope is retired
    after, since region admins' reach follows the tree.
    """
    _require_superuser(actor)
    if region.kind == RegionKind.COUNTY and region.parent_id is not None:
        raise RegisterError(_("县是最上一级，不能有上级。"))
    if region.kind == RegionKind.TOWNSHIP and (
            region.parent is None or region.parent.kind != RegionKind.COUNTY):
        raise RegisterError(_("乡镇的上级必须是一个县。"))
    if region.kind == RegionKind.COUNTY and communities:
        raise RegisterError(_("社区只能划入乡镇，不能直接划入县。"))
    with transaction.atomic():
        created = region.pk is None
        if not created and region.kind == RegionKind.COUNTY and (
                Community.objects.filter(township=region).exists()):
            raise RegisterError(_("这个区域下还有社区，不能改为县。"))
        if not created and region.kind == RegionKind.TOWNSHIP and (
                Region.objects.filter(parent=region).exists()):
            raise RegisterError(_("这个区域下还有乡镇，不能改为乡镇。"))
        region.save()
        added: list[int] = []
        removed: list[int] = []
        if communities is not None and region.kind == RegionKind.TOWNSHIP:
            before = set(Community.objects.filter(township=region).values_list("pk", flat=True))
            after = {c.pk for c in communities}
            added, removed = sorted(after - before), sorted(before - after)
            Community.objects.filter(pk__in=removed).update(township=None)
            Community.objects.filter(pk__in=added).update(township=region)
        audit(actor=actor, action="region.create" if created else "region.edit", target=region,
              name=region.name, kind=region.kind, parent=region.parent_id,
              communities_added=added, communities_removed=removed)
        transaction.on_commit(scopes_changed)
    return region


def region_admin_grant(*, actor: User, user: User, region: Region) -> RegionAdmin:
    """Make ``user`` an admin (县/乡镇管理员) of ``region``: they see its figures and
    督办 its cases from 我的 → 县乡统计. Superusers only; audit row; told in the app."""
    _require_superuser(actor)
    with transaction.atomic():
        assignment, created = RegionAdmin.objects.get_or_create(user=user, region=region)
        if created:
            audit(actor=actor, action="region_admin.grant", target=assignment,
                  user=user.pk, region=region.pk)
            notify(recipient=user, kind=NotificationKind.GENERAL,
                   title=gettext_lazy("您已被设为县乡管理员"),
                   body=later(gettext_lazy("%(region)s：可在“我的”中查看统计和督办。"),
                              region=region.name),
                   url=reverse("county:index"))
    forget_scope(user)
    return assignment


def region_admin_revoke(*, actor: User, assignment_id: int) -> None:
    """End a region admin assignment (superusers only); audit row in the same transaction."""
    _require_superuser(actor)
    with transaction.atomic():
        assignment = RegionAdmin.objects.select_for_update().select_related("user").get(
            pk=assignment_id)
        user = assignment.user
        audit(actor=actor, action="region_admin.revoke", target=assignment,
              user=user.pk, region=assignment.region_id)
        assignment.delete()
    forget_scope(user)
