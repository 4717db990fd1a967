"""Supervisors' reports over a date range: the archive's figures, overall, per agent, per skill.

A range is whole UTC days, first and last included, as a supervisor picks them; the
queries use the half-open interval [first day 00:00, day after the last 00:00) of
epoch seconds. Closed chats count on the day they closed; tickets are opened, solved
and first answered on the days each happened; and the conversation counts (with the
bot alone or handed off) come from the daily copies of Redis's counts. Every query is
SQLAlchemy Core that SQLite and PostgreSQL both run; p90 is the nearest rank, ranked
here rather than with an engine's own percentile function. docs/reports.md says what
each figure means.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from core.sql import SqlStore
from handoff.records.agents import agents as agent_accounts
from handoff.records.archive import (
    DAILY_FIGURES,
    RESOLVED,
    archived_conversations,
    daily_counts,
    metadata,
    tickets,
)

# What the closed chats' figures are grouped by: the archive's column (None: all in one).
GROUPINGS: dict[str, str | None] = {"overall": None, "agent": "agent_id", "skill": "skill"}
# Reports span at most a year (a leap year's days).
MAX_DAYS = 366
# The figures of each group (overall, an agent, a skill), in the CSV's order.
GROUP_FIGURES = (
    "closed",
    "answered",
    "avg_wait_seconds",
    "p90_wait_seconds",
    "avg_first_response_seconds",
    "avg_handle_seconds",
    "resolution_rate",
    "avg_csat",
    "csat_responses",
    "sla_met_rate",
    "tickets_opened",
    "tickets_solved",
    "avg_ticket_first_response_seconds",
    "p90_ticket_first_response_seconds",
)


class ReportError(Exception):
    """Base of the reports' refusals."""


class InvalidRange(ReportError):
    """The dates do not make a range a report can cover."""


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> DateRange:
        """The range of two ISO dates ("2026-11-01"); raises ``InvalidRange`` with what to fix."""
        days = []
        for name, text in (("from", first), ("to", last)):
            try:
                days.append(date.fromisoformat(text or ""))
            except ValueError:
                raise InvalidRange(f"'{name}' must be a date like 2026-11-30.") from None
        found = cls(days[0], days[1])
        if found.last < found.first:
            raise InvalidRange("'to' is before 'from'.")
        if found.days > MAX_DAYS:
            raise InvalidRange(f"A report covers at most {MAX_DAYS} days.")
        return found

    @classmethod
    def day_of(cls, at: float) -> DateRange:
        """The UTC day of the epoch time ``at``."""
        day = datetime.fromtimestamp(at, timezone.utc).date()
        return cls(day, day)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> float:
        """Epoch seconds of the first day's midnight (UTC), included."""
        return _midnight(self.first)

    @property
    def end(self) -> float:
        """Epoch seconds of the midnight after the last day (UTC), excluded."""
        return _midnight(self.last + timedelta(days=1))

    def day_names(self) -> list[str]:
        """Every day of the range, "2026-11-01" first."""
        return [(self.first + timedelta(days=n)).isoformat() for n in range(self.days)]


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


class Reports(SqlStore):
    """Read-only queries over the archive's tables (records/archive.py creates them)."""

    metadata = metadata

    def groups(self, dates: DateRange, by: str, sla_seconds: float) -> dict[Any, Any]:
        """One part of the report: the closed chats' figures ``by`` "overall", "agent" or
        "skill" (the benchmark times each)."""
        with self._engine.connect() as conn:
            return _figures(conn, dates, sla_seconds, [by])[by]

    def overall(self, dates: DateRange, sla_seconds: float) -> dict[str, Any]:
        """The closed chats' figures of ``dates`` with the tickets opened: today's, for the
        supervisor view's figures."""
        with self._engine.connect() as conn:
            return _overall(conn, dates, sla_seconds)

    def report(self, dates: DateRange, sla_seconds: float) -> dict[str, Any]:
        """Everything the reports page shows for ``dates``: per day, overall, per agent, per
        skill; times in seconds, rates as shares of 1 (None without data)."""
        with self._engine.connect() as conn:
            days = _days(conn, dates)
            figures = _figures(conn, dates, sla_seconds, list(GROUPINGS))
            ticket_figures = _tickets(conn, dates)
            agents, skills = figures["agent"], figures["skill"]
            for name, groups in (("agent", agents), ("skill", skills)):
                for key, found in ticket_figures[name].items():
                    groups.setdefault(key, _empty_group()).update(found)
            names = dict(
                conn.execute(
                    select(agent_accounts.c.login, agent_accounts.c.name).where(
                        agent_accounts.c.login.in_(list(agents))
                    )
                ).all()
            )
        totals = {name: sum(day[name] for day in days) for name in DAILY_FIGURES}
        return {
            "from": dates.first.isoformat(),
            "to": dates.last.isoformat(),
            "days": days,
            "sla_seconds": sla_seconds,
            "overall": {
                **totals,
                "containment": _containment(totals),
                **(figures["overall"].get(None) or _empty_group()),
                **ticket_figures["overall"].get(None, {}),
            },
            # By name; an agent removed since keeps their figures, under their login.
            "agents": sorted(
                (
                    {"agent_id": key, "name": names.get(key, key), **row}
                    for key, row in agents.items()
                ),
                key=lambda agent: (agent["name"].casefold(), agent["agent_id"]),
            ),
            "skills": [
                {"skill": key, **row} for key, row in sorted(skills.items(), key=_none_last)
            ],
        }


