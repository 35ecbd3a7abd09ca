"""Reads of notices: who may see which, lists, the receipts overview, the review queue."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import ReferenceIndex
from wagtail.permissions import policy_registry

from buildings.access import scope_of
from buildings.choices import ResidencyState
from buildings.models import (
    Building,
    CommunityAdmin,
    GridWorker,
    Household,
    Residency,
    grid_paths_up,
)
from portal.cache import FAILURES as CACHE_FAILURES
from portal.models import User
from portal.params import MAX_ID

from .audience import audience_buildings, draft_building_ids
from .choices import AckMethod, Audience, Category, Receipt
from .models import NoticeAck, NoticeApprovalTask, NoticeAttachment, NoticePage, NoticeRead
from .rules import may_moderate
from .search import search_notices

log = logging.getLogger("jiayuan.notices")

_REACH_ATTR = "_jiayuan_notice_reach"


@dataclass(frozen=True)
class Reach:
    """Which notices reach a person: the buildings and grids they belong to or look after."""

    everything: bool = False
    members_only: bool = False
    """May read community-wide notices that are not public (verified or a role)."""
    building_ids: frozenset[int] = field(default_factory=frozenset)
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    user_id: int | None = None


def reach_of(user) -> Reach:
    """Computed once per user object from the cached scope: no queries."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Reach()
    cached = getattr(user, _REACH_ATTR, None)
    if cached is not None:
        return cached
    scope = scope_of(user)
    building_ids = (scope.household_building_ids | scope.headed_building_ids
                    | scope.grid_building_ids | scope.admin_building_ids)
    # A notice for a grid reaches every building below it: the scope already
    # knows the grids at and above each of the person's buildings. A community
    # admin reaches every grid and building of their own community, no other.
    grid_ids: set[int] = set(scope.reach_grid_ids) | set(scope.admin_grid_ids)
    reach = Reach(
        everything=scope.is_superuser,
        members_only=scope.is_verified_resident or scope.is_building_head or scope.is_staff_role,
        building_ids=frozenset(building_ids),
        grid_ids=frozenset(grid_ids),
        user_id=user.pk,
    )
    setattr(user, _REACH_ATTR, reach)
    return reach


def audience_q(reach: Reach) -> Q:
    """The notices a person with this reach may read."""
    if reach.everything:
        return Q()
    q = Q(audience=Audience.COMMUNITY, is_public=True)
    if reach.members_only:
        q |= Q(audience=Audience.COMMUNITY)
    if reach.grid_ids:
        through = NoticePage.audience_grids.through
        q |= Q(audience=Audience.GRIDS) & Q(Exists(through.objects.filter(
            noticepage_id=OuterRef("pk"), grid_id__in=reach.grid_ids)))
    if reach.building_ids:
        through = NoticePage.audience_buildings.through
        q |= Q(audience=Audience.BUILDINGS) & Q(Exists(through.objects.filter(
            noticepage_id=OuterRef("pk"), building_id__in=reach.building_ids)))
    if reach.user_id:
        q |= Q(owner_id=reach.user_id)
    return q


def visible_notices(user) -> QuerySet[NoticePage]:
    """Live notices this person may read."""
    return NoticePage.objects.live().filter(audience_q(reach_of(user)))


def _current_q(now) -> Q:
    return Q(ends_at__isnull=True) | Q(ends_at__gte=now)


def with_marks(qs: QuerySet[NoticePage], user) -> QuerySet[NoticePage]:
    """Annotate ``is_read`` (by this person) and ``is_acked`` (by their household)."""
    scope = scope_of(user)
    if not getattr(user, "is_authenticated", False):
        return qs.annotate(is_read=Value(False), is_acked=Value(False))
    # Written out rather than as Exists(...OuterRef...): the ORM takes about
    # 2 ms to resolve and compile those two subqueries, on every list of notices.
    quote = connection.ops.quote_name
    page = f"{quote(NoticePage._meta.db_table)}.{quote('page_ptr_id')}"
    read = (f"EXISTS (SELECT 1 FROM {quote(NoticeRead._meta.db_table)} r"
            f" WHERE r.notice_id = {page} AND r.user_id = %s)")
    marks = {"is_read": RawSQL(read, (user.pk,), output_field=BooleanField())}
    households = sorted(scope.household_ids)
    if households:
        acked = (f"EXISTS (SELECT 1 FROM {quote(NoticeAck._meta.db_table)} a"
                 f" WHERE a.notice_id = {page}"
                 f" AND a.household_id IN ({', '.join(['%s'] * len(households))}))")
        marks["is_acked"] = RawSQL(acked, households, output_field=BooleanField())
    else:
        marks["is_acked"] = Value(False)
    return qs.annotate(**marks)


