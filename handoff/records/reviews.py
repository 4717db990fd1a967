"""Transcript review: supervisors search the archive of closed chats and score them.

Search reads ``archived_conversations`` with filters a team lead uses (a date range of
closing days, agent, skill, resolution, CSAT, handoff reason, a ticket, words of the
transcript), newest first, a page at a time. Words match anywhere in any line, bot's,
customer's or agent's, case aside, with ``%`` and ``_`` taken literally; the same SQL
runs on SQLite and PostgreSQL (SQLite folds case of ASCII letters only). A review is one
supervisor's scores on the form (records/review_form.py) and a comment; saving again
edits it. The agent of the chat reads the reviews of their own chats, nobody else's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement

from core.sql import SqlStore
from handoff.records.agents import agents as agent_accounts
from handoff.records.archive import (
    archived_conversations,
    archived_messages,
    metadata,
    reviews,
    tickets,
)
from handoff.records.reports import DateRange

PAGE_SIZE = 25
MAX_PAGE = 200
MAX_TEXT_CHARS = 200
MAX_COMMENT_CHARS = 2000
# "My reviews" lists this many, newest first.
MY_REVIEWS_SHOWN = 100
# The filters that match a column of the archive exactly.
EXACT_FILTERS = {
    "agent": "agent_id",
    "skill": "skill",
    "resolution": "resolution",
    "reason": "reason",
}


class ReviewError(Exception):
    """Base of the refusals of search and review."""


class InvalidSearch(ReviewError):
    """A filter has a value search cannot use."""


class InvalidReview(ReviewError):
    """A review's comment cannot be kept (scores are the form's to check)."""


class UnknownChat(ReviewError):
    """No archived chat has this id (or none the asker may see)."""


class NoAgent(ReviewError):
    """The chat closed without an agent (a ticket, or the customer left): nobody to review."""


@dataclass(frozen=True)
class Search:
    """What a supervisor looks for; None or "" leaves a filter out."""

    dates: DateRange
    agent: str | None = None
    skill: str | None = None
    resolution: str | None = None
    reason: str | None = None
    csat: int | None = None
    text: str = ""
    with_ticket: bool = False
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Search:
        """The search of a query string's ``args``; raises ``InvalidSearch`` saying what to fix
        (a bad range raises the reports' ``InvalidRange``)."""
        dates = DateRange.parse(args.get("from"), args.get("to"))
        exact = {name: (args.get(name) or "").strip()[:100] or None for name in EXACT_FILTERS}
        csat = _number(args.get("csat"), "csat", 1, 5)
        page = _number(args.get("page"), "page", 1, MAX_PAGE) or 1
        text = (args.get("text") or "").strip()
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidSearch(f"'text' is at most {MAX_TEXT_CHARS} characters.")
        ticket = args.get("ticket", "")
        if ticket not in ("", "0", "1"):
            raise InvalidSearch("'ticket' is 1 (only chats with a ticket) or left out.")
        return cls(dates, csat=csat, text=text, with_ticket=ticket == "1", page=page, **exact)


def _number(text: str | None, name: str, low: int, high: int) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidSearch(f"'{name}' must be a whole number from {low} to {high}.")
    return int(text)


class Reviews(SqlStore):
    """Search of the archive and the reviews kept beside it (records/archive.py makes the
    tables)."""

    metadata = metadata

    def search(self, query: Search) -> dict[str, Any]:
        """A page of the closed chats that match, newest closed first, each with its agent's
        name, ticket ids and reviewers; ``more`` when a next page has some."""
        c = archived_conversations.c
        conditions = [c.closed_at >= query.dates.start, c.closed_at < query.dates.end]
        conditions += [
            c[column] == getattr(query, name)
            for name, column in EXACT_FILTERS.items()
            if getattr(query, name) is not None
        ]
        if query.csat is not None:
            conditions.append(c.csat == query.csat)
        if query.with_ticket:
            conditions.append(exists().where(tickets.c.conversation_id == c.id))
        if query.text:
            conditions.append(_mentions(query.text))
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(c.id, c.closed_at, c.agent_id, c.skill, c.reason, c.resolution, c.csat)
                .where(*conditions)
                .order_by(c.closed_at.desc(), c.id.desc())
                .limit(PAGE_SIZE + 1)
                .offset((query.page - 1) * PAGE_SIZE)
            ).all()
            ids = [row.id for row in rows[:PAGE_SIZE]]
            found_tickets = conn.execute(
                select(tickets.c.conversation_id, tickets.c.id)
                .where(tickets.c.conversation_id.in_(ids))
                .order_by(tickets.c.created_at)
            ).all()
            reviewed = conn.execute(
                select(reviews.c.conversation_id, reviews.c.reviewer_id).where(
                    reviews.c.conversation_id.in_(ids)
                )
            ).all()
            names = _names(conn, {row.agent_id for row in rows if row.agent_id})
        by_chat: dict[str, dict[str, list[str]]] = {
            i: {"tickets": [], "reviewers": []} for i in ids
        }
        for conversation_id, ticket in found_tickets:
            by_chat[conversation_id]["tickets"].append(ticket)
        for conversation_id, reviewer in reviewed:
            by_chat[conversation_id]["reviewers"].append(reviewer)
        return {
            "page": query.page,
            "more": len(rows) > PAGE_SIZE,
            "conversations": [
                {
                    **row._asdict(),
                    "agent": names.get(row.agent_id or "", row.agent_id),
                    **by_chat[row.id],
                }
                for row in rows[:PAGE_SIZE]
            ],
        }

    def agent_names(self, logins: set[str]) -> dict[str, str]:
        """Agents' names by login, for a chat opened to review (the archive keeps logins)."""
        with self._engine.connect() as conn:
            return _names(conn, logins)

    def save(
        self,
        conversation_id: str,
        reviewer_id: str,
        scores: dict[str, Any],
        comment: str,
        now: float,
    ) -> dict[str, Any]:
        """Keep ``reviewer_id``'s review of a chat (``scores`` checked by the form already),
        replacing theirs if they had one; the review as ``of_conversation`` lists it."""
        comment = comment.strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise InvalidReview(f"The comment is at most {MAX_COMMENT_CHARS} characters.")
        c, r = archived_conversations.c, reviews.c
        values = {"scores": json.dumps(scores), "comment": comment, "updated_at": now}
        for attempt in range(2):  # a second try when the same supervisor saved twice at once
            try:
                with self._engine.begin() as conn:
                    found = conn.execute(select(c.agent_id).where(c.id == conversation_id)).first()
                    if found is None:
                        raise UnknownChat("No closed chat has this id.")
                    if found.agent_id is None:
                        raise NoAgent("No agent answered this chat: there is nobody to review.")
                    mine = (r.conversation_id == conversation_id) & (r.reviewer_id == reviewer_id)
                    if conn.execute(select(r.created_at).where(mine)).first() is None:
                        conn.execute(
                            insert(reviews).values(
                                conversation_id=conversation_id,
                                reviewer_id=reviewer_id,
                                agent_id=found.agent_id,
                                created_at=now,
                                **values,
                            )
                        )
                    else:
                        conn.execute(update(reviews).where(mine).values(**values))
                break
            except IntegrityError:
                if attempt:
                    raise
        return next(
            review
            for review in self.of_conversation(conversation_id)
            if review["reviewer_id"] == reviewer_id
        )

    def of_conversation(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every review of one chat, the first made first."""
        return self._reviews(reviews.c.conversation_id == conversation_id, reviews.c.created_at)

    def of_agent(self, agent_id: str, limit: int = MY_REVIEWS_SHOWN) -> list[dict[str, Any]]:
        """The reviews of ``agent_id``'s chats, the latest changed first, with each chat's
        closing time, skill, reason and resolution."""
        return self._reviews(reviews.c.agent_id == agent_id, reviews.c.updated_at.desc(), limit)

    def _reviews(
        self, where: ColumnElement[bool], order: Any, limit: int | None = None
    ) -> list[dict[str, Any]]:
        c, r = archived_conversations.c, reviews.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(reviews, c.closed_at, c.skill, c.reason, c.resolution, c.csat)
                .join(archived_conversations, c.id == r.conversation_id)
                .where(where)
                .order_by(order, r.reviewer_id)
                .limit(limit)
            ).all()
            names = _names(conn, {row.reviewer_id for row in rows})
        return [
            {
                **row._asdict(),
                "scores": json.loads(row.scores),
                "reviewer": names.get(row.reviewer_id, row.reviewer_id),
            }
            for row in rows
        ]


def _mentions(text: str) -> ColumnElement[bool]:
    """Chats with ``text`` in a line of the transcript (case aside, ``%`` and ``_`` literal),
    or whose ticket reference it is."""
    m = archived_messages.c
    in_transcript = exists().where(
        m.conversation_id == archived_conversations.c.id,
        func.lower(m.text).contains(text.lower(), autoescape=True),
    )
    ticket = exists().where(
        tickets.c.conversation_id == archived_conversations.c.id,
        func.upper(tickets.c.id) == text.upper(),
    )
    return or_(in_transcript, ticket)


def _names(conn: Any, logins: set[str]) -> dict[str, str]:
    """Agents' names by login; a login removed since stays a login."""
    a = agent_accounts.c
    return dict(conn.execute(select(a.login, a.name).where(a.login.in_(list(logins)))).all())
