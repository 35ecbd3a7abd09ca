"""Keep them closed: every route × method × identity × object, against one table.

The table (``TABLE``) is the permission design written down: for every named
route of our own apps, for GET and for POST where the view takes it, which
roles may get in. Roles are either absolute ("grid_worker": anyone who is
one somewhere) or relative to the object in the path ("reporter",
"grid_worker_of_grid", "admin_same_community"), resolved against the world of
``tests/access_world.py``. Every identity of that world is tried on every
row; the outcome class must match:

- let in:  2xx, a redirect that is not to the login page; for a POST also a
  4xx that is not 401/403/404/405 (bad or missing input means the door was
  open: we never try to make an allowed POST succeed);
- refused: 401, 403, 404, 405, or a redirect to the login page. A refused POST
  must also not have written anything (no INSERT/UPDATE/DELETE but the session).

A 5xx fails either way. A named route that has no row fails the test that
walks the URLconf, naming the route. Each request runs in a savepoint that is
rolled back, so the world is the same for every cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_world import ANONYMOUS, build_world

# --- Who is in the world ---------------------------------------------------------------

IDENTITIES = (
    ANONYMOUS, "stranger",
    "res_b1", "res_b1_mate", "res_b1_other", "res_b2", "res_b3",
    "head_b1", "head_b3",
    "worker_g1a", "worker_g1b", "worker_g2",
    "vol_c1", "vol_c2",
    "liaison_c1", "liaison_c2",
    "handler_c1", "handler_c2",
    "admin_c1", "admin_c2",
    "county_admin", "town_admin_t1", "town_admin_t2",
)

# Roles anyone holds whatever the object.
ABSOLUTE = {
    "anyone": set(IDENTITIES),
    "signed_in": set(IDENTITIES) - {ANONYMOUS},
    "verified_resident": {"res_b1", "res_b1_mate", "res_b1_other", "res_b2", "res_b3"},
    "building_head": {"head_b1", "head_b3"},
    "grid_worker": {"worker_g1a", "worker_g1b", "worker_g2"},
    "volunteer": {"vol_c1", "vol_c2", "res_b1_mate"},
    "liaison": {"liaison_c1", "liaison_c2"},
    "handler": {"handler_c1", "handler_c2"},
    "admin": {"admin_c1", "admin_c2"},
    # 县/乡镇管理员: the county's (over both townships) and one per township.
    "region_admin": {"county_admin", "town_admin_t1", "town_admin_t2"},
}
# Signed in with no duty that someone else must hand over first (see portal.privacy).
ABSOLUTE["without_duties"] = ABSOLUTE["signed_in"] - ABSOLUTE["building_head"] - {
    p for role in ("grid_worker", "liaison", "handler", "admin") for p in ABSOLUTE[role]}

# Every object of the matrix is in community C1 (东区), in building B1 of grid G1a.
SAME_COMMUNITY = {
    "resident_same_community": {"res_b1", "res_b1_mate", "res_b1_other", "res_b2"},
    "resident_of_building": {"res_b1", "res_b1_mate", "res_b1_other"},
    "building_head_of_building": {"head_b1"},
    "grid_worker_of_grid": {"worker_g1a"},
    "grid_worker_same_community": {"worker_g1a", "worker_g1b"},
    "volunteer_same_community": {"vol_c1"},
    "liaison_same_community": {"liaison_c1"},
    "handler_same_community": {"handler_c1"},
    "admin_same_community": {"admin_c1"},
    # A county or township admin above C1: the county's and 东门镇's (T1), not 四把镇's.
    "overseer": {"county_admin", "town_admin_t1"},
}

# What the people are to each object (tests/access_world.py made it so).
RELATIVE = {
    # a leak in 101 of building 1, reported by res_b1, dispatched to 东区物业
    "case_flat": {"reporter": {"res_b1"}, "household": {"res_b1_mate"},
                  "handler_assigned": {"handler_c1"}},
    # the stairwell light of building 1, reported by res_b1_other, not yet sorted
    "case_public": {"reporter": {"res_b1_other"}, "household": set(),
                    "handler_assigned": set(),
                    "neighbour": {"res_b1", "res_b1_mate"}},  # those who share that stairwell
    "dispute": {"party": {"res_b1"}, "mediator": set()},
    # res_b1's chat, picked up by liaison_c1
    "conversation": {"resident": {"res_b1"}, "assignee": {"liaison_c1"}},
    "quick_reply": {"author": {"liaison_c1"}},
    "notice_public": {"audience": set(IDENTITIES), "author": {"admin_c1"}},
    "notice_grid": {"audience": {"res_b1", "res_b1_mate", "res_b1_other"},
                    "author": {"worker_g1a"}},
    "notice_building": {"audience": {"res_b1", "res_b1_mate", "res_b1_other"},
                        "author": {"head_b1"}},
    # worker_g1a's task at building 1 for flat 101; vol_c1 holds a place
    "task": {"organiser": {"worker_g1a"}, "claimant": {"vol_c1", "res_b1_mate"}},
    "claim": {"claimant": {"vol_c1"}, "helped_household": {"res_b1", "res_b1_mate"},
              "organiser": {"worker_g1a"}},
    # res_b1_mate's own claim on that task (they live in flat 101 and volunteer)
    "claim_own": {"claimant": {"res_b1_mate"}, "helped_household": {"res_b1"},
                  "organiser": {"worker_g1a"}},
    "redemption": {"redeemer": {"vol_c1"}},
    "residency_pending": {"claimant": {"stranger"}},
    "volunteer_c1": {"self": {"vol_c1"}},
    "volunteer_applicant": {"self": set()},
    # The administrative tree: C1 under 东门镇 (T1), C2 under 四把镇 (T2), both in 罗城县.
    "county": {"region_overseer": {"county_admin"}},
    "township_t1": {"region_overseer": {"county_admin", "town_admin_t1"}},
    "township_t2": {"region_overseer": {"county_admin", "town_admin_t2"}},
    "community_c1": {"region_overseer": {"county_admin", "town_admin_t1"}},
    "community_c2": {"region_overseer": {"county_admin", "town_admin_t2"}},
}
# The photos and files belong to their objects: the same people.
RELATIVE["photo_case_flat"] = RELATIVE["case_flat"]
RELATIVE["photo_case_public"] = RELATIVE["case_public"]
RELATIVE["chat_photo"] = RELATIVE["chat_voice"] = RELATIVE["conversation"]
RELATIVE["document_building"] = RELATIVE["notice_building"]


def members(role: str, label: str | None) -> set[str]:
    if role in ABSOLUTE:
        return ABSOLUTE[role]
    if label is not None and role in SAME_COMMUNITY:
        return SAME_COMMUNITY[role]
    if label is not None and role in RELATIVE.get(label, {}):
        return RELATIVE[label][role]
    raise KeyError(f"role {role!r} means nothing for {label or 'a route without an object'}")


# --- The table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    roles: tuple[str, ...]

    def who(self, label: str | None) -> set[str]:
        out: set[str] = set()
        for role in self.roles:
            out |= members(role, label)
        return out


def ALLOWED_FOR(*roles: str) -> Allowed:  # noqa: N802 - reads as a table entry
    return Allowed(roles)


NOBODY = ALLOWED_FOR()
ANYONE = ALLOWED_FOR("anyone")
SIGNED_IN = ALLOWED_FOR("signed_in")
STAFF = ("grid_worker", "liaison", "handler", "admin")


def pk(obj) -> dict:
    return {"pk": obj.pk}


@dataclass(frozen=True)
class Row:
    """One route (or one ``kind`` of it): which objects fill the path, who may GET/POST."""

    GET: Allowed | None = None
    POST: Allowed | None = None
    on: tuple[str, ...] = ()
    kw: object = pk  # object -> URL kwargs
    note: str = ""


# Who may see a case: the design (DESIGN.md "Private") and community/workflow.py.
SEES_CASE_FLAT = ("reporter", "household", "grid_worker_of_grid", "liaison_same_community",
                  "handler_assigned", "admin_same_community")
SEES_CASE_PUBLIC = ("reporter", "grid_worker_of_grid", "liaison_same_community",
                    "admin_same_community")
SEES_NOTICE = ("audience", "author", "building_head_of_building", "grid_worker_of_grid",
               "admin_same_community")


def act(kind: str, post: Allowed, *, on=("case_flat",)) -> Row:
    """A move on a case. Staff moves are tried on the flat's case (dispatched, so it has a
    handler); the resident's moves on both cases, whose reporters differ."""
    return Row(POST=post, on=on, kw=lambda o, k=kind: {"pk": o.pk, "kind": k})


