"""Calls between apps go one way: ``portal`` ← ``buildings`` ← the features.

- ``portal`` (users, sessions, uploads, the shell) imports no other app;
- ``buildings`` (the register: communities, grids, buildings, households, who may do
  what) imports only ``portal``;
- the features (``community`` with its parts, ``notices``, ``volunteers``, and the round
  ``buildings.patrols``, a feature that lives beside the register) import both;
  among themselves, a feature may call ``volunteers``' services (a task made from a case
  or a notice) and the round may open cases and disputes; ``volunteers`` hears of the
  others only through signals.

The arrows that go against this are listed below, each with its reason, so that a new
one fails here and a removed one is struck off the list. Tests, migrations and the
discovery helper (``portal.discovery``, which finds each app's ``privacy``/``media``/...
module by name) are outside the rule.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("portal", "buildings", "community", "notices", "volunteers")
FEATURES = ("community", "notices", "volunteers", "buildings.patrols")
RANK = {"portal": 0, "buildings": 1}
# Feature → feature arrows the design allows.
BETWEEN_FEATURES = {("community", "volunteers"), ("notices", "volunteers"),
                    ("buildings.patrols", "community")}
# Arrows against the rule, by file, with the reason. Keep this short.
AGAINST = {
    ("portal/views.py", "buildings"): "the shell's home and 我的 show the person's residencies",
    ("portal/services.py", "buildings"): "a community admin's account (read at call time)",
    ("portal/viewsets.py", "buildings"): "the users admin limited to a community admin's scope",
    ("portal/wagtail_hooks.py", "buildings"): "the admin menu limited to the person's scope",
    ("portal/media.py", "buildings"): "who may fetch an uploaded file",
    ("portal/management/commands/load_users.py", "buildings"): "loads users with their flats",
    ("portal/management/commands/demo_data.py", "buildings"): "the demo accounts",
    # The round opens cases and disputes (allowed above); these read the round back:
    ("community/selectors.py", "buildings.patrols"): "village guides offered as mediators",
    ("community/county/rollups.py", "buildings.patrols"): "the month's visits, rolled up",
    ("community/county/views.py", "buildings.patrols"): "a community's coverage page",
    ("community/county/generate.py", "buildings.patrols"): "visits in the 1M-scale data",
}


def _app(dotted: str) -> str | None:
    if dotted == "buildings.patrols" or dotted.startswith("buildings.patrols."):
        return "buildings.patrols"
    top = dotted.split(".")[0]
    return top if top in TOPS else None


def _kind(app: str) -> str:
    return "feature" if app in FEATURES else app


def _arrows() -> set[tuple[str, str, str]]:
    found = set()
    for top in TOPS:
        for path in (ROOT / top).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(rel.parts) or str(rel) == "portal/discovery.py":
                continue
            source = _app(".".join(rel.with_suffix("").parts))
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    target = _app(name)
                    if target and target != source:
                        found.add((str(rel), source, target))
    return found


def _allowed(source: str, target: str) -> bool:
    if _kind(target) == "feature":
        # Only the register's round among the register, and only the arrows listed.
        return (source, target) in BETWEEN_FEATURES
    return RANK[target] < RANK.get(source, 2)


def test_apps_import_each_other_one_way_only():
    against = {(f, t) for f, s, t in _arrows() if not _allowed(s, t)}
    new = sorted(against - set(AGAINST))
    assert new == [], f"imports against portal ← buildings ← features: {new}"
    gone = sorted(set(AGAINST) - against)
    assert gone == [], f"no longer needed, strike from AGAINST: {gone}"


def test_volunteers_hears_of_the_other_features_only_through_signals():
    assert not [f for f, s, t in _arrows() if s == "volunteers" and _kind(t) == "feature"]


def test_the_rule_sees_an_arrow_against_it():
    assert not _allowed("buildings", "community")
    assert not _allowed("portal", "notices")
    assert not _allowed("volunteers", "community")
    assert _allowed("community", "volunteers") and _allowed("notices", "buildings")
    assert _allowed("buildings.patrols", "community") and _allowed("buildings.patrols", "buildings")
    assert _app("community.liaison.services") == _app("community.models")  # one app