LIST_FIELDS = ("id", "title", "category", "pinned", "urgent", "ack_wanted", "starts_at",
               "ends_at", "first_published_at", "audience", "is_public", "live", "depth",
               "path", "url_path", "owner_id")


# Who may read which notice is an OR of subqueries over the audience tables;
# building it costs the ORM several milliseconds on every 首页, 我的 and 通知,
# for an answer that changes only when a notice is saved. So the current
# notices a reach may read (what a list item shows of them, in list order) are
# kept in the cache under a version that every save or deletion of a notice
# replaces (signals.py). A visit then asks the database only for the read and
# acknowledged marks of the items it shows, by primary key; an item whose
# notice is gone is dropped with it.
_VERSION_KEY = "jy:notices:version"
_ROWS_TIMEOUT = 600
_ROW_FIELDS = ("pk", "title", "category", "pinned", "urgent", "ack_wanted",
               "first_published_at", "ends_at")


def notices_changed() -> None:
    """A notice was saved or deleted: forget every cached audience (``current_notices``)."""
    cache.set(_VERSION_KEY, uuid.uuid4().hex, None)


def _rows_key(reach: Reach) -> str:
    version = cache.get(_VERSION_KEY)
    if version is None:
        try:
            cache.add(_VERSION_KEY, uuid.uuid4().hex, None)
        except CACHE_FAILURES:  # the cache is away: a key nothing else has, so no stale rows
            log.warning("notices' version could not be kept; no cached audience", exc_info=True)
            return f"jy:notices:none:{uuid.uuid4().hex}"
        version = cache.get(_VERSION_KEY, "")
    signature = repr((reach.everything, reach.members_only, sorted(reach.building_ids),
                      sorted(reach.grid_ids), reach.user_id))
    return f"jy:notices:{version}:{hashlib.blake2b(signature.encode(), digest_size=12).hexdigest()}"


@dataclass
class NoticeItem:
    """One notice as 首页 and 我的 list it (notices/_item.html)."""

    pk: int
    title: str
    category: str
    pinned: bool
    urgent: bool
    ack_wanted: bool
    first_published_at: object
    ends_at: object
    is_read: bool = False
    is_acked: bool = False
    category_label: str = ""

    @property
    def is_over(self) -> bool:
        return self.ends_at is not None and self.ends_at < timezone.now()


def _cached_ids(user) -> list[int] | None:
    rows = cache.get(_rows_key(reach_of(user)))
    return None if rows is None else [row[0] for row in rows]


def current_notices(user, *, limit: int | None = None,
                    wanting_ack: bool = False) -> list[NoticeItem]:
    """The current notices this person may read, in the 通知 tab's order, with marks.

    ``wanting_ack``: only those that ask for an acknowledgement the person's
    household has not given. One query: without cached rows the full audience
    query (its rows are kept: a notice that has ended never becomes current
    again without a save), with them the marks of the candidates.
    """
    key = _rows_key(reach_of(user))
    rows = cache.get(key)
    now = timezone.now()
    if rows is None:
        pages = list(with_marks(visible_notices(user).only(*LIST_FIELDS), user)
                     .filter(_current_q(now))
                     .order_by("-pinned", "-urgent", "-first_published_at", "-pk"))
        cache.set(key, [tuple(getattr(n, f) for f in _ROW_FIELDS) for n in pages],
                  _ROWS_TIMEOUT)
        items = [NoticeItem(*(getattr(n, f) for f in _ROW_FIELDS),
                            is_read=n.is_read, is_acked=n.is_acked) for n in pages]
    else:
        items = [NoticeItem(*row) for row in rows
                 if row[-1] is None or row[-1] >= now]  # ends_at: still current
        if wanting_ack:
            items = [n for n in items if n.ack_wanted]
        elif limit is not None:
            items = items[:limit]
        if items and getattr(user, "is_authenticated", False):
            marks = {pk: (read, acked) for pk, read, acked in with_marks(
                NoticePage.objects.filter(pk__in=[n.pk for n in items]), user)
                .values_list("pk", "is_read", "is_acked")}
            items = [n for n in items if n.pk in marks]
            for n in items:
                n.is_read, n.is_acked = (bool(m) for m in marks[n.pk])
    if wanting_ack:
        items = [n for n in items if n.ack_wanted and not n.is_acked]
        items.sort(key=lambda n: (not n.urgent, -(n.first_published_at.timestamp()
                                                  if n.first_published_at else 0)))
    if limit is not None:
        items = items[:limit]
    return labelled(items)