def move(post: Allowed, *, on=("case_flat",)) -> Row:
    """A move on a case at its own route: tried as ``act`` tries it."""
    return Row(POST=post, on=on)


BOTH_CASES = ("case_flat", "case_public")


def dispute_act(kind: str) -> Row:
    return Row(POST=ALLOWED_FOR("grid_worker_of_grid", "admin_same_community"),
               on=("dispute",), kw=lambda o, k=kind: {"pk": o.pk, "kind": k})


def claim_kw(o) -> dict:
    return {"claim_pk": o.pk}


def page_url(o) -> str:
    """A page's URL in the Wagtail tree (below the site's root page)."""
    return "/" + o.url_path.split("/", 2)[2]


def media_kw(field: str):
    return lambda o: {"path": getattr(o, field).name}


TABLE: dict[str, Row | list[Row]] = {
    # --- the shell ------------------------------------------------------------------------
    "home": Row(GET=ANYONE),
    "manifest": Row(GET=ANYONE),
    "service_worker": Row(GET=ANYONE),
    "healthz": Row(GET=ANYONE),
    "javascript-catalog": Row(GET=ANYONE),
    "account_login": Row(GET=ANYONE),
    "portal:me": Row(GET=SIGNED_IN),
    "portal:notifications": Row(GET=SIGNED_IN),
    "portal:set_display_name": Row(POST=SIGNED_IN),
    "portal:set_large_type": Row(POST=ANYONE),
    "portal:set_language": Row(POST=ANYONE),
    "portal:offline": Row(GET=ANYONE),
    "portal:privacy": Row(GET=SIGNED_IN),
    "portal:privacy_export_json": Row(GET=SIGNED_IN),
    "portal:privacy_export_zip": Row(GET=SIGNED_IN),
    # Staff and building heads hand their duties over before their account can go.
    "portal:privacy_delete": Row(GET=SIGNED_IN, POST=ALLOWED_FOR("without_duties")),
    "portal:privacy_deleted": Row(GET=ANYONE),
    # --- the register ---------------------------------------------------------------------
    "buildings:claim": Row(GET=SIGNED_IN, POST=SIGNED_IN),
    "buildings:withdraw": Row(POST=ALLOWED_FOR("claimant"), on=("residency_pending",)),
    "buildings:verify_list": Row(GET=ALLOWED_FOR("building_head", "grid_worker", "admin")),
    "buildings:verify": Row(POST=ALLOWED_FOR("building_head_of_building", "grid_worker_of_grid",
                                             "admin_same_community"), on=("residency_pending",)),
    "buildings:reject": Row(POST=ALLOWED_FOR("building_head_of_building", "grid_worker_of_grid",
                                             "admin_same_community"), on=("residency_pending",)),
    "buildings:poster_index": Row(GET=ALLOWED_FOR("building_head", "grid_worker", "admin")),
    "buildings:poster_building": Row(
        GET=ALLOWED_FOR("building_head_of_building", "grid_worker_of_grid",
                        "admin_same_community"), on=("building_b1",)),
    "buildings:poster_unit": Row(
        GET=ALLOWED_FOR("building_head_of_building", "grid_worker_of_grid",
                        "admin_same_community"), on=("unit_u1",)),
    # --- the closed loop ------------------------------------------------------------------
    "community:index": Row(GET=SIGNED_IN),
    "community:new": Row(GET=SIGNED_IN, POST=SIGNED_IN),
    # The "me too" list of an open case at the same place: never another household's flat.
    # The endpoint is open to anyone signed in; what it may show is checked by
    # test_similar_never_shows_another_flat.
    "community:similar": Row(GET=SIGNED_IN),
    "community:workbench": Row(GET=ALLOWED_FOR(*STAFF)),
    # A county or township admin above the case's community reads it (masked); one of
    # another township is refused (the forged case id: 四把镇's admin on 东区's case).
    "community:detail": [Row(GET=ALLOWED_FOR(*SEES_CASE_FLAT, "overseer"), on=("case_flat",)),
                         Row(GET=ALLOWED_FOR(*SEES_CASE_PUBLIC, "overseer"),
                             on=("case_public",))],
    # One route per move (community.views.make_move); ``community:act`` is their shared
    # path with the move as an argument, and only a move that does not exist reaches it.
    "community:act": act("nonsense", NOBODY),
    "community:metoo": [
        # the flat's case: only its household may say "me too"
        move(ALLOWED_FOR("household"), on=("case_flat",)),
        # a public place: the community's other verified residents
        move(ALLOWED_FOR("neighbour"), on=("case_public",)),
    ],
    "community:triage": move(ALLOWED_FOR("grid_worker_of_grid", "liaison_same_community",
                                         "admin_same_community")),
    "community:decline": move(ALLOWED_FOR("grid_worker_of_grid", "liaison_same_community",
                                          "admin_same_community")),
    "community:merge": move(ALLOWED_FOR("grid_worker_of_grid", "liaison_same_community",
                                        "admin_same_community")),
    "community:dispatch": move(ALLOWED_FOR("grid_worker_of_grid", "admin_same_community")),
    "community:accept": move(ALLOWED_FOR("handler_assigned")),
    "community:hand_back": move(ALLOWED_FOR("handler_assigned")),
    "community:resolve": move(ALLOWED_FOR("handler_assigned")),
    "community:feedback": move(ALLOWED_FOR("reporter"), on=BOTH_CASES),
    "community:comment": move(ALLOWED_FOR("reporter", "grid_worker_of_grid",
                                          "liaison_same_community", "handler_assigned",
                                          "admin_same_community"), on=BOTH_CASES),
    "community:urge": move(ALLOWED_FOR("reporter"), on=BOTH_CASES),
    "community:supervise": move(ALLOWED_FOR("grid_worker_of_grid", "admin_same_community",
                                            "overseer")),
    "community:followup": move(ALLOWED_FOR("grid_worker_of_grid", "liaison_same_community",
                                           "admin_same_community")),
    # 吹哨报到: no whistle is blown in this world, so nobody is summoned or leads
    # (community/whistle/tests/test_services.py and test_views.py have the summoned departments).
    "community:whistle": move(ALLOWED_FOR("grid_worker_of_grid", "admin_same_community")),
    "community:report_in": move(NOBODY),
    "community:whistle_result": move(NOBODY),
    # Placing a 待定位 case: staff of its community who see it (here the case is placed
    # already, so they get "input": a 400 saying so; everyone else is refused).
    "community:place": Row(POST=ALLOWED_FOR("grid_worker_of_grid", "liaison_same_community",
                                            "admin_same_community"),
                           on=("case_flat",)),
    "community:disputes": Row(GET=SIGNED_IN),
    "community:dispute_new": Row(GET=ALLOWED_FOR("grid_worker", "admin"),
                                 POST=ALLOWED_FOR("grid_worker", "admin")),
    "community:dispute": Row(GET=ALLOWED_FOR("party", "grid_worker_of_grid",
                                             "admin_same_community"), on=("dispute",)),
    "community:dispute_act": [dispute_act(k) for k in
                              ("find", "intervene", "mediate", "visit", "note")],
    # --- the county above the communities (community/county/) ---------------------------
    # A county or township admin's own figures: the index sends them to their highest
    # region; anyone else signed in is refused (403).
    "county:index": Row(GET=ALLOWED_FOR("region_admin")),
    # A region's figures and its 督办 list: the admins of that region and of the county
    # above it. The forged ids: a township admin on the other township or on the county.
    "county:region": [
        Row(GET=ALLOWED_FOR("region_overseer"), on=("county", "township_t1", "township_t2")),
        Row(GET=ALLOWED_FOR("region_overseer"), on=("township_t1",),
            kw=lambda o: reverse("county:region", args=[o.pk]) + "?export=csv"),
        Row(GET=ALLOWED_FOR("region_overseer"), on=("county",),
            kw=lambda o: reverse("county:region", args=[o.pk]) + "?export=xlsx"),
    ],
    "county:supervision": Row(GET=ALLOWED_FOR("region_overseer"),
                              on=("county", "township_t1", "township_t2")),
    # The cases behind a community's figure: a community id from another township is refused.
    "county:community_cases": [
        Row(GET=ALLOWED_FOR("region_overseer"), on=("community_c1", "community_c2")),
        Row(GET=ALLOWED_FOR("region_overseer"), on=("community_c1",),
            kw=lambda o: reverse("county:community_cases", args=[o.pk]) + "?show=reopened"),
    ],
    # The grids behind a community's coverage figure (figures only): the same overseers.
    "county:community_coverage": Row(GET=ALLOWED_FOR("region_overseer"),
                                     on=("community_c1", "community_c2")),
    # --- the liaison room -----------------------------------------------------------------
    "liaison:chat": Row(GET=SIGNED_IN),
    "liaison:history": Row(GET=SIGNED_IN),
    "liaison:transcript": Row(GET=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
                              on=("conversation",)),
    "liaison:messages": Row(GET=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
                            on=("conversation",)),
    "liaison:upload": Row(POST=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
                          on=("conversation",)),
    "liaison:rate": Row(POST=ALLOWED_FOR("resident"), on=("conversation",)),
    "liaison:close": Row(POST=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
                         on=("conversation",)),
    "liaison:photo": Row(GET=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
                         on=("chat_photo",), kw=lambda o: {"pk": o.pk, "size": "m"}),
    "liaison:voice": Row(GET=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
                         on=("chat_voice",)),
    "liaison:console": Row(GET=ALLOWED_FOR("liaison", "admin")),
    "liaison:console_lists": Row(GET=ALLOWED_FOR("liaison", "admin")),
    "liaison:duty": Row(POST=ALLOWED_FOR("liaison")),
    "liaison:quick_reply_add": Row(POST=ALLOWED_FOR("liaison")),
    "liaison:quick_reply_delete": Row(POST=ALLOWED_FOR("liaison_same_community"),
                                      on=("quick_reply",)),
    "liaison:console_conversation": Row(GET=ALLOWED_FOR("assignee", "admin_same_community"),
                                        on=("conversation",)),
    "liaison:pick_up": Row(POST=ALLOWED_FOR("liaison_same_community"), on=("conversation",)),
    "liaison:hand_over": Row(POST=ALLOWED_FOR("assignee", "admin_same_community"),
                             on=("conversation",)),
    "liaison:to_case": Row(POST=ALLOWED_FOR("assignee", "admin_same_community"),
                           on=("conversation",)),
    # --- Open311: an api_key, never a session --------------------------------------------
    "open311:discovery": Row(GET=ANYONE, kw=lambda o: {"fmt": "json"}),
    "open311:services": Row(GET=ANYONE, kw=lambda o: {"fmt": "json"}),
    "open311:service": Row(GET=ANYONE, on=("case_flat",),
                           kw=lambda o: {"fmt": "json", "code": o.category.code}),
    # GeoReport v2: reading requests needs no key (public fields, never a case inside a
    # flat); posting one does.
    "open311:requests": Row(GET=ANYONE, POST=NOBODY, kw=lambda o: {"fmt": "json"}),
    # The updates (the FixMyStreet extension) are a platform's, with its key.
    "open311:updates": Row(GET=NOBODY, POST=NOBODY, kw=lambda o: {"fmt": "json"}),
    "open311:request": Row(GET=NOBODY, on=("case_flat",),
                           kw=lambda o: {"fmt": "json", "rid": str(o.pk)}),
    "open311:token": Row(GET=NOBODY, kw=lambda o: {"fmt": "json", "token": "t-1"}),
    "openapi": Row(GET=ANYONE),
    # --- notices --------------------------------------------------------------------------
    "notices:index": Row(GET=ANYONE),
    "notices:feed": Row(GET=ANYONE),
    "notices:post": Row(GET=ALLOWED_FOR("building_head", "admin"),
                        POST=ALLOWED_FOR("building_head", "admin")),
    "notices:mine": Row(GET=ALLOWED_FOR("building_head", "admin")),
    "notices:review_list": Row(GET=ALLOWED_FOR("grid_worker", "admin")),
    "notices:review": Row(POST=NOBODY, kw=lambda o: {"state_id": 999999},
                          note="no notice waits for review in this world"),
    "notices:detail": [
        Row(GET=ANYONE, on=("notice_public",)),
        Row(GET=ALLOWED_FOR(*SEES_NOTICE), on=("notice_grid", "notice_building")),
    ],
    # Its readers may press 收到 (only a household's counts: the others are told so).
    "notices:ack": Row(POST=ALLOWED_FOR(*SEES_NOTICE), on=("notice_building",)),
    "notices:poster": Row(GET=ALLOWED_FOR(*SEES_NOTICE), on=("notice_building",)),
    "notices:edit": Row(GET=ALLOWED_FOR("author", "admin_same_community"),
                        POST=ALLOWED_FOR("author", "admin_same_community"),
                        on=("notice_building",)),
    "notices:receipts": Row(GET=ALLOWED_FOR("author", "building_head_of_building",
                                            "grid_worker_of_grid", "admin_same_community"),
                            on=("notice_building",)),
    "notices:told": Row(POST=ALLOWED_FOR("author", "building_head_of_building",
                                         "grid_worker_of_grid", "admin_same_community"),
                        on=("notice_building",)),
    "notices:remind": Row(POST=ALLOWED_FOR("author", "building_head_of_building",
                                           "grid_worker_of_grid", "admin_same_community"),
                          on=("notice_building",)),
    "notices:door_knock": Row(POST=ALLOWED_FOR("author", "building_head_of_building",
                                               "grid_worker_of_grid", "admin_same_community"),
                              on=("notice_building",)),
    # A notice's place in the Wagtail tree only redirects to /notices/<pk>/, the
    # checked view above (notices/models.py NoticePage.serve): open to anyone.
    "wagtail_serve": Row(GET=ANYONE, on=("notice_public", "notice_grid", "notice_building"),
                         kw=page_url),
    # A notice's attachment: whoever may read the notice.
    "wagtaildocs_serve": Row(GET=ALLOWED_FOR(*SEES_NOTICE), on=("document_building",),
                             kw=lambda o: [o.pk, o.filename]),
    "wagtaildocs_authenticate_with_password": Row(
        GET=NOBODY, on=("document_building",),
        kw=lambda o: [999999],
        note="no password restriction exists: a 404 for everyone"),
    # --- uploads ----------------------------------------------------------------------------
    "media": [
        Row(GET=ALLOWED_FOR(*SEES_CASE_FLAT), on=("photo_case_flat",),
            kw=media_kw("image")),
        # A county or township admin above: a public place's photos as the case page shows
        # them, never the inside of a flat (workflow.sees_photo).
        Row(GET=ALLOWED_FOR(*SEES_CASE_PUBLIC, "overseer"), on=("photo_case_public",),
            kw=media_kw("image")),
        Row(GET=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
            on=("chat_photo",), kw=media_kw("image")),
        Row(GET=ALLOWED_FOR("resident", "assignee", "admin_same_community"),
            on=("chat_voice",), kw=media_kw("voice")),
        # Wagtail images are public by design (portal/media.py): notices' pictures.
        Row(GET=ANYONE, on=("notice_image",), kw=media_kw("file")),
    ],
    # --- volunteers ---------------------------------------------------------------------------
    "volunteers:index": Row(GET=SIGNED_IN),
    "volunteers:apply": Row(GET=SIGNED_IN, POST=SIGNED_IN),
    "volunteers:task_new": Row(GET=ALLOWED_FOR("grid_worker", "admin"),
                               POST=ALLOWED_FOR("grid_worker", "admin")),
    "volunteers:task": Row(GET=SIGNED_IN, on=("task",)),
    "volunteers:claim": Row(POST=ALLOWED_FOR("volunteer"), on=("task",)),
    # Checking in and out act on the person's own claim only (the service finds it):
    # anyone signed in may try; without a place they are told so (4xx, nothing written).
    "volunteers:check_in": Row(POST=SIGNED_IN, on=("task",)),
    "volunteers:check_out": Row(POST=SIGNED_IN, on=("task",)),
    "volunteers:qr_check_in": Row(GET=SIGNED_IN, POST=SIGNED_IN, on=("task",),
                                  kw=lambda o: {"pk": o.pk, "token": o.qr_token}),
    "volunteers:qr_image": Row(GET=ALLOWED_FOR("organiser", "grid_worker_of_grid",
                                               "admin_same_community"), on=("task",)),
    "volunteers:message": Row(POST=ALLOWED_FOR("organiser", "grid_worker_of_grid", "admin_same_community"),
                              on=("task",)),
    "volunteers:finish": Row(POST=ALLOWED_FOR("organiser", "grid_worker_of_grid", "admin_same_community"),
                             on=("task",)),
    "volunteers:cancel": Row(POST=ALLOWED_FOR("organiser", "grid_worker_of_grid", "admin_same_community"),
                             on=("task",)),
    "volunteers:withdraw": Row(POST=ALLOWED_FOR("claimant"), on=("claim",), kw=claim_kw),
    "volunteers:accept_offer": Row(POST=ALLOWED_FOR("claimant"), on=("claim",), kw=claim_kw),
    "volunteers:decline_offer": Row(POST=ALLOWED_FOR("claimant"), on=("claim",), kw=claim_kw),
    "volunteers:decide_claim": Row(POST=ALLOWED_FOR("organiser", "grid_worker_of_grid",
                                                    "admin_same_community"), on=("claim",), kw=claim_kw),
    "volunteers:check_in_for": Row(POST=ALLOWED_FOR("organiser", "grid_worker_of_grid", "admin_same_community",
                                                    "building_head_of_building"),
                                   on=("claim",), kw=claim_kw),
    "volunteers:approve_service": Row(POST=ALLOWED_FOR("organiser", "grid_worker_of_grid",
                                                       "admin_same_community"), on=("claim",), kw=claim_kw),
    # Service is confirmed by the people it served, never by the volunteer.
    "volunteers:confirm": Row(POST=ALLOWED_FOR("helped_household", "building_head_of_building"),
                              on=("claim", "claim_own"), kw=claim_kw),
    "volunteers:to_confirm": Row(GET=SIGNED_IN),
    "volunteers:review": Row(GET=ALLOWED_FOR("grid_worker", "admin")),
    "volunteers:decide_volunteer": Row(POST=ALLOWED_FOR("grid_worker_of_grid",
                                                        "admin_same_community"),
                                       on=("volunteer_applicant",)),
    "volunteers:correct": Row(POST=ALLOWED_FOR("admin_same_community"), on=("volunteer_c1",)),
    "volunteers:record": Row(GET=ALLOWED_FOR("volunteer")),
    "volunteers:certificate": Row(GET=ALLOWED_FOR("volunteer")),
    "volunteers:leaderboard": Row(GET=SIGNED_IN),
    "volunteers:export": Row(GET=ALLOWED_FOR("grid_worker", "admin")),
    "volunteers:shop": Row(GET=SIGNED_IN),
    "volunteers:redeem": Row(POST=ALLOWED_FOR("volunteer"), on=("shop_item",),
                             kw=lambda o: {"item_pk": o.pk}),
    "volunteers:orders": Row(GET=ALLOWED_FOR("grid_worker", "liaison", "admin")),
    "volunteers:redemption_cancel": Row(POST=ALLOWED_FOR("redeemer", "grid_worker_same_community",
                                                         "liaison_same_community",
                                                         "admin_same_community"),
                                        on=("redemption",)),
    "volunteers:collected": Row(POST=ALLOWED_FOR("grid_worker_same_community",
                                                 "liaison_same_community",
                                                 "admin_same_community"),
                                on=("redemption",)),
}

