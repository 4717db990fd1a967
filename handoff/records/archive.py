"""Closed conversations and the tables of tickets, kept in the SQL database.

Live conversations are in Redis; when one closes, the gateway archives it here
with its transcript, so Redis holds only what is live and supervisors can
report on wait, first response and handle times, resolutions and CSAT. Card
numbers are masked by the transcript store already; they are masked again on
the way in, because nothing unmasked may ever reach SQL.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateColumn

from core.mail import Outbox
from core.settings import Settings
from core.sql import SqlStore
from handoff.stores.conversations import Conversation, masked
from handoff.stores.transcripts import Message

RESOLVED = "resolved"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_EMAIL_CHARS = 320
# An agent sees this many of a customer's past conversations beside a chat.
HISTORY_SHOWN = 5


class ArchiveError(Exception):
    """Base of every error of the archive."""


class NotClosed(ArchiveError):
    """Only closed conversations are archived."""


class InvalidEmail(ArchiveError):
    """A ticket needs an email address the customer can be answered at."""


metadata = MetaData()

archived_conversations = Table(
    "archived_conversations",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("customer_id", String(200), index=True),
    Column("verified", Boolean, nullable=False),
    Column("customer", Text, nullable=False),  # JSON object
    Column("agent_id", String(64)),
    Column("skill", String(20)),
    Column("priority", String(20)),
    Column("reason", String(100)),
    Column("packet", Text),  # JSON object: the bot's handoff packet
    Column("resolution", String(40)),
    Column("csat", Integer),
    # Epoch seconds, as in Redis; NULL when the conversation never got there.
    Column("created_at", Float, nullable=False),
    Column("queued_at", Float),
    Column("assigned_at", Float),
    Column("first_agent_reply_at", Float),
    Column("closed_at", Float, nullable=False, index=True),
    Column("last_seq", Integer, nullable=False),
    Column("archived_at", Float, nullable=False),
    # Every column a report reads, after the closing time its ranges select on: a report
    # reads this index alone, never the rows with their JSON (docs/performance.md, Reports).
    Index(
        "ix_archived_conversations_report",
        "closed_at",
        "agent_id",
        "skill",
        "reason",
        "resolution",
        "queued_at",
        "assigned_at",
        "first_agent_reply_at",
        "csat",
    ),
)

archived_messages = Table(
    "archived_messages",
    metadata,
    Column(
        "conversation_id",
        String(128),
        ForeignKey("archived_conversations.id"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("sender", String(200)),
    Column("at", Float, nullable=False),
    Column("data", Text, nullable=False),  # JSON object: quick replies, status, ...
)

# Follow-ups by email (records/tickets.py owns them). Columns after created_at came with the
# console's tickets: ``upgrade`` adds them to an older database, each nullable or defaulted.
tickets = Table(
    "tickets",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("conversation_id", String(128), nullable=False, index=True),
    Column("email", String(MAX_EMAIL_CHARS), nullable=False),
    Column("created_at", Float, nullable=False, index=True),
    Column("status", String(10), nullable=False, server_default="open"),
    Column("priority", String(20), nullable=False, server_default="normal"),
    Column("skill", String(20)),
    Column("assignee", String(64)),
    Column("subject", String(200)),
    Column("due_at", Float),  # the first answer is due by then (TICKET_SLA_HOURS)
    Column("first_response_at", Float),
    Column("solved_at", Float),
    Column("updated_at", Float),
    # The inbox's lists: by status, then whose, newest change first.
    Index("ix_tickets_inbox", "status", "assignee", "updated_at"),
    # Reports: tickets solved, and first answered, in a range.
    Index("ix_tickets_solved", "solved_at"),
    Index("ix_tickets_first_response", "first_response_at"),
)

# What was written on a ticket: the customer's mail ("in"), agents' answers ("out") and
# internal notes ("note"); the client's (or the mail's) message id makes each one once.
ticket_messages = Table(
    "ticket_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", String(16), ForeignKey("tickets.id"), nullable=False),
    Column("direction", String(4), nullable=False),
    Column("author", String(MAX_EMAIL_CHARS), nullable=False),
    Column("text", Text, nullable=False),
    Column("at", Float, nullable=False),
    Column("message_id", String(200)),
    UniqueConstraint("ticket_id", "message_id", name="uq_ticket_messages_message_id"),
    Index("ix_ticket_messages_ticket", "ticket_id", "id"),
)

# Agents' state changes on tickets, each applied once per client message id: the answer of
# the first is kept and given again to a repeat (records/tickets.py, ``Tickets.once``).
ticket_commands = Table(
    "ticket_commands",
    metadata,
    Column("ticket_id", String(16), ForeignKey("tickets.id"), primary_key=True),
    Column("actor", String(64), primary_key=True),
    Column("message_id", String(64), primary_key=True),
    Column("answer", Text, nullable=False),  # JSON object
    Column("at", Float, nullable=False),
)

# Supervisors' reviews of closed chats (records/reviews.py): one per supervisor and chat,
# edited in place; the agent reviewed is copied from the chat, for "my reviews".
reviews = Table(
    "reviews",
    metadata,
    Column(
        "conversation_id",
        String(128),
        ForeignKey("archived_conversations.id"),
        primary_key=True,
    ),
    Column("reviewer_id", String(64), primary_key=True),
    Column("agent_id", String(64), nullable=False),
    Column("scores", Text, nullable=False),  # JSON object: criterion name -> answer
    Column("comment", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index("ix_reviews_agent", "agent_id", "updated_at"),
)

# Conversations per UTC day, copied from Redis (stores/daily.py), which keeps them a week:
# a chat the bot handles alone is never archived, so containment over months needs these.
daily_counts = Table(
    "daily_counts",
    metadata,
    Column("day", String(10), primary_key=True),  # "2026-11-23"
    Column("conversations", Integer, nullable=False),
    Column("bot_alone", Integer, nullable=False),
    Column("handed_off", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("updated_at", Float, nullable=False),
)
DAILY_FIGURES = ("conversations", "bot_alone", "handed_off", "answered")


class Archive(SqlStore):
    """Archived conversations and their transcripts, in the database that keeps tickets too
    (records/tickets.py works them)."""

    metadata = metadata

    def __init__(self, database_url: str, mail: Outbox | None = None) -> None:
        """Use ``database_url``; ticket mail goes through ``mail`` (default: its outbox)."""
        super().__init__(database_url)
        self._mail = mail or Outbox(database_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> Archive:
        """The archive a gateway uses: its database, and mail as the assistant sends it."""
        return cls(settings.database_url, Outbox.from_settings(settings))

    @property
    def mail(self) -> Outbox:
        """How the archive's database sends mail (tickets send theirs the same way)."""
        return self._mail

    def close(self) -> None:
        """Release the connections, after queued mail has gone out."""
        self._mail.close()
        super().close()

    def create_schema(self) -> None:
        """Create the archive's tables, and the outbox's, if missing; safe to repeat."""
        super().create_schema()
        self._mail.create_schema()

    def upgrade(self, conn: Connection) -> None:
        """Add the columns and indexes that tables made by an older version lack (``create_all``
        only makes new tables); a ticket from before tickets had a status gets its defaults."""
        for table in metadata.sorted_tables:
            columns = {column["name"] for column in inspect(conn).get_columns(table.name)}
            for column in table.columns:
                if column.name not in columns:
                    added = CreateColumn(column).compile(dialect=conn.dialect)
                    conn.execute(sql_text(f"ALTER TABLE {table.name} ADD COLUMN {added}"))
            present = {index["name"] for index in inspect(conn).get_indexes(table.name)}
            for index in table.indexes:
                if index.name not in present:
                    index.create(conn)
        t, c = tickets.c, archived_conversations.c
        chat_skill = select(c.skill).where(c.id == t.conversation_id).scalar_subquery()
        conn.execute(
            update(tickets)
            .where(t.updated_at.is_(None))
            .values(updated_at=t.created_at, skill=func.coalesce(chat_skill, "general"))
        )

    def keep_daily_counts(self, day: str, counts: dict[str, int], now: float) -> None:
        """Keep a day's counts (``DailyCounts.counts``). A day's conversations only grow: fewer
        than kept means Redis lost them (restarted without its data), and the kept row stays."""
        figures = {name: int(counts[name]) for name in DAILY_FIGURES}
        d = daily_counts.c
        for _ in range(2):  # a second try when another process inserted the day meanwhile
            try:
                with self._engine.begin() as conn:
                    kept = conn.execute(select(d.conversations).where(d.day == day)).first()
                    if kept is None:
                        conn.execute(
                            insert(daily_counts).values(day=day, updated_at=now, **figures)
                        )
                    elif figures["conversations"] >= kept.conversations:
                        conn.execute(
                            update(daily_counts)
                            .where(d.day == day)
                            .values(updated_at=now, **figures)
                        )
                return
            except IntegrityError:
                continue

    def archive(self, conversation: Conversation, messages: Iterable[Message]) -> None:
        """Store a closed conversation and its messages; safe to repeat.

        Repeating it (a retry, a rating given after the close, the same chat
        closed again after the customer came back) updates the conversation's
        fields and adds the messages not stored yet; stored messages never change.
        """
        if conversation.mode != "closed" or conversation.closed_at is None:
            raise NotClosed(f"conversation {conversation.id} is {conversation.mode}, not closed")
        row = _conversation_row(conversation)
        rows: dict[int, dict[str, Any]] = {}
        for message in messages:
            rows.setdefault(message.seq, _message_row(conversation.id, message))
        try:
            with self._engine.begin() as conn:
                _merge(conn, row, list(rows.values()))
        except IntegrityError:
            # Another gateway process archived it at the same moment: merge into theirs.
            with self._engine.begin() as conn:
                _merge(conn, row, list(rows.values()))

    def conversation(
        self, conversation_id: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """An archived conversation (with its ticket ids) and its messages by seq, or None."""
        c, m = archived_conversations.c, archived_messages.c
        with self._engine.connect() as conn:
            found = conn.execute(
                select(archived_conversations).where(c.id == conversation_id)
            ).first()
            if found is None:
                return None
            lines = conn.execute(
                select(archived_messages)
                .where(m.conversation_id == conversation_id)
                .order_by(m.seq)
            ).all()
            ticket_ids = conn.execute(
                select(tickets.c.id)
                .where(tickets.c.conversation_id == conversation_id)
                .order_by(tickets.c.created_at)
            ).scalars()
            conversation = dict(found._mapping)
            conversation["tickets"] = list(ticket_ids)
        conversation["customer"] = json.loads(conversation["customer"])
        if conversation["packet"] is not None:
            conversation["packet"] = json.loads(conversation["packet"])
        messages = [
            {
                "seq": line.seq,
                "kind": line.kind,
                "text": line.text,
                "sender": line.sender,
                "at": line.at,
                "data": json.loads(line.data),
            }
            for line in lines
        ]
        return conversation, messages

    def customer_history(
        self, customer_id: str, leave_out: str, limit: int = HISTORY_SHOWN
    ) -> list[dict[str, Any]]:
        """A verified customer's latest archived conversations (not ``leave_out``), newest
        first, each with its ticket ids: what an agent sees of their past."""
        c = archived_conversations.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(c.id, c.closed_at, c.reason, c.resolution, c.csat)
                .where(c.customer_id == customer_id, c.verified.is_(True), c.id != leave_out)
                .order_by(c.closed_at.desc())
                .limit(limit)
            ).all()
            found = conn.execute(
                select(tickets.c.conversation_id, tickets.c.id)
                .where(tickets.c.conversation_id.in_([row.id for row in rows]))
                .order_by(tickets.c.created_at)
            ).all()
        by_conversation: dict[str, list[str]] = {}
        for conversation_id, ticket in found:
            by_conversation.setdefault(conversation_id, []).append(ticket)
        return [{**row._asdict(), "tickets": by_conversation.get(row.id, [])} for row in rows]


