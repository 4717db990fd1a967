"""Running Locust (from .venv-bench, a subprocess) and reading the statistics it writes.

Locust's dependencies conflict with Rasa's pins, so it never runs in the product's venv: this
module starts ``.venv-bench/bin/locust`` headless on bench/load/locustfile.py and reads back
its ``--csv`` files.
"""

from __future__ import annotations

import csv
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from core.settings import ROOT

LOCUST = ROOT / ".venv-bench" / "bin" / "locust"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


class LoadError(RuntimeError):
    """Locust is missing or failed; the message says what to do."""


@dataclass(frozen=True)
class Row:
    """One line of Locust's ``_stats.csv``: an event name and its latencies in ms."""

    name: str
    count: int
    failures: int
    p50: float
    p95: float
    p99: float
    max: float


def check_locust() -> None:
    if not LOCUST.exists():
        raise LoadError(f"{LOCUST} is missing: run `make bench-venv` first.")


def run_locust(
    host: str,
    classes: list[str],
    users: int,
    spawn_rate: float,
    seconds: int,
    out: Path,
    env: dict[str, str],
) -> subprocess.Popen[bytes]:
    """Start a headless Locust run of ``classes``; its CSVs and log go to ``out``."""
    check_locust()
    out.mkdir(parents=True, exist_ok=True)
    command = [
        str(LOCUST),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "15",
        "--csv",
        str(out / "locust"),
        "--only-summary",
        *classes,
    ]
    # Locust keeps its own copy of the log's descriptor; the project's variables don't hurt it.
    with (out / "locust.log").open("wb") as log:
        return subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )


def finish(process: subprocess.Popen[bytes], out: Path, timeout: float) -> dict[str, Row]:
    """Wait for Locust and read its statistics, by event name.

    Locust exits with 1 when any event failed; that is a result, read from the CSVs.
    """
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise LoadError(f"Locust ran past {timeout:.0f} s; see {out / 'locust.log'}") from None
    stats = out / "locust_stats.csv"
    if code not in (0, 1) or not stats.exists():
        tail = (out / "locust.log").read_text(errors="replace")[-2000:]
        raise LoadError(f"Locust failed (exit {code}); see {out / 'locust.log'}:\n{tail}")
    return read_stats(stats)


def read_stats(path: Path) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    with path.open(newline="", encoding="utf-8") as file:
        for line in csv.DictReader(file):
            if line["Name"] == "Aggregated":
                continue
            rows[line["Name"]] = Row(
                name=line["Name"],
                count=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                p50=_number(line["50%"]),
                p95=_number(line["95%"]),
                p99=_number(line["99%"]),
                max=_number(line["Max Response Time"]),
            )
    return rows


def failure_reasons(out: Path, limit: int = 3) -> list[str]:
    """The most frequent failures of a run, as "count × event: error"."""
    path = out / "locust_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        failures = sorted(csv.DictReader(file), key=lambda f: -int(f["Occurrences"]))
    return [f"{f['Occurrences']} × {f['Name']}: {f['Error']}" for f in failures[:limit]]


def _number(text: str) -> float:
    """Locust writes "N/A" for an event without samples."""
    try:
        return float(text)
    except ValueError:
        return float("nan")
