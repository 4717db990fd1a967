"""Benchmarks: each prints a table and writes its section of docs/performance.md."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from core.settings import ROOT

REPORT = ROOT / "docs" / "performance.md"
HEADER = "# Performance\n\nMeasured by `make bench` on this project's machines; rerun to compare.\n"


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), as load-test reports quote it."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def latency_row(name: str, samples: list[float], target: str = "") -> str:
    """A table row: p50, p95 and max in milliseconds."""
    return (
        f"| {name} | {statistics.median(samples):.1f} ms | {percentile(samples, 95):.1f} ms "
        f"| {max(samples):.1f} ms | {target} |"
    )


def write_section(title: str, body: str, report: Path = REPORT) -> None:
    """Replace (or add) the `## title` section of the report, keeping the others."""
    text = report.read_text(encoding="utf-8") if report.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    report.parent.mkdir(exist_ok=True)
    report.write_text(text.rstrip() + "\n", encoding="utf-8")