# Our own Wagtail admin screens (ModelViewSets and snippets), their index and some edit
# screens. The community admin's group (buildings/migrations/0004_staff_groups.py) opens
# the register, the SMS outbox, the audit trail and the API logs; everything else
# (categories, duty hours, volunteers, the shop, API keys) is given by a superuser
# granting model permissions, which none of the world's people have.
ADMIN_SCREENS = (
    "sms_outbox", "audit_trail", "register_import", "register_household",
    "register_residency", "register_building", "register_unit", "register_grid",
    "register_community", "register_publicplace", "register_department",
    "register_buildinghead", "register_gridworker", "register_departmenthandler",
    "register_liaisonstaff", "register_communityadmin", "open311_calls",
    "open311_deliveries",
)
SUPERUSER_SCREENS = (
    "open311_keys", "volunteers_volunteer", "volunteers_task", "volunteers_pointsrule",
    "volunteers_shopitem", "volunteers_team", "volunteers_hoursentry",
    "volunteers_pointsentry", "volunteers_redemption",
    # 行政区域 (buildings/viewsets_regions.py): the tree above every community, superusers only.
    "register_region", "register_regionadmin",
)
ADMIN_SNIPPETS = (
    "wagtailsnippets_community_category", "wagtailsnippets_community_calendarday",
    "wagtailsnippets_liaison_dutyhours", "wagtailsnippets_liaison_dutyroster",
    "wagtailsnippets_liaison_staffdesk", "wagtailsnippets_liaison_quickreply",
    "wagtailsnippets_liaison_conversation",
)
ADMIN_VIEWSETS = ADMIN_SCREENS + SUPERUSER_SCREENS
for _name in ADMIN_SCREENS:
    TABLE[f"{_name}:index"] = Row(GET=ALLOWED_FOR("admin"))
