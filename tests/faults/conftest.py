"""Fault tests count every line each side sent and the other received; the counts of the
session are written to ``reports/faults.md`` and printed by ``make test-cluster``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.settings import ROOT
from tests.faults.lines import Tally

REPORT = ROOT / "reports" / "faults.md"


@pytest.fixture(scope="session")
def tallies() -> Iterator[list[Tally]]:
    kept: list[Tally] = []
    yield kept
    write_report(REPORT, kept)


@pytest.fixture
def tally(tallies: list[Tally], request: pytest.FixtureRequest) -> Callable[[str], Tally]:
    """New tallies for this test, named by the test and by which side receives."""

    def make(direction: str) -> Tally:
        made = Tally(f"{request.node.name}: {direction}")
        tallies.append(made)
        return made

    return make


def write_report(path: Path, tallies: list[Tally]) -> None:
    rows = [
        f"| {t.name} | {c['sent']} | {c['delivered']} | {c['lost']} | {c['duplicated']} "
        f"| {t.note} |"
        for t in tallies
        for c in [t.counts()]
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Fault tests: lines sent and received\n\n"
        "| Fault and direction | Sent | Delivered | Lost | Duplicated | On the way |\n"
        "|---|---:|---:|---:|---:|---|\n" + "\n".join(rows) + "\n"
    )
