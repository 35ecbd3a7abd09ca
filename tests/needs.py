"""A piece of the machine a test needs (nginx, Redis, Locust...), missing.

``scripts/test`` installs every piece and sets ``CI=1``: there a missing piece is a
failure, never a skip. On a developer's own machine the test is skipped with the reason.
"""

from __future__ import annotations

import os

import pytest


def missing(what: str) -> None:
    """Fail in CI, skip elsewhere, saying ``what`` is missing."""
    if os.environ.get("CI"):
        pytest.fail(f"{what}: scripts/test installs it, so CI fails")
    pytest.skip(f"{what} (a developer's machine; scripts/test installs it and CI fails instead)")