for _name in SUPERUSER_SCREENS:
    TABLE[f"{_name}:index"] = Row(GET=NOBODY)
for _name in ADMIN_SNIPPETS:
    TABLE[f"{_name}:list"] = Row(GET=NOBODY)
# Edit screens of C1's own objects: C1's admin only, where the group opens the screen.
ADMIN_EDIT = {
    "register_building:edit": "building_b1",
    "register_community:edit": "community_c1",
    "register_household:edit": "household_h1",
    "register_unit:edit": "unit_u1",
    "register_grid:edit": "grid_g1a",
    "register_department:edit": "department_d1",
    "register_publicplace:edit": "place",
    "register_buildinghead:edit": "head_assignment",
    "register_gridworker:edit": "worker_assignment",
    "register_departmenthandler:edit": "handler_assignment",
    "register_liaisonstaff:edit": "liaison_assignment",
}
for _name, _label in ADMIN_EDIT.items():
    TABLE[_name] = Row(GET=ALLOWED_FOR("admin_same_community"), on=(_label,))
# Appointing admins (community_admin_grant) and deciding residencies (the phone's
# verify screens) are not done here: the screens refuse even the community's admin.
SUPERUSER_EDIT = {
    "register_communityadmin:edit": "admin_assignment",
    "register_residency:edit": "residency_b1",
    "volunteers_volunteer:edit": "volunteer_c1",
    "volunteers_task:edit": "task",
    "volunteers_shopitem:edit": "shop_item",
    "volunteers_redemption:edit": "redemption",
    "wagtailsnippets_liaison_conversation:edit": "conversation",
    "wagtailsnippets_liaison_quickreply:edit": "quick_reply",
    "register_region:edit": "township_t1",
    "register_regionadmin:edit": "region_admin_assignment",
}
for _name, _label in SUPERUSER_EDIT.items():
    TABLE[_name] = Row(GET=NOBODY, on=(_label,))
