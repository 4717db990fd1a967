"""Benchmark of the supervisors' reports on 100,000 archived conversations.

Run with ``python -m bench.reports``. It makes a fresh database (SQLite in a
temporary folder, and a private PostgreSQL 15 through bot/postgres.py), fills it
with archived conversations closed over the past year by 20 agents in every skill
(a tenth never answered, with a ticket), a year of daily counts, and times each
part of the report (overall, per agent, per skill), the whole JSON report and its
CSV export, for a week, a month and a year. Transcripts are not generated: no
report reads them.

Prints progress and a table, and rewrites the "Reports" section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import insert

from bench import write_section
from bot.postgres import EmbeddedPostgres
from core.sql import engine_for
from core.vocabulary import HANDOFF_REASONS, SKILLS
from handoff.records.agents import AgentDirectory
from handoff.records.archive import Archive, archived_conversations, daily_counts, tickets
from handoff.records.reports import DateRange, Reports
from handoff.web.report_csv import report_csv

CONVERSATIONS = 100_000
AGENTS = 20
TARGET_SECONDS = 1.0
SLA_SECONDS = 120.0
BATCH = 5_000
RANGES = {"a week": 7, "a month": 30, "a year": 366}
# The indexes of the reports: the chats' closing time (alone, and with every column a report
# reads) and the tickets' opening, solving and first answer times.
INDEXES = (
    "ix_archived_conversations_closed_at",
    "ix_archived_conversations_report",
    "ix_tickets_created_at",
    "ix_tickets_solved",
    "ix_tickets_first_response",
)


# What an archived chat carries beside its figures, as big as a real one's: no report reads it.
CUSTOMER = json.dumps({"customer_id": "ACC-1001", "verified": True, "name": "Dana Whitfield"})
PACKET = json.dumps(
    {
        "reason": "failed_task",
        "skill": "billing",
        "priority": "normal",
        "active_form": "payment_form",
        "requested_slot": "payment_confirmed",
        "slots": {"customer_id": "ACC-1001", "verified": True, "payment_amount": "120.50"},
        "last_intents": [
            {"name": "pay_bill", "confidence": 0.97},
            {"name": "affirm", "confidence": 0.99},
            {"name": "request_human", "confidence": 0.95},
        ],
        "account": {"balance": "$120.50", "due_date": "2026-12-15", "card": "Visa ending 4242"},
        "transcript": [{"kind": "customer", "text": "I want to pay my bill " * 4}] * 4,
    }
)


def rows(count: int, today: date, seed: int = 18) -> Iterator[tuple[dict[str, Any], bool]]:
    """``count`` archived conversations closed over the year before ``today``; each with
    whether the customer left an email for a ticket (no agent came)."""
    rng = random.Random(seed)
    end = datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp()
    reasons = list(HANDOFF_REASONS)
    for number in range(count):
        queued = end - rng.uniform(600, 365 * 86400)
        unanswered = rng.random() < 0.1
        wait = rng.expovariate(1 / 60)
        assigned = None if unanswered else queued + wait
        row = {
            "id": f"bench-{number:06d}",
            "customer_id": None,
            "verified": False,
            "customer": CUSTOMER,
            "agent_id": None if unanswered else f"agent{rng.randrange(AGENTS):02d}",
            "skill": rng.choice(SKILLS),
            "priority": "normal",
            "reason": rng.choice(reasons),
            "packet": PACKET,
            "resolution": "ticket"
            if unanswered
            else rng.choice(("resolved", "resolved", "resolved", "unresolved")),
            "csat": rng.randint(1, 5) if not unanswered and rng.random() < 0.4 else None,
            "created_at": queued - rng.uniform(30, 300),
            "queued_at": queued,
            "assigned_at": assigned,
            "first_agent_reply_at": None if assigned is None else assigned + rng.uniform(5, 60),
            "closed_at": queued + rng.uniform(60, 300)
            if assigned is None
            else assigned + rng.expovariate(1 / 400),
            "last_seq": 10,
            "archived_at": end,
        }
        yield row, unanswered


def ticket_row(number: int, chat: dict[str, Any]) -> dict[str, Any]:
    """The ticket of an unanswered chat: most taken by an agent and answered within hours,
    most of those solved a day later, the rest still waiting."""
    rng = random.Random(number)
    created = chat["closed_at"]
    answered = rng.random() < 0.8
    first_response = created + rng.expovariate(1 / 7200) if answered else None
    return {
        "id": f"TKT-{number:08X}",
        "conversation_id": chat["id"],
        "email": "c@example.com",
        "created_at": created,
        "skill": chat["skill"],
        "assignee": f"agent{rng.randrange(AGENTS):02d}" if answered else None,
        "first_response_at": first_response,
        "solved_at": None if first_response is None else first_response + 86400,
        "status": "solved" if answered else "open",
        "updated_at": created,
    }


def fill(database_url: str, count: int, today: date) -> None:
    """The schema, the agents, ``count`` conversations with their tickets, a year of days."""
    archive = Archive(database_url)
    archive.create_schema()
    directory = AgentDirectory(database_url)
    directory.create_schema()
    for number in range(AGENTS):
        directory.add(f"agent{number:02d}", f"Agent {number:02d}", "correct horse battery")
    engine = engine_for(database_url)
    batch: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    for number, (row, unanswered) in enumerate(rows(count, today), 1):
        batch.append(row)
        if unanswered:
            opened.append(ticket_row(number, row))
        if len(batch) == BATCH or number == count:
            with engine.begin() as conn:
                conn.execute(insert(archived_conversations), batch)
                if opened:
                    conn.execute(insert(tickets), opened)
            batch, opened = [], []
            print(f"  {number:,} conversations archived", flush=True)
    per_day = count // 365
    with engine.begin() as conn:
        conn.execute(
            insert(daily_counts),
            [
                {
                    "day": (today - timedelta(days=back)).isoformat(),
                    "conversations": per_day * 4,
                    "bot_alone": per_day * 3,
                    "handed_off": per_day,
                    "answered": per_day * 9 // 10,
                    "updated_at": time.time(),
                }
                for back in range(1, 366)
            ],
        )
    archive.close()


def timed(work: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return samples


def csv_export(reports: Reports, dates: DateRange) -> str:
    return report_csv(reports.report(dates, SLA_SECONDS))


def without_indexes(database_url: str) -> None:
    """Drop the indexes the reports' ranges use, to see what they are worth."""
    with engine_for(database_url).begin() as conn:
        for index in (*archived_conversations.indexes, *tickets.indexes):
            if index.name in INDEXES:
                index.drop(conn)


