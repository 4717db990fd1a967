"""Supervisors' reports over a date range: the archive's figures, overall, per agent, per skill.

A range is whole UTC days, first and last included, as a supervisor picks them; the
queries use the half-open interval [first day 00:00, day after the last 00:00) of
epoch seconds. Closed chats count on the day they closed, tickets on the day they were
opened, and the conversation counts (with the bot alone or handed off) come from the
daily copies of Redis's counts. Every query is SQLAlchemy Core that SQLite and
PostgreSQL both run: p90 is the nearest rank, picked with ROW_NUMBER() over the sorted
values, no engine's own percentile function. docs/reports.md says what each figure means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import and_, case, func, null, select
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

    def groups(self, dates: DateRange, by: str | None, sla_seconds: float) -> dict[Any, Any]:
        """One part of the report: the closed chats' figures overall (``by`` None), per
        ``"agent"`` or per ``"skill"`` (the benchmark times each)."""
        with self._engine.connect() as conn:
            return _groups(conn, *_grouping(dates, by), sla_seconds)

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
            overall = _overall(conn, dates, sla_seconds)
            agents, skills = (
                _groups(conn, *_grouping(dates, by), sla_seconds) for by in ("agent", "skill")
            )
            opened = _tickets(conn, dates)
            names = dict(
                conn.execute(
                    select(agent_accounts.c.login, agent_accounts.c.name).where(
                        agent_accounts.c.login.in_(list(agents))
                    )
                ).all()
            )
        totals = {name: sum(day[name] for day in days) for name in DAILY_FIGURES}
        for skill, row in skills.items():
            row["tickets_opened"] = opened.get(skill, 0)
        return {
            "from": dates.first.isoformat(),
            "to": dates.last.isoformat(),
            "days": days,
            "sla_seconds": sla_seconds,
            "overall": {
                **totals,
                "containment": _containment(totals),
                **overall,
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
    found = _groups(conn, *_grouping(dates, None), sla_seconds).get(None) or _empty_group()
    found["tickets_opened"] = sum(_tickets(conn, dates).values())
    return found


def _grouping(
    dates: DateRange, by: str | None
) -> tuple[ColumnElement[Any] | None, ColumnElement[bool]]:
    """The column to group by (None: one group) and the chats closed in ``dates`` it counts."""
    c = archived_conversations.c
    closed = and_(c.closed_at >= dates.start, c.closed_at < dates.end)
    if by is None:
        return None, closed
    if by == "agent":  # chats no agent took have no agent's figures
        return c.agent_id, closed & c.agent_id.isnot(None)
    return c.skill, closed


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
        "reasons": {},
        "resolutions": {},
    }


def _groups(
    conn: Connection,
    key: ColumnElement[Any] | None,
    where: ColumnElement[bool],
    sla_seconds: float,
) -> dict[Any, dict[str, Any]]:
    """The figures of the closed chats that match ``where``, by ``key`` (None: one group)."""
    c = archived_conversations.c
    wait = c.assigned_at - c.queued_at
    taken = c.assigned_at.isnot(None) & c.resolution.isnot(None)
    within_sla = c.queued_at.isnot(None) & c.assigned_at.isnot(None) & (wait <= sla_seconds)
    group = key if key is not None else null()
    query = select(
        group.label("key"),
        func.count().label("closed"),
        func.count(c.assigned_at).label("answered"),
        func.count(c.queued_at).label("queued"),
        # A NULL time makes the difference NULL, and AVG skips NULLs.
        func.avg(wait).label("avg_wait_seconds"),
        func.avg(c.first_agent_reply_at - c.assigned_at).label("avg_first_response_seconds"),
        func.avg(c.closed_at - c.assigned_at).label("avg_handle_seconds"),
        func.count(case((taken, 1))).label("taken"),
        func.count(case((taken & (c.resolution == RESOLVED), 1))).label("resolved"),
        func.avg(c.csat).label("avg_csat"),
        func.count(c.csat).label("csat_responses"),
        func.count(case((within_sla, 1))).label("within_sla"),
    ).where(where)
    if key is not None:
        query = query.group_by(key)
    groups: dict[Any, dict[str, Any]] = {}
    for row in conn.execute(query):
        if row.closed == 0:  # one group over no rows still answers a row
            continue
        groups[row.key] = {
            **_empty_group(),
            "closed": row.closed,
            "answered": row.answered,
            "avg_wait_seconds": _float(row.avg_wait_seconds),
            "avg_first_response_seconds": _float(row.avg_first_response_seconds),
            "avg_handle_seconds": _float(row.avg_handle_seconds),
            "resolution_rate": row.resolved / row.taken if row.taken else None,
            "avg_csat": _float(row.avg_csat),
            "csat_responses": row.csat_responses,
            "sla_met_rate": row.within_sla / row.queued if row.queued else None,
            "reasons": {},
            "resolutions": {},
        }
    for found, p90 in _p90(conn, key, wait, where).items():
        if found in groups:
            groups[found]["p90_wait_seconds"] = p90
    for column, name in ((c.reason, "reasons"), (c.resolution, "resolutions")):
        counted = select(group.label("key"), column, func.count()).where(where, column.isnot(None))
        counted = counted.group_by(*([key] if key is not None else []), column)
        for found, value, count in conn.execute(counted):
            if found in groups:
                groups[found][name][value] = count
    return groups


def _p90(
    conn: Connection,
    key: ColumnElement[Any] | None,
    value: ColumnElement[Any],
    where: ColumnElement[bool],
) -> dict[Any, float]:
    """The 90th percentile (nearest rank) of ``value`` per ``key``: of n values sorted, the
    one at rank ceil(0.9 n), that is the rank r with 10 r >= 9 n > 10 (r - 1)."""
    partition = [key] if key is not None else []
    ranked = (
        select(
            (key if key is not None else null()).label("key"),
            value.label("value"),
            func.row_number().over(partition_by=partition, order_by=value).label("rank"),
            func.count().over(partition_by=partition).label("n"),
        )
        .where(where, value.isnot(None))
        .subquery()
    )
    r = ranked.c
    rows = conn.execute(
        select(r.key, r.value).where(r.rank * 10 >= r.n * 9, (r.rank - 1) * 10 < r.n * 9)
    )
    return {row.key: float(row.value) for row in rows}


def _tickets(conn: Connection, dates: DateRange) -> dict[str | None, int]:
    """Tickets opened in the range, by the skill of the chat they came from."""
    c, t = archived_conversations.c, tickets.c
    rows = conn.execute(
        select(c.skill, func.count())
        .select_from(tickets.outerjoin(archived_conversations, c.id == t.conversation_id))
        .where(t.created_at >= dates.start, t.created_at < dates.end)
        .group_by(c.skill)
    )
    return {skill: count for skill, count in rows}


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