# Edit screens of objects the world does not make (logs, ledgers, configuration): the
# index row of the same viewset covers their gate; a row here says so on purpose.
NOT_EXERCISED = (
    "sms_outbox:edit", "audit_trail:edit", "open311_calls:edit", "open311_deliveries:edit",
    "open311_keys:edit", "volunteers_hoursentry:edit", "volunteers_pointsentry:edit",
    "volunteers_pointsrule:edit", "volunteers_team:edit",
    "wagtailsnippets_community_calendarday:edit", "wagtailsnippets_community_category:edit",
    "wagtailsnippets_liaison_dutyhours:edit", "wagtailsnippets_liaison_dutyroster:edit",
    "wagtailsnippets_liaison_staffdesk:edit",
)
for _name in NOT_EXERCISED:
    TABLE[_name] = Row(note="not exercised: no such object in the world")

# --- Which named routes are ours --------------------------------------------------------

OUR_NAMESPACES = {"portal", "buildings", "community", "liaison", "open311", "notices",
                  "volunteers", "county"}
OUR_TOP_LEVEL = {"home", "manifest", "service_worker", "healthz", "javascript-catalog",
                 "media", "openapi", "wagtail_serve", "wagtaildocs_serve",
                 "wagtaildocs_authenticate_with_password", "account_login"}