def measure(database_url: str, today: date, runs: int) -> list[tuple[str, str, list[float]]]:
    """(range, report, seconds of each run) for every range and report."""
    reports = Reports(database_url)
    found = []
    for label, days in RANGES.items():
        dates = DateRange(today - timedelta(days=days), today - timedelta(days=1))
        parts: dict[str, Callable[[], Any]] = {
            "overall": partial(reports.groups, dates, "overall", SLA_SECONDS),
            "per agent": partial(reports.groups, dates, "agent", SLA_SECONDS),
            "per skill": partial(reports.groups, dates, "skill", SLA_SECONDS),
            "whole report (JSON)": partial(reports.report, dates, SLA_SECONDS),
            "CSV export": partial(csv_export, reports, dates),
        }
        for name, work in parts.items():
            samples = timed(work, runs)
            print(f"  {label}, {name}: median {statistics.median(samples) * 1000:.0f} ms")
            found.append((label, name, samples))
    reports.close()
    return found


@contextmanager
def database(engine: str, folder: Path) -> Iterator[str]:
    """A fresh database's URL on ``engine``."""
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'reports.db'}"
        return
    with EmbeddedPostgres(folder / "postgres.log") as info:
        yield info.url


def report(
    results: dict[str, list[tuple[str, str, list[float]]]],
    count: int,
    runs: int,
    load: float,
    indexes: bool,
) -> str:
    lines = [
        f"On {platform.machine()}, {psutil.cpu_count()} cores, Python "
        f"{platform.python_version()}, {datetime.now(timezone.utc):%Y-%m-%d} "
        f"(`bench/reports.py`, `make bench-reports`): {count:,} archived conversations closed "
        f"over a year by {AGENTS} agents in {len(SKILLS)} skills, a tenth with a ticket, in a "
        f"fresh database (each row with its customer and handoff packet JSON, about 1 kB, as "
        f"real ones); each report run {runs} times per range "
        f"(a week, a month, a year = every conversation). Load average {load:.1f} when it "
        f"started. "
        + (
            "Indexes: `ix_archived_conversations_report` (closing time, then every column a "
            "report reads: the reports read the index, not the rows) and the tickets' "
            "`created_at`, `solved_at` and `first_response_at`; "
            "the daily counts' key is the day."
            if indexes
            else f"Without the indexes {', '.join(INDEXES)} (`--without-indexes`)."
        ),
        "",
        "| engine | range | report | median | slowest | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for engine, found in results.items():
        for label, name, samples in found:
            slowest = max(samples)
            lines.append(
                f"| {engine} | {label} | {name} | {statistics.median(samples) * 1000:.0f} ms "
                f"| {slowest * 1000:.0f} ms | < {TARGET_SECONDS:.0f} s "
                f"| {'yes' if slowest < TARGET_SECONDS else 'no'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS)
    parser.add_argument("--runs", type=int, default=5, help="runs of each report")
    parser.add_argument(
        "--engines", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--without-indexes", action="store_true", help="drop the ranges' indexes first"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave docs/performance.md alone"
    )
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    today = datetime.now(timezone.utc).date()
    results = {}
    for engine in args.engines.split(","):
        with (
            tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp,
            database(engine, Path(tmp)) as url,
        ):
            print(f"{engine}: archiving {args.conversations:,} conversations", flush=True)
            started = time.perf_counter()
            fill(url, args.conversations, today)
            if args.without_indexes:
                without_indexes(url)
            print(f"{engine}: filled in {time.perf_counter() - started:.0f} s; timing reports")
            results[engine] = measure(url, today, args.runs)
    text = report(results, args.conversations, args.runs, load, not args.without_indexes)
    print(text)
    if not args.no_write and not args.without_indexes:
        write_section("Reports", text)
        print("Wrote the Reports section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