def notice_list(user, *, archive: bool = False, query: str = "") -> QuerySet[NoticePage]:
    """The 通知 tab: current ones (pinned and urgent first) or the archive, or a search."""

    now = timezone.now()
    if not (archive or query):
        ids = _cached_ids(user)
        if ids is not None:
            return with_marks(NoticePage.objects.live().filter(pk__in=ids).only(*LIST_FIELDS),
                              user).filter(_current_q(now)).order_by(
                "-pinned", "-urgent", "-first_published_at", "-pk")
    qs = with_marks(visible_notices(user).only(*LIST_FIELDS), user)
    if query:
        return search_notices(qs, query)
    if archive:
        return qs.filter(ends_at__lt=now).order_by("-ends_at", "-pk")
    return qs.filter(_current_q(now)).order_by(
        "-pinned", "-urgent", "-first_published_at", "-pk")


def item_labels() -> dict[str, str]:
    """The words every list item needs, translated once per page rather than once per item."""

    return {"pinned": _("置顶"), "urgent": _("紧急"), "over": _("已结束"), "until": _("至"),
            "unread": _("未读"), "acked": _("已确认"), "to_ack": _("待确认")}


def labelled(notices) -> list[NoticePage]:
    """The notices as a list, each with ``category_label`` (translated once per category)."""
    labels: dict[str, str] = {}
    out = list(notices)
    for n in out:
        if n.category not in labels:
            labels[n.category] = str(Category(n.category).label)
        n.category_label = labels[n.category]
    return out


def home_notices(user, *, limit: int = 5) -> list[NoticeItem]:
    return current_notices(user, limit=limit)


def awaiting_ack(user, *, limit: int = 20) -> list[NoticeItem]:
    """Current notices that ask for acknowledgement and the person's household has not given."""
    if not scope_of(user).household_ids:
        return []
    return current_notices(user, limit=limit, wanting_ack=True)


def notice_for(user, pk: int) -> NoticePage | None:
    """The live notice ``pk`` if this person may read it, else None (a forged id looks missing)."""
    if not 0 < pk <= MAX_ID:  # page_ptr is a relation: no overflow guard in the lookup
        return None
    return (
        with_marks(visible_notices(user), user)
        .filter(pk=pk)
        .prefetch_related("attachments__document")
        .first()
    )


# --- Audience and responsibility --------------------------------------------------


def receipts_overview(notice: NoticePage, building_ids: set[int] | None) -> list[Household]:
    """Every household of the notice's audience in ``building_ids`` (None: all), not-read first.

    One query: each household carries ``receipt`` (a ``Receipt``), and for an
    acknowledgement its method and time.
    """
    buildings = audience_buildings(notice)
    if building_ids is not None:
        buildings = buildings.filter(pk__in=building_ids)
    acks = NoticeAck.objects.filter(notice_id=notice.pk, household_id=OuterRef("pk"))
    read = NoticeRead.objects.filter(
        notice_id=notice.pk,
        user__residencies__household_id=OuterRef("pk"),
        user__residencies__state=ResidencyState.VERIFIED,
    )
    residents = Residency.objects.filter(household_id=OuterRef("pk"),
                                         state=ResidencyState.VERIFIED)
    return list(
        Household.objects.filter(unit__building__in=buildings)
        .select_related("unit__building")
        .annotate(
            ack_method=Subquery(acks.values("method")[:1]),
            ack_at=Subquery(acks.values("at")[:1]),
            has_read=Exists(read),
            has_account=Exists(residents),
        )
        .annotate(receipt=Case(
            When(ack_method__isnull=False, then=Value(Receipt.ACKNOWLEDGED)),
            When(has_read=True, then=Value(Receipt.READ)),
            default=Value(Receipt.NOT_READ),
            output_field=IntegerField(),
        ))
        .order_by("receipt", "unit__building__number", "unit__number", "floor", "number")
    )


def receipt_counts(rows: list[Household]) -> dict[str, int]:
    counts = {"total": len(rows), "acked": 0, "read": 0, "not_read": 0}
    for h in rows:
        key = {Receipt.ACKNOWLEDGED: "acked", Receipt.READ: "read"}.get(h.receipt, "not_read")
        counts[key] += 1
    return counts


