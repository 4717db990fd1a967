"""A report (records/reports.py) as CSV for spreadsheets: one row per day, overall, agent, skill.

Every row has the same columns; a figure that does not apply to a row (containment for
an agent) is left empty. Times are seconds, rates percentages. Text that came from
people (agents' names) could start a spreadsheet formula: such a cell gets a leading
apostrophe, so a spreadsheet shows it as text and never runs it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from core.vocabulary import HANDOFF_REASONS

# Characters that make a spreadsheet read a cell as a formula (and tab / CR, which some
# read past to the next one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# (heading, key in the report's rows, how to write it)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("conversations", "conversations", "count"),
    ("bot alone", "bot_alone", "count"),
    ("containment (%)", "containment", "percent"),
    ("handed off", "handed_off", "count"),
    ("closed chats", "closed", "count"),
    ("answered by an agent", "answered", "count"),
    ("average wait (s)", "avg_wait_seconds", "seconds"),
    ("p90 wait (s)", "p90_wait_seconds", "seconds"),
    ("average first response (s)", "avg_first_response_seconds", "seconds"),
    ("average handle time (s)", "avg_handle_seconds", "seconds"),
    ("resolution rate (%)", "resolution_rate", "percent"),
    ("average CSAT (1-5)", "avg_csat", "rating"),
    ("CSAT responses", "csat_responses", "count"),
    ("SLA met (%)", "sla_met_rate", "percent"),
    ("tickets opened", "tickets_opened", "count"),
    ("tickets solved", "tickets_solved", "count"),
    ("average ticket first response (s)", "avg_ticket_first_response_seconds", "seconds"),
    ("p90 ticket first response (s)", "p90_ticket_first_response_seconds", "seconds"),
)


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet shows it as text: a formula's first character is escaped."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _number(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "percent":
        return f"{value * 100:.1f}"
    if kind == "seconds":
        return f"{value:.1f}"
    if kind == "rating":
        return f"{value:.2f}"
    return str(int(value))


def _row(scope: str, name: str, figures: dict[str, Any]) -> list[str]:
    reasons = figures.get("reasons") or {}
    return [
        scope,
        safe_text(name),
        *(_number(figures.get(key), kind) for _, key, kind in COLUMNS),
        *(
            str(reasons.get(reason, 0)) if "reasons" in figures else ""
            for reason in HANDOFF_REASONS
        ),
    ]


def report_csv(report: dict[str, Any]) -> str:
    """The whole report as CSV text, with a heading row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "scope",
            "name",
            *(heading for heading, _, _ in COLUMNS),
            *(f"why handed off: {label}" for label in HANDOFF_REASONS.values()),
        ]
    )
    for day in report["days"]:
        writer.writerow(_row("day", day["day"], day))
    writer.writerow(_row("overall", f"{report['from']} to {report['to']}", report["overall"]))
    for agent in report["agents"]:
        writer.writerow(_row("agent", agent["name"], agent))
    for skill in report["skills"]:
        writer.writerow(_row("skill", skill["skill"] or "none", skill))
    return out.getvalue()
