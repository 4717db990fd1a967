"""Reports (records/reports.py) on real SQLite and PostgreSQL: what each figure counts.

The conversations are the archive's own dataclasses, archived as the gateway does it;
the daily counts are kept as housekeeping keeps them.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from bot.postgres import EmbeddedPostgres
from core.sql import engine_for
from handoff.records.agents import AgentDirectory
from handoff.records.archive import Archive, tickets
from handoff.records.reports import DateRange, InvalidRange, Reports
from tests.handoff.test_archive import closed

# 2026-11-02 00:00 UTC: the first day of the reports below.
DAY = datetime(2026, 11, 2, tzinfo=timezone.utc).timestamp()
SLA = 120.0
PASSWORD = "correct horse battery"
NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("postgres") / "postgres.log")
    with embedded:
        yield embedded


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tandem.db'}"
    server: EmbeddedPostgres = request.getfixturevalue("postgres")
    return server.create_database(f"reports_{next(NUMBERS)}").url


@pytest.fixture
def archive(database_url: str) -> Iterator[Archive]:
    store = Archive(database_url)
    store.create_schema()
    directory = AgentDirectory(database_url)
    directory.create_schema()
    directory.add("ann", "Ann Lee", PASSWORD)
    directory.add("ben", "Ben Ode", PASSWORD)
    yield store
    store.close()


@pytest.fixture
def reports(archive: Archive) -> Reports:
    return Reports(archive.database_url)


def chat(conversation_id: str, at: float, wait: float | None, **fields: Any) -> Any:
    """A chat queued at ``at`` and taken ``wait`` seconds later (None: never taken) by ann,
    first reply 10 s later, closed 300 s after it was taken, unless ``fields`` say otherwise."""
    taken = None if wait is None else at + wait
    values: dict[str, Any] = {
        "created_at": at - 60,
        "queued_at": at,
        "assigned_at": taken,
        "first_agent_reply_at": None if taken is None else taken + 10,
        "closed_at": at + 600 if taken is None else taken + 300,
    }
    if taken is None:
        values.update(agent_id=None, resolution="ticket")
    values.update(fields)
    return closed(conversation_id, **values)


def test_a_range_is_whole_utc_days_with_both_ends_included() -> None:
    dates = DateRange.parse("2026-11-02", "2026-11-03")
    assert (dates.first, dates.last, dates.days) == (date(2026, 11, 2), date(2026, 11, 3), 2)
    assert (dates.start, dates.end) == (DAY, DAY + 2 * 86400)
    assert dates.day_names() == ["2026-11-02", "2026-11-03"]
    assert DateRange.parse("2024-01-01", "2024-12-31").days == 366


@pytest.mark.parametrize(
    ("first", "last", "problem"),
    [
        ("2026-11-31", "2026-12-01", "'from' must be a date"),
        ("yesterday", "2026-12-01", "'from' must be a date"),
        ("2026-11-01", None, "'to' must be a date"),
        ("2026-11-02", "2026-11-01", "'to' is before 'from'"),
        ("2025-01-01", "2026-01-02", "at most 366 days"),
    ],
)
def test_bad_ranges_say_what_is_wrong(first: str, last: str | None, problem: str) -> None:
    with pytest.raises(InvalidRange, match=problem):
        DateRange.parse(first, last)


def test_report_of_a_range(archive: Archive, reports: Reports) -> None:
    noon = DAY + 12 * 3600
    # ann: waits 30 s and 90 s, resolved (rated 5) and unresolved (rated 2).
    archive.archive(chat("a", noon, 30, reason="failed_task", csat=5), [])
    archive.archive(
        chat("b", noon, 90, reason="explicit_request", resolution="unresolved", csat=2), []
    )
    # Ben, account: waited 200 s, past the 120 s SLA; resolved, not rated.
    archive.archive(
        chat("c", noon + 86400, 200, agent_id="ben", skill="account", reason="failed_task"), []
    )
    # No agent came: the customer left an email (a ticket), skill general.
    archive.archive(chat("d", noon, None, skill="general", reason="explicit_request"), [])
    # Its ticket, answered by ben an hour later and solved; another, not answered yet; and one
    # made before the range, first answered in it (10 hours on) and not solved.
    with engine_for(archive.database_url).begin() as conn:
        row = {
            "conversation_id": "d",
            "email": "d@example.com",
            "skill": "general",
            "assignee": None,
            "first_response_at": None,
            "solved_at": None,
        }
        conn.execute(
            insert(tickets),
            [
                {
                    **row,
                    "id": "TKT-1",
                    "created_at": noon + 600,
                    "assignee": "ben",
                    "first_response_at": noon + 4200,
                    "solved_at": noon + 7800,
                },
                {**row, "id": "TKT-2", "created_at": noon + 900},
                {
                    **row,
                    "id": "TKT-3",
                    "created_at": DAY - 3600,
                    "assignee": "ben",
                    "first_response_at": DAY + 32400,
                },
            ],
        )
    # Closed the day before and the day after the range: not in it.
    archive.archive(chat("early", DAY - 3600, 5), [])
    archive.archive(chat("late", DAY + 2 * 86400 + 60, 5), [])
    archive.keep_daily_counts(
        "2026-11-02", {"conversations": 10, "bot_alone": 6, "handed_off": 4, "answered": 3}, noon
    )

    found = reports.report(DateRange.parse("2026-11-02", "2026-11-03"), SLA)

    assert (found["from"], found["to"]) == ("2026-11-02", "2026-11-03")
    assert found["days"] == [
        {
            "day": "2026-11-02",
            "conversations": 10,
            "bot_alone": 6,
            "handed_off": 4,
            "answered": 3,
            "containment": 0.6,
        },
        {
            "day": "2026-11-03",
            "conversations": 0,
            "bot_alone": 0,
            "handed_off": 0,
            "answered": 0,
            "containment": None,
        },
    ]
    overall = found["overall"]
    assert {k: overall[k] for k in ("conversations", "bot_alone", "handed_off", "containment")} == {
        "conversations": 10,
        "bot_alone": 6,
        "handed_off": 4,
        "containment": 0.6,
    }
    assert (overall["closed"], overall["answered"], overall["tickets_opened"]) == (4, 3, 2)
    assert (overall["tickets_solved"], overall["avg_ticket_first_response_seconds"]) == (
        1,
        pytest.approx((3600 + 36000) / 2),
    )
    assert overall["p90_ticket_first_response_seconds"] == 36000
    assert overall["avg_wait_seconds"] == pytest.approx((30 + 90 + 200) / 3)
    assert overall["p90_wait_seconds"] == 200
    assert overall["avg_first_response_seconds"] == pytest.approx(10)
    assert overall["avg_handle_seconds"] == pytest.approx(300)
    assert overall["resolution_rate"] == pytest.approx(2 / 3)
    assert (overall["avg_csat"], overall["csat_responses"]) == (pytest.approx(3.5), 2)
    assert overall["sla_met_rate"] == pytest.approx(2 / 4)  # the ticket never got an agent
    assert overall["reasons"] == {"failed_task": 2, "explicit_request": 2}
    assert overall["resolutions"] == {"resolved": 2, "unresolved": 1, "ticket": 1}

    ann, ben = found["agents"]
    assert (ann["agent_id"], ann["name"], ann["closed"]) == ("ann", "Ann Lee", 2)
    assert (ann["avg_wait_seconds"], ann["p90_wait_seconds"]) == (pytest.approx(60), 90)
    assert (ann["resolution_rate"], ann["sla_met_rate"]) == (0.5, 1.0)
    assert (ben["name"], ben["closed"], ben["p90_wait_seconds"], ben["sla_met_rate"]) == (
        "Ben Ode",
        1,
        200,
        0.0,
    )
    assert ben["avg_csat"] is None
    # Tickets count for the agent they are assigned to: ben's two, nobody's one.
    assert (ben["tickets_opened"], ben["tickets_solved"]) == (1, 1)
    assert ben["p90_ticket_first_response_seconds"] == 36000
    assert (ann["tickets_opened"], ann["avg_ticket_first_response_seconds"]) == (0, None)
    assert [(s["skill"], s["closed"], s["tickets_opened"]) for s in found["skills"]] == [
        ("account", 1, 0),
        ("billing", 2, 0),
        ("general", 1, 2),
    ]
    general = found["skills"][2]
    assert (general["answered"], general["avg_wait_seconds"], general["p90_wait_seconds"]) == (
        0,
        None,
        None,
    )


@pytest.mark.parametrize(("waits", "p90"), [(range(1, 11), 9), (range(1, 12), 10), ([7], 7)])
def test_p90_is_the_nearest_rank(
    archive: Archive, reports: Reports, waits: Any, p90: float
) -> None:
    for number, wait in enumerate(waits):
        archive.archive(chat(f"c{number}", DAY + 60, wait), [])
    found = reports.report(DateRange.parse("2026-11-02", "2026-11-02"), SLA)
    assert found["overall"]["p90_wait_seconds"] == p90
    assert found["agents"][0]["p90_wait_seconds"] == p90


def test_an_empty_range_has_zeros_and_no_averages(reports: Reports) -> None:
    found = reports.report(DateRange.parse("2026-11-02", "2026-11-02"), SLA)
    overall = found["overall"]
    assert (overall["conversations"], overall["closed"], overall["tickets_opened"]) == (0, 0, 0)
    assert overall["containment"] is overall["avg_wait_seconds"] is overall["p90_wait_seconds"]
    assert overall["containment"] is None
    assert (found["agents"], found["skills"]) == ([], [])


def test_daily_counts_are_replaced_unless_redis_lost_them(
    archive: Archive, reports: Reports
) -> None:
    day = "2026-11-02"
    counts = {"conversations": 5, "bot_alone": 5, "handed_off": 0, "answered": 0}
    archive.keep_daily_counts(day, counts, DAY)
    # One of them was handed off later: fewer with the bot alone, as Redis counts it.
    archive.keep_daily_counts(day, {**counts, "bot_alone": 4, "handed_off": 1}, DAY + 60)
    # Redis restarted empty: the kept day stays.
    archive.keep_daily_counts(day, dict.fromkeys(counts, 0), DAY + 120)
    found = reports.report(DateRange.parse(day, day), SLA)["days"][0]
    assert (found["conversations"], found["bot_alone"], found["handed_off"]) == (5, 4, 1)


def test_an_older_archive_gets_the_reports_indexes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE tickets (id VARCHAR(16) PRIMARY KEY, conversation_id VARCHAR(128)"
            " NOT NULL, email VARCHAR(320) NOT NULL, created_at FLOAT NOT NULL)"
        )
    archive = Archive(f"sqlite:///{path}")
    archive.create_schema()
    archive.close()
    with sqlite3.connect(path) as db:
        indexes = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
    assert {"ix_tickets_created_at", "ix_tickets_conversation_id"} <= indexes
