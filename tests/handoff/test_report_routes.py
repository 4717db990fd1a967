"""The reports' API through Flask's test client: who may read it, bad dates, the CSV file."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timezone

from flask import Flask

from handoff.records.archive import Archive
from tests.handoff.test_archive import closed
from tests.handoff.test_console_routes import PASSWORD, app, client_of, gateway_of

__all__ = ["app"]  # the fixture, from the console's tests

TODAY = datetime.now(timezone.utc).date().isoformat()
REPORT = f"/agent/api/reports?from={TODAY}&to={TODAY}"
CSV = f"/agent/api/reports.csv?from={TODAY}&to={TODAY}"


def archived_today(app: Flask) -> None:
    """Two chats closed today: one by ann, one by an agent whose name starts a formula."""
    gateway_of(app).stores.daily.customer_wrote("bot-only", time.time())
    app.extensions["tandem"].directory.add("eve", "=HYPERLINK(1)", PASSWORD)
    now = time.time() - 5
    archive: Archive = gateway_of(app).archive
    archive.archive(
        closed(
            "a",
            created_at=now - 60,
            queued_at=now - 50,
            assigned_at=now - 40,
            first_agent_reply_at=now - 30,
            closed_at=now,
            csat=4,
        ),
        [],
    )
    archive.archive(
        closed(
            "b",
            agent_id="eve",
            skill="account",
            created_at=now - 60,
            queued_at=now - 50,
            assigned_at=now - 20,
            first_agent_reply_at=now - 10,
            closed_at=now,
        ),
        [],
    )


def test_reports_are_for_supervisors_only(app: Flask) -> None:
    for url in (REPORT, CSV):
        anonymous = client_of(app, None).get(url)
        assert (anonymous.status_code, anonymous.get_json()["error"]) == (401, "not_logged_in")
        agent = client_of(app, "ann").get(url)
        assert (agent.status_code, agent.get_json()["error"]) == (403, "forbidden")
    assert client_of(app, "sue").get(REPORT).status_code == 200


def test_the_report_of_today(app: Flask) -> None:
    archived_today(app)
    answer = client_of(app, "sue").get(REPORT)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    report = answer.get_json()
    assert (report["from"], report["to"], report["sla_seconds"]) == (TODAY, TODAY, 120)
    overall = report["overall"]
    # The bot-only chat is counted from Redis's day, copied to SQL by the request.
    assert (overall["conversations"], overall["bot_alone"], overall["closed"]) == (1, 1, 2)
    assert overall["avg_wait_seconds"] == 20
    assert [(a["agent_id"], a["name"], a["closed"]) for a in report["agents"]] == [
        ("eve", "=HYPERLINK(1)", 1),  # by name
        ("ann", "Ann Lee", 1),
    ]


def test_bad_dates_are_a_clear_400(app: Flask) -> None:
    client = client_of(app, "sue")
    for query, problem in [
        ("", "'from' must be a date"),
        ("from=2026-11-01&to=soon", "'to' must be a date"),
        ("from=2026-11-02&to=2026-11-01", "'to' is before 'from'"),
        ("from=2025-01-01&to=2026-01-02", "at most 366 days"),
    ]:
        for path in ("/agent/api/reports", "/agent/api/reports.csv"):
            answer = client.get(f"{path}?{query}")
            assert answer.status_code == 400, (path, query)
            assert answer.get_json()["error"] == "bad_range"
            assert problem in answer.get_json()["message"]


def test_the_csv_export(app: Flask) -> None:
    archived_today(app)
    answer = client_of(app, "sue").get(CSV)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="tandem-report-{TODAY}-to-{TODAY}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    by_scope = {(row["scope"], row["name"]): row for row in rows}
    assert by_scope[("day", TODAY)]["conversations"] == "1"
    overall = by_scope[("overall", f"{TODAY} to {TODAY}")]
    assert (overall["conversations"], overall["bot alone"], overall["containment (%)"]) == (
        "1",
        "1",
        "100.0",
    )
    assert (overall["closed chats"], overall["average wait (s)"]) == ("2", "20.0")
    assert overall["why handed off: Task failed"] == "2"
    # A name that starts a formula is written as text.
    assert by_scope[("agent", "'=HYPERLINK(1)")]["closed chats"] == "1"
    assert by_scope[("agent", "Ann Lee")]["average CSAT (1-5)"] == "4.00"
    assert by_scope[("agent", "Ann Lee")]["containment (%)"] == ""
    assert {name for scope, name in by_scope if scope == "skill"} == {"account", "billing"}
