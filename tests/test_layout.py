"""Tests mirror the modules they test, so a reader finds the tests of a module without searching.

The rule, for every app (a folder of portal/, buildings/, community/, notices/, volunteers/ with
a ``services``, ``selectors`` or ``views`` module: today portal, buildings, buildings/patrols,
community, community/liaison, community/county, community/whistle, notices, volunteers):

- The tests of ``<app>/<module>.py`` (or of a package ``<app>/<module>/``) live in
  ``<app>/tests/test_<module>.py``. One submodule of a package, or one topic of a module with
  many tests, may have its own ``test_<module>_<sub>.py`` (``volunteers/tests/
  test_services_ledger.py`` for ``volunteers/services/ledger.py``, ``community/tests/
  test_views_moves.py`` for the move views).
- Tests that follow one thing across modules stay in a file named for what they are:
  ``test_journeys*.py`` (a case's, a notice's, a sign-in's whole life), ``test_access*.py``
  (who may do what, forged ids), ``*queries*`` (query budgets), ``*floods*`` (limits under a
  crowd), ``*faults*`` (Redis or the channel layer failing), ``*demo*`` (demo data).
- Every app with ``services``, ``selectors`` or ``views`` has ``tests/test_services*.py``,
  ``tests/test_selectors.py`` and ``tests/test_views*.py`` respectively, each with a test.
- Journeys across apps, browser and performance tests live in this top-level ``tests/``;
  so do the Open311 API's (``tests/test_open311*.py``, the API tried as a platform calls it).

The edit-test loop runs one module's tests on SQLite, keeping the test database:
``env -u DATABASE_URL pytest --reuse-db -q community/tests/test_selectors.py``.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOPS = ("portal", "buildings", "community", "notices", "volunteers")
NOT_APPS = {"migrations", "tests", "templates", "templatetags", "management", "settings",
            "static", "__pycache__"}
# The words of a file that follows one thing across modules (see the docstring).
ACROSS = {"journeys", "journey", "access", "queries", "floods", "faults", "demo"}
# Apps tested from outside, in this folder, with the reason.
TESTED_HERE = {"community/open311": "test_open311.py"}
KINDS = {"services": "test_services*.py", "selectors": "test_selectors.py",
         "views": "test_views*.py"}


def has(folder: Path, module: str) -> bool:
    return (folder / f"{module}.py").is_file() or (folder / module / "__init__.py").is_file()


def apps() -> list[Path]:
    """Every package under the top folders with services, selectors or views."""
    found = []
    for top in TOPS:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            folder = init.parent
            parts = set(folder.relative_to(ROOT).parts)
            if parts & NOT_APPS or folder.name.startswith("."):
                continue
            if any(has(folder, kind) for kind in KINDS):
                found.append(folder)
    return found


def functions_named_test(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")]


def test_the_apps_are_found():
    names = {str(app.relative_to(ROOT)) for app in apps()}
    assert {"portal", "buildings", "buildings/patrols", "community", "community/liaison",
            "community/county", "community/whistle", "notices", "volunteers"} <= names


def test_every_apps_services_selectors_and_views_have_their_tests():
    missing = []
    for app in apps():
        name = str(app.relative_to(ROOT))
        if name in TESTED_HERE:
            assert functions_named_test(ROOT / "tests" / TESTED_HERE[name]), name
            continue
        for kind, pattern in KINDS.items():
            if not has(app, kind):
                continue
            files = sorted((app / "tests").glob(pattern))
            if not any(functions_named_test(p) for p in files):
                missing.append(f"{name}/tests/{pattern}")
    assert not missing, f"no test function in: {missing}"


def test_every_test_file_is_named_for_its_module_or_for_what_it_follows():
    stray = []
    for app in apps():
        for path in sorted((app / "tests").glob("test_*.py")):
            stem = path.stem.removeprefix("test_")
            words = stem.split("_")
            named_for_module = any(has(app, "_".join(words[:n])) for n in range(1, len(words) + 1))
            if not (named_for_module or ACROSS & set(words)):
                stray.append(str(path.relative_to(ROOT)))
    assert not stray, f"name these after their module (see tests/test_layout.py): {stray}"
