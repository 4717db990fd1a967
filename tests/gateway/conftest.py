"""Gateway tests run against the session's whole stack; each starts from an empty Redis."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_redis(empty_redis: None) -> None:
    """Every gateway test starts from an empty Redis."""