def _overall(conn: Connection, dates: DateRange, sla_seconds: float) -> dict[str, Any]:
    found = _figures(conn, dates, sla_seconds, ["overall"])["overall"].get(None) or _empty_group()
    return {**found, **_tickets(conn, dates)["overall"].get(None, {})}


def _none_last(item: tuple[str | None, Any]) -> tuple[bool, str]:
    return item[0] is None, item[0] or ""


def _days(conn: Connection, dates: DateRange) -> list[dict[str, Any]]:
    """Each day of the range with its kept counts (zeros for a day nothing was kept of)."""
    d = daily_counts.c
    kept = {
        row.day: row._mapping
        for row in conn.execute(
            select(daily_counts).where(
                d.day >= dates.first.isoformat(), d.day <= dates.last.isoformat()
            )
        )
    }
    days = []
    for day in dates.day_names():
        figures = {name: int(kept[day][name]) if day in kept else 0 for name in DAILY_FIGURES}
        days.append({"day": day, **figures, "containment": _containment(figures)})
    return days


def _containment(figures: dict[str, int]) -> float | None:
    """The share of conversations the bot handled alone."""
    conversations = figures["conversations"]
    return figures["bot_alone"] / conversations if conversations else None


def _empty_group() -> dict[str, Any]:
    return {
        **{name: None for name in GROUP_FIGURES},
        "closed": 0,
        "answered": 0,
        "csat_responses": 0,
        "tickets_opened": 0,
        "tickets_solved": 0,
        "reasons": {},
        "resolutions": {},
    }


def _figures(
    conn: Connection, dates: DateRange, sla_seconds: float, groupings: Sequence[str]
) -> dict[str, dict[Any, dict[str, Any]]]:
    """The closed chats' figures of ``dates`` for each grouping ("overall", "agent",
    "skill"), each a dict by the group's key (None for overall, and for no skill).

    One scan counts and sums the chats per (agent, skill, reason, resolution), which are
    few; each grouping adds those up. The p90 waits take one more scan (``_p90s``).
    """
    c = archived_conversations.c
    where = and_(c.closed_at >= dates.start, c.closed_at < dates.end)
    keys = [c[key] for key in dict.fromkeys(GROUPINGS[name] for name in groupings) if key]
    wait = c.assigned_at - c.queued_at  # NULL unless both are there; SUM and COUNT skip NULLs
    sums = {
        "wait": wait,
        "first_response": c.first_agent_reply_at - c.assigned_at,
        "handle": c.closed_at - c.assigned_at,
        "csat": c.csat,
    }
    counted = select(
        *keys,
        c.reason,
        c.resolution,
        func.count().label("closed"),
        func.count(c.assigned_at).label("answered"),
        func.count(c.queued_at).label("queued"),
        func.count(case((wait <= sla_seconds, 1))).label("within_sla"),
        *(func.sum(value).label(f"{name}_sum") for name, value in sums.items()),
        *(func.count(value).label(f"{name}_n") for name, value in sums.items()),
    ).where(where)
    rows = conn.execute(counted.group_by(*keys, c.reason, c.resolution)).all()
    p90s = _p90s(conn, where, wait, groupings)
    found = {}
    for name in groupings:
        key = GROUPINGS[name]
        totals: dict[Any, Counter[str]] = {}
        reasons: dict[Any, Counter[str]] = {}
        resolutions: dict[Any, Counter[str]] = {}
        for row in rows:
            group = None if key is None else row._mapping[key]
            if name == "agent" and group is None:  # no agent took it: no agent's figure
                continue
            total = totals.setdefault(group, Counter())
            total.update({field: row._mapping[field] or 0 for field in _ADDED})
            if row.resolution is not None:
                total["taken"] += row.answered
                total["resolved"] += row.answered if row.resolution == RESOLVED else 0
                resolutions.setdefault(group, Counter())[row.resolution] += row.closed
            if row.reason is not None:
                reasons.setdefault(group, Counter())[row.reason] += row.closed
        found[name] = {
            group: {
                **_finished(total, p90s[name].get(group)),
                "reasons": dict(reasons.get(group, {})),
                "resolutions": dict(resolutions.get(group, {})),
            }
            for group, total in totals.items()
        }
    return found