def overdue_households(notice: NoticePage, rows: list[Household]) -> list[Household]:
    """Households still not acknowledged after the notice's deadline."""
    deadline = notice.ack_deadline
    if deadline is None or deadline > timezone.now():
        return []
    return [h for h in rows if h.receipt != Receipt.ACKNOWLEDGED]


def ack_method_label(value: str | None) -> str:
    return AckMethod(value).label if value else ""


# --- What a person wrote, and what waits for review -----------------------------


def notices_by(user, *, limit: int = 30) -> QuerySet[NoticePage]:
    """Notices this person wrote, drafts and in review included."""
    return (NoticePage.objects.filter(owner=user)
            .order_by("-latest_revision_created_at", "-pk")[:limit])


def task_states_for_reviewer(user) -> list:
    """Notice approvals in progress that this person may decide."""
    return NoticeApprovalTask.states_for_reviewer(user)


def reviewers_of(page: NoticePage):
    """Who may decide a (draft) notice: grid workers of a grid above every building it is
    for, and the community admins of those buildings (the people ``may_moderate`` lets in)."""

    ids = draft_building_ids(page)
    if not ids:
        return User.objects.none()
    rows = list(Building.objects.filter(pk__in=ids).values_list("grid__path", "community_id"))
    paths = [p for p, _c in rows]
    prefixes = set(grid_paths_up(paths[0]))
    workers = {user_id for user_id, path in GridWorker.objects.filter(grid__path__in=prefixes)
               .values_list("user_id", "grid__path")
               if page.audience != Audience.COMMUNITY and all(p.startswith(path) for p in paths)}
    admins = set(CommunityAdmin.objects.filter(community_id__in={c for _p, c in rows})
                 .values_list("user_id", flat=True))
    return User.objects.filter(pk__in=workers | admins, is_active=True, erased_at__isnull=True)


# --- Files that belong to notices: attachments and body images --------------------


def _may_read_any(user, notice_ids) -> bool:
    """Whether this person may read one of these notices, or could see it as a draft
    (its author, or whoever may review it)."""
    if visible_notices(user).filter(pk__in=notice_ids).exists():
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    drafts = NoticePage.objects.filter(pk__in=notice_ids, live=False)
    return any(page.owner_id == user.pk or may_moderate(user, page) for page in drafts)


def _uploaded_by(user, obj) -> bool:
    return (getattr(user, "is_authenticated", False)
            and getattr(obj, "uploaded_by_user_id", None) == user.pk)


def may_read_document(user, document) -> bool:
    """A Wagtail document attached to notices goes to whoever may read one of them.

    A document attached to no notice is for the community admin and the Wagtail
    editors who manage documents; whoever uploaded a file may always read it back.
    """
    if scope_of(user).is_superuser or _uploaded_by(user, document):
        return True
    notice_ids = list(NoticeAttachment.objects.filter(document_id=document.pk)
                      .values_list("notice_id", flat=True))
    if notice_ids:
        return _may_read_any(user, notice_ids)
    if not getattr(user, "is_authenticated", False):
        return False
    if scope_of(user).is_admin:
        return True

    policy = policy_registry.get_by_type(type(document))
    return policy.user_has_any_permission_for_instance(
        user, ["change", "choose"], document)


def notice_ids_using_image(image) -> tuple[set[int], bool]:
    """(notices whose body shows this image, whether anything else uses it too).

    Read from Wagtail's reference index, which ``signals.py`` brings up to date
    in the transaction that saves a notice.
    """

    notice_type = ContentType.objects.get_for_model(NoticePage).pk
    notice_ids: set[int] = set()
    elsewhere = False
    for type_id, object_id in (ReferenceIndex.get_references_to(image)
                               .values_list("content_type_id", "object_id").distinct()):
        if type_id == notice_type:
            notice_ids.add(int(object_id))
        else:
            elsewhere = True
    return notice_ids, elsewhere


def image_is_public(image) -> bool:
    """Images used in no notice, or also outside notices (the home page), stay public."""
    notice_ids, elsewhere = notice_ids_using_image(image)
    return not notice_ids or elsewhere


def may_see_image(user, image) -> bool:
    """An image (or a rendition of it) used only in notices follows their audience."""
    notice_ids, elsewhere = notice_ids_using_image(image)
    if not notice_ids or elsewhere:
        return True
    if scope_of(user).is_superuser or _uploaded_by(user, image):
        return True
    return _may_read_any(user, notice_ids)