OUR_ADMIN_PREFIXES = tuple(f"{n}:" for n in ADMIN_VIEWSETS + ADMIN_SNIPPETS) + (
    "sms_", "audit_", "register_", "open311_", "volunteers_", "wagtailsnippets_community_",
    "wagtailsnippets_liaison_", "wagtailsnippets_notices_", "wagtailsnippets_volunteers_",
    "wagtailsnippets_buildings_", "wagtailsnippets_portal_")


def named_routes() -> dict[str, str]:
    """Every named route of the project, name -> pattern text."""
    found: dict[str, str] = {}

    def walk(patterns, prefix, namespaces):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespaces + [p.namespace] if p.namespace else namespaces
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                found.setdefault(":".join(namespaces + [p.name]), prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "/", [])
    return found


def ours(name: str, pattern: str) -> bool:
    """Our own apps' routes; of the Wagtail admin only our viewsets' index/list/edit."""
    if pattern.startswith("/admin/"):
        return name.startswith(OUR_ADMIN_PREFIXES) and name.endswith((":index", ":list", ":edit"))
    if pattern.startswith(("/django-admin/", "/accounts/")):
        return name in OUR_TOP_LEVEL
    return name.split(":")[0] in OUR_NAMESPACES or name in OUR_TOP_LEVEL