# The columns of _figures' scan that each group adds up.
_ADDED = (
    "closed",
    "answered",
    "queued",
    "within_sla",
    *(
        f"{name}_{part}"
        for name in ("wait", "first_response", "handle", "csat")
        for part in ("sum", "n")
    ),
)


def _finished(total: Counter[str], p90_wait: float | None) -> dict[str, Any]:
    """A group's figures from its added-up counts and sums."""

    def average(name: str) -> float | None:
        count = total[f"{name}_n"]
        return float(total[f"{name}_sum"]) / count if count else None

    return {
        **_empty_group(),
        "closed": total["closed"],
        "answered": total["answered"],
        "avg_wait_seconds": average("wait"),
        "p90_wait_seconds": p90_wait,
        "avg_first_response_seconds": average("first_response"),
        "avg_handle_seconds": average("handle"),
        "resolution_rate": total["resolved"] / total["taken"] if total["taken"] else None,
        "avg_csat": average("csat"),
        "csat_responses": total["csat_n"],
        "sla_met_rate": total["within_sla"] / total["queued"] if total["queued"] else None,
    }


def _p90s(
    conn: Connection,
    where: ColumnElement[bool],
    wait: ColumnElement[Any],
    groupings: Sequence[str],
) -> dict[str, dict[Any, float]]:
    """The 90th percentile wait (nearest rank: of n waits in order, the one at rank
    ceil(0.9 n)) of each group of each grouping.

    The waits are read once and ranked here: the same on every engine, and faster than
    ranking them in SQL once per grouping (a window sort each, three times the time on
    100,000 chats, docs/performance.md).
    """
    c = archived_conversations.c
    waits: dict[str, dict[Any, list[float]]] = {name: {} for name in groupings}
    rows = conn.execute(select(c.agent_id, c.skill, wait).where(where, wait.isnot(None)))
    for agent_id, skill, value in rows:
        keys = {"overall": None, "agent": agent_id, "skill": skill}
        for name in groupings:
            waits[name].setdefault(keys[name], []).append(value)
    return {
        name: {key: _nearest_rank(values, 0.9) for key, values in groups.items()}
        for name, groups in waits.items()
    }


def _nearest_rank(values: list[float], share: float) -> float:
    """The value at rank ceil(share * n) of the n ``values`` in order."""
    values.sort()
    return float(values[max(0, math.ceil(share * len(values)) - 1)])


def _tickets(conn: Connection, dates: DateRange) -> dict[str, dict[Any, dict[str, Any]]]:
    """The tickets' figures of each grouping ("overall", "agent": the assignee, "skill"):
    opened (made in the range), solved (solved in it, and not reopened since) and the time
    to the first answer of those first answered in it, average and p90.

    One grouped count per (assignee, skill), which are few, and one read of the answered
    tickets' response times, ranked here as the waits are (``_p90s``).
    """
    t = tickets.c

    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= dates.start, column < dates.end)

    counted = conn.execute(
        select(
            t.assignee,
            t.skill,
            func.count().filter(within(t.created_at)),
            func.count().filter(within(t.solved_at)),
        )
        .where(or_(within(t.created_at), within(t.solved_at)))
        .group_by(t.assignee, t.skill)
    ).all()
    response = t.first_response_at - t.created_at
    answered = conn.execute(
        select(t.assignee, t.skill, response).where(within(t.first_response_at))
    ).all()
    found: dict[str, dict[Any, dict[str, Any]]] = {name: {} for name in GROUPINGS}

    def groups_of(assignee: str | None, skill: str | None) -> Iterator[dict[str, Any]]:
        """The figures a ticket counts in: overall, its skill's, its agent's (if any)."""
        for name, key in (("overall", None), ("agent", assignee), ("skill", skill)):
            if name != "agent" or key is not None:  # nobody's yet: not an agent's figures
                yield found[name].setdefault(key, {"tickets_opened": 0, "tickets_solved": 0})

    for assignee, skill, opened, solved in counted:
        for group in groups_of(assignee, skill):
            group["tickets_opened"] += opened
            group["tickets_solved"] += solved
    times: dict[int, tuple[dict[str, Any], list[float]]] = {}
    for assignee, skill, seconds in answered:
        for group in groups_of(assignee, skill):
            times.setdefault(id(group), (group, []))[1].append(seconds)
    for group, values in times.values():
        group["avg_ticket_first_response_seconds"] = sum(values) / len(values)
        group["p90_ticket_first_response_seconds"] = _nearest_rank(values, 0.9)
    return found
