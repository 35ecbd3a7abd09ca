"""Odd input never answers 5xx.

Every GET URL of our own apps (taken from the URLconf, path ids filled from a
world with one of everything), each query parameter its view reads (found in
the view's source and the module helpers it calls), and every field of the
main POST forms, each given the values that used to crash a view: digits that
``str.isdigit()`` accepts and ``int()`` does not ('²'), other scripts' digits,
numbers past any column, negatives, empty, NUL, 10 kB, and year 1.
"""

from __future__ import annotations

import inspect
import re
import time
from datetime import timedelta
from types import ModuleType

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

pytestmark = pytest.mark.django_db

ODD = ["²", "٣", "１２", "99999999999999999999", "-1", "", "\x00", "9" * 10240, "0001-01-01"]
TEXT_ODD = ["²", "\x00", "9" * 10240]
NUMERIC = re.compile(r"[a-z]?[0-9][0-9.:T-]*")  # 12, d3, h5, 24.7, 2026-11-01, 2027-01-01T09:00
HUGE_ID = "99999999999999999999"
OURS = ("portal.", "buildings.", "community.", "notices.", "volunteers.")
SKIP = ("portal.media.", "portal.views_privacy.")  # file streams and the erase-me flow: own tests
GET_PARAM = re.compile(r"""request\.GET(?:\.get|\.getlist)?[\(\[]\s*["']([^"']+)["']""")