def _merge(conn: Connection, row: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    """Insert or update the conversation; insert the messages it does not have yet."""
    c, m = archived_conversations.c, archived_messages.c
    known = conn.execute(select(c.id).where(c.id == row["id"])).first()
    if known is None:
        conn.execute(insert(archived_conversations).values(**row))
    else:
        conn.execute(update(archived_conversations).where(c.id == row["id"]).values(**row))
    stored = set(conn.execute(select(m.seq).where(m.conversation_id == row["id"])).scalars())
    new = [message for message in messages if message["seq"] not in stored]
    if new:
        conn.execute(insert(archived_messages), new)


def _conversation_row(conversation: Conversation) -> dict[str, Any]:
    customer = masked(conversation.customer or {})
    customer_id = conversation.verified_customer_id
    return {
        "id": conversation.id,
        # Verified by the website or in the chat: their later chats find this one.
        "customer_id": customer_id or customer.get("customer_id"),
        "verified": customer_id is not None,
        "customer": json.dumps(customer),
        "agent_id": conversation.agent_id,
        "skill": conversation.skill,
        "priority": conversation.priority,
        "reason": conversation.reason,
        "packet": None if conversation.packet is None else json.dumps(masked(conversation.packet)),
        "resolution": conversation.resolution,
        "csat": conversation.csat,
        "created_at": conversation.created_at,
        "queued_at": conversation.queued_at,
        "assigned_at": conversation.assigned_at,
        "first_agent_reply_at": conversation.first_agent_reply_at,
        "closed_at": conversation.closed_at,
        "last_seq": conversation.last_seq,
        "archived_at": time.time(),
    }


def _message_row(conversation_id: str, message: Message) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "seq": message.seq,
        "kind": message.kind,
        "text": masked(message.text),
        "sender": None if message.sender is None else masked(message.sender),
        "at": message.at,
        "data": json.dumps(masked(message.data or {})),
    }


def checked_email(email: str) -> str:
    """``email`` without surrounding spaces; raises ``InvalidEmail`` if it cannot be an address."""
    address = email.strip()
    if len(address) > MAX_EMAIL_CHARS or not _EMAIL.fullmatch(address):
        raise InvalidEmail("That does not look like an email address, e.g. name@example.com.")
    return address