# --- Running a cell ------------------------------------------------------------------------

LOGINS = ("/accounts/login/", "/admin/login/")
ADMIN_HOME = "/admin/"
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)
# Writes a refused request may make: its session; Open311's log of every call.
HARMLESS_TABLES = ("django_session", "open311_apicall")


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """The world and a signed-in client per identity, built once for the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            world = build_world()
            clients = {}
            for name in IDENTITIES:
                client = Client(raise_request_exception=False)
                if world.users[name] is not None:
                    client.force_login(world.users[name])
                clients[name] = client
            yield world, clients
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def outcome(response) -> str:
    status = response.status_code
    if status >= 500:
        return "error"
    if status in (301, 302, 303, 307, 308):
        target = response["Location"].split("?")[0]
        if target.endswith(LOGINS):
            return "login"
        # Wagtail's admin answers a refusal with its dashboard and a message.
        return "refused" if target == ADMIN_HOME else "redirect"
    if status in (401, 403, 404, 405):
        return "refused"
    return "ok" if status < 400 else "input"


def run_cell(client: Client, method: str, url: str) -> tuple[object, list[str]]:
    """One request in a savepoint that is rolled back; the writes it tried."""
    from django.core.cache import cache

    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    writes: list[str] = []
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, HTTP_HOST="testserver")
        else:
            with CaptureQueriesContext(connection) as queries:
                # As forms.js posts: JSON back, not the whole page again.
                response = client.post(url, {}, HTTP_HOST="testserver",
                                       HTTP_ACCEPT="application/json")
            writes = [q["sql"] for q in queries.captured_queries if WRITE.match(q["sql"])
                      and not any(t in q["sql"] for t in HARMLESS_TABLES)]
        transaction.set_rollback(True)
    client.cookies = cookies
    if method == "POST":
        cache.clear()  # rate limits and cached scopes must not outlive the rollback
    return response, writes


def rows_of(name: str) -> list[Row]:
    entry = TABLE[name]
    return entry if isinstance(entry, list) else [entry]


def cells_of(name: str):
    """(method, url, label, allowed identities) for every cell of one route."""
    for row in rows_of(name):
        for method in ("GET", "POST"):
            rule = getattr(row, method)
            if rule is None:
                continue
            for label in row.on or (None,):
                yield method, row, label, rule.who(label)


def url_of(name: str, row: Row, obj) -> str:
    if obj is None and row.kw is pk:
        return reverse(name)
    kw = row.kw(obj)
    if isinstance(kw, str):
        return kw
    return reverse(name, args=kw) if isinstance(kw, list) else reverse(name, kwargs=kw)


def check_route(name: str, world, clients) -> tuple[int, list[str]]:
    failures, count = [], 0
    for method, row, label, allowed in cells_of(name):
        obj = world.objects[label] if label else None
        url = url_of(name, row, obj)
        for identity in IDENTITIES:
            count += 1
            response, writes = run_cell(clients[identity], method, url)
            got = outcome(response)
            where = f"{method} {url} [{label or '-'}] as {identity}"
            if got == "error":
                failures.append(f"{where}: {response.status_code} (server error)")
            elif identity in allowed:
                let_in = got in ("ok", "redirect") or (method == "POST" and got == "input")
                if not let_in:
                    failures.append(f"{where}: should be let in, got {response.status_code}"
                                    f" {response.get('Location', '')}")
            elif got not in ("refused", "login"):
                failures.append(f"{where}: should be refused, got {response.status_code}"
                                f" {response.get('Location', '')}")
            elif method == "POST" and writes:
                failures.append(f"{where}: refused but wrote: {writes[0][:120]}")
    return count, failures


# --- The tests -----------------------------------------------------------------------------


def test_every_named_route_has_a_row():
    routes = {n: p for n, p in named_routes().items() if ours(n, p)}
    missing = sorted(n for n in routes if n not in TABLE)
    assert not missing, (
        "routes without a row in tests/test_access_matrix.py TABLE (say who may use them): "
        + ", ".join(f"{n} ({routes[n]})" for n in missing))
    stale = sorted(n for n in TABLE if n not in routes)
    assert not stale, f"rows for routes that no longer exist: {', '.join(stale)}"


SIZE: dict[str, int] = {}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TABLE))
def test_access(name, matrix):
    world, clients = matrix
    count, failures = check_route(name, world, clients)
    SIZE[name] = count
    assert not failures, f"{name}: {len(failures)} of {count} cells wrong:\n" + "\n".join(
        failures)


@pytest.mark.django_db
def test_similar_never_shows_another_flat(matrix):
    """The "me too" fragment lists open cases at a place; a flat's case text is its household's."""
    world, clients = matrix
    case = world.objects["case_flat"]
    url = reverse("community:similar") + f"?category={case.category.code}&where=h{case.household_id}"
    wrong = []
    allowed = ALLOWED_FOR(*SEES_CASE_FLAT).who("case_flat")
    for identity in IDENTITIES:
        response, _ = run_cell(clients[identity], "GET", url)
        if case.description in response.content.decode("utf-8", "replace") \
                and identity not in allowed:
            wrong.append(identity)
    assert not wrong, f"/cases/similar/ shows another household's case to: {', '.join(wrong)}"


def test_matrix_size(matrix):
    """Prints the size of the matrix (run with -s), and asserts it is whole."""
    world, clients = matrix
    rows = [(n, m) for n in TABLE for m, *_ in cells_of(n)]
    routes = len({n for n, _ in rows})
    cells = len(rows) * len(IDENTITIES)
    gets = sum(1 for _, m in rows if m == "GET")
    print(f"\naccess matrix: {routes} routes exercised ({len(TABLE) - routes} declared, not "
          f"exercised), {gets} GET and {len(rows) - gets} POST (route, object) rows, "
          f"{len(IDENTITIES)} identities, {cells} HTTP cells "
          "(WebSocket cells: tests/test_access_matrix_ws.py)")
    assert cells > 0