def _walk(resolver: URLResolver, prefix: str = ""):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p, prefix + _route(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + _route(p.pattern), p.callback


def _route(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    assert isinstance(pattern, RegexPattern)
    return pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\.", ".")


def _module_of(view) -> str:
    view = getattr(view, "view_class", view)
    return getattr(inspect.unwrap(view), "__module__", "") or ""


def _params(view) -> list[str]:
    """The query parameters a view reads: in its own source and in the module's
    functions it calls by name (one level down)."""
    func = inspect.unwrap(getattr(view, "view_class", view))
    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return []
    module: ModuleType = inspect.getmodule(func)
    for name in set(re.findall(r"\b(_?\w+)\(", source)):
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__ \
                and helper is not func:
            source += inspect.getsource(helper)
    return sorted(set(GET_PARAM.findall(source)))


def _fill(route: str, ids: dict[str, int], huge: bool) -> str | None:
    """The route with its path values; ids by the first matching route prefix."""
    pk = next((v for k, v in ids.items() if route.startswith(k)), 1)
    values = {"int": HUGE_ID if huge else str(pk), "slug": "x", "str": "m", "path": "x"}
    url = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: values.get(m.group(1) or "str", "x"), route)
    url = re.sub(r"\(\?P<fmt>json\|xml\)", "json", url)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", HUGE_ID if huge else str(pk), url)
    if re.search(r"[\\()\[\]*+?|^$]", url):
        return None  # a pattern we cannot fill (Wagtail's own)
    return "/" + url


@pytest.fixture
def full_world(world):
    from community.disputes.services import dispute_open
    from community.liaison.tests.helpers import picked
    from community.open311.services import api_key_issue
    from community.tests import factories as cf
    from notices.tests.helpers import make_notice
    from volunteers import services as vs
    from volunteers.models import ShopItem
    from volunteers.tests import factories as vf

    case = cf.case_in(world, "dispatched")
    dispute = dispute_open(actor=world.worker_a, title="噪音", summary="楼上装修",
                           building=world.building_a, case=case)
    conversation = picked(world.resident_a, world.liaison)
    notice = make_notice(author=world.admin)
    volunteer = vf.volunteer(community=world.community, user=world.resident_a2)
    task = vf.task(building=world.building_a, created_by=world.worker_a,
                   start_in=timedelta(days=2))
    claim = vs.task_claim(actor=world.resident_a2, task_id=task.pk)
    item = ShopItem.objects.create(community=world.community, name="肥皂", cost=1, stock=5)
    _key, raw = api_key_issue(actor=world.admin, platform="罗城12345")
    ids = {"cases/disputes/": dispute.pk, "cases/": case.pk, "chat/": conversation.pk,
           "notices/": notice.pk, "volunteer/t/": task.pk, "volunteer/c/": claim.pk,
           "volunteer/review/": volunteer.pk, "volunteer/shop/r/": 1,
           "volunteer/shop/": item.pk, "open311/v2/requests/": case.pk}
    return world, {"case": case, "dispute": dispute, "conversation": conversation,
                   "task": task, "claim": claim, "ids": ids, "api_key": raw}


# One of each role (resident_a2 is the volunteer, stranger has no flat), most able first:
# the first to see a page is the one whose query parameters are fuzzed.
ROLES = ("admin", "worker_a", "liaison", "handler", "head_a", "resident_a", "resident_a2",
         "stranger")


def _check(response, what: str, failures: list) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {what}")


def test_no_odd_input_answers_5xx(client, full_world, capsys):
    world, objects = full_world
    clients = {}
    for role in ROLES:
        c = type(client)(raise_request_exception=False)
        c.force_login(getattr(world, role))
        clients[role] = c
    failures: list[str] = []
    count = 0

    spent: dict[str, float] = {}

    def get(c, url, **params):
        nonlocal count
        count += 1
        t = time.monotonic()
        response = c.get(url, params)
        spent[url.split("?")[0]] = spent.get(url.split("?")[0], 0) + time.monotonic() - t
        _check(response, f"GET {url} {params!r:.120}", failures)
        return response

    def post(c, url, data):
        nonlocal count
        count += 1
        t = time.monotonic()
        response = c.post(url, data)
        spent["POST " + url] = spent.get("POST " + url, 0) + time.monotonic() - t
        _check(response, f"POST {url} {data!r:.160}", failures)
        return response

    routes = [(r, v) for r, v in _walk(get_resolver())
              if _module_of(v).startswith(OURS) and not _module_of(v).startswith(SKIP)]
    assert len(routes) > 60, routes
    started = time.monotonic()
    for route, view in routes:
        for huge in (False, True):
            url = _fill(route, objects["ids"], huge)
            if url is None:
                continue
            if url.startswith("/open311/"):
                url += f"?api_key={objects['api_key']}"
            if huge:  # a path id past the column: one person is enough
                get(clients["admin"], url)
                continue
            seen_by = None
            for role in ROLES:
                if get(clients[role], url).status_code == 200 and seen_by is None:
                    seen_by = role
            if seen_by is None:
                continue
            for name in _params(view):
                for value in ODD:
                    get(clients[seen_by], url, **{name: value})

    print(f"\nfuzz: GET walk {count} requests, {time.monotonic() - started:.0f} s")
    # Open311 reads more than its views name literally.
    for name in ("page", "page_size", "service_request_id", "start_date", "end_date",
                 "updated_after", "status", "service_code", "extensions"):
        for value in ODD:
            get(clients["stranger"], "/open311/v2/requests.json",
                **{"api_key": objects["api_key"], name: value})

    case, dispute, conversation = objects["case"], objects["dispute"], objects["conversation"]
    forms = [
        ("worker_a", reverse("community:new") + "?behalf=1",
         {"behalf": "1", "category": "repair", "where": f"b{world.building_a.pk}",
          "description": "灯坏了", "channel": "phone", "reporter_name": "韦", "flat": "101",
          "latitude": "24.7", "longitude": "108.9", "reporter_phone": "13800000000"}),
        ("resident_a", reverse("community:new"),
         {"category": "repair", "where": f"h{world.household_a.pk}", "description": "灯坏了"}),
        ("worker_a", reverse("community:act", args=[case.pk, "merge"]), {"into": "1", "note": ""}),
        ("worker_a", reverse("community:act", args=[case.pk, "dispatch"]),
         {"to": f"d{world.department.pk}", "note": ""}),
        ("worker_a", reverse("community:act", args=[case.pk, "triage"]),
         {"category": "repair", "priority": "normal", "note": ""}),
        ("resident_a", reverse("community:act", args=[case.pk, "feedback"]),
         {"fixed": "yes", "rating": "5", "words": ""}),
        ("worker_a", reverse("community:dispute_new"),
         {"case": str(case.pk), "building": str(world.building_a.pk), "title": "吵架",
          "summary": "邻里", "party_phones": "13800000000", "party_names": "甲"}),
        ("worker_a", reverse("community:dispute_act", args=[dispute.pk, "mediate"]),
         {"held_on": "2026-11-01", "mediators": str(world.handler.pk), "agreement": "和好",
          "note": ""}),
        ("worker_a", reverse("community:dispute_act", args=[dispute.pk, "visit"]),
         {"visit": "1", "note": "好"}),
        ("liaison", reverse("liaison:hand_over", args=[conversation.pk]),
         {"to": str(world.admin.pk)}),
        ("resident_a", reverse("liaison:rate", args=[conversation.pk]), {"stars": "5"}),
        ("worker_a", reverse("volunteers:task_new"),
         {"title": "帮忙", "kind": "general", "building": str(world.building_a.pk),
          "unit": "1", "flat": "101", "starts_at": "2027-01-01T09:00",
          "ends_at": "2027-01-01T11:00", "places": "2", "points": "5",
          "withdraw_cutoff_hours": "2"}),
        ("admin", reverse("volunteers:correct", args=[objects["claim"].volunteer_id]),
         {"hours": "1.5", "points": "3", "reason": "补记"}),
        ("stranger", reverse("buildings:claim"),
         {"building": str(world.building_a.pk), "unit": "1", "number": "101",
          "relation": "family"}),
        ("admin", reverse("notices:told", args=[objects["ids"]["notices/"]]),
         {"household": str(world.household_a.pk), "method": "phone"}),
        ("stranger", "/open311/v2/requests.json",
         {"api_key": objects["api_key"], "service_code": "repair",
          "attribute[building]": str(world.building_a.pk), "attribute[unit]": "1",
          "lat": "24.7", "long": "108.9", "description": "灯坏了", "phone": "13800000000"}),
    ]
    print(f"fuzz: with Open311 {count} requests, {time.monotonic() - started:.0f} s")
    for role, url, data in forms:
        for field, good in data.items():
            if field == "api_key":
                continue
            # Ids, numbers and dates get every odd value; words only what breaks words.
            for value in ODD if NUMERIC.fullmatch(good) else TEXT_ODD:
                post(clients[role], url, {**data, field: value})

    distinct = sorted(set(failures))
    message = (f"{len(failures)} of {count} requests answered 5xx:\n"
               + "\n".join(f[:300] for f in distinct[:40]))
    with capsys.disabled():
        for url, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:15]:
            print(f"fuzz: {seconds:5.1f} s {url}")
        print(f"\nfuzz: {count} requests, {len(failures)} answered 5xx, "
              f"{time.monotonic() - started:.0f} s")
    assert not failures, message
    assert count > 800, f"only {count} requests made"

