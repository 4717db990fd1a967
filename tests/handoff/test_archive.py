"""The archive on a real SQLite file: closed conversations, tickets, supervisors' figures.

Conversations and messages are built directly here (they are plain dataclasses);
the Redis stores that make them are tested in their own files.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.mail import Outbox
from handoff.records.archive import Archive, NotClosed
from handoff.stores.conversations import Conversation, ConversationStore
from handoff.stores.transcripts import Message, TranscriptStore

CARD = "4111 1111 1111 1111"
T0 = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC, before any ticket a test makes


def closed(conversation_id: str = "conv-1", **fields: Any) -> Conversation:
    """A conversation an agent took and closed, unless ``fields`` say otherwise."""
    values: dict[str, Any] = {
        "id": conversation_id,
        "mode": "closed",
        "agent_id": "ann",
        "skill": "billing",
        "priority": "high",
        "reason": "failed_task",
        "packet": {"reason": "failed_task", "slots": {"customer_id": "ACC-1001"}},
        "customer": {"customer_id": "ACC-1001", "verified": True, "name": "Dana"},
        "created_at": T0,
        "queued_at": T0 + 10,
        "assigned_at": T0 + 40,
        "first_agent_reply_at": T0 + 50,
        "closed_at": T0 + 340,
        "resolution": "resolved",
        "csat": None,
        "last_seq": 4,
    }
    values.update(fields)
    return Conversation(**values)


def message(seq: int, kind: str, text: str, sender: str | None = None, **data: Any) -> Message:
    return Message(seq=seq, kind=kind, text=text, sender=sender, at=T0 + seq, data=data)


MESSAGES = [
    message(1, "customer", "I was charged twice"),
    message(
        2, "bot", "Let me get you a person.", quick_replies=[{"title": "OK", "payload": "/ok"}]
    ),
    message(3, "system", "Ann has joined the chat.", status="assigned"),
    message(4, "agent", "Hi Dana, I see the double charge.", sender="Ann Lee"),
]


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "tandem.db"


@pytest.fixture
def archive(database_path: Path) -> Iterator[Archive]:
    store = Archive(f"sqlite:///{database_path}")
    store.create_schema()
    yield store
    store.close()


@pytest.fixture
def outbox(database_path: Path) -> Iterator[Outbox]:
    """The mail the archive sent, read the way the operator reads it."""
    client = Outbox(f"sqlite:///{database_path}")
    yield client
    client.close()


def dump(database_path: Path) -> str:
    with sqlite3.connect(database_path) as db:
        return "\n".join(db.iterdump())


def count(database_path: Path, table: str) -> int:
    with sqlite3.connect(database_path) as db:
        number: int = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return number


# --- archiving ------------------------------------------------------------------------


def test_archive_keeps_the_conversation_and_its_transcript(archive: Archive) -> None:
    archive.archive(closed(), MESSAGES)
    found = archive.conversation("conv-1")
    assert found is not None
    conversation, messages = found
    assert conversation["customer"] == {"customer_id": "ACC-1001", "verified": True, "name": "Dana"}
    assert (conversation["customer_id"], conversation["verified"]) == ("ACC-1001", True)
    assert conversation["packet"] == closed().packet
    assert (conversation["agent_id"], conversation["skill"], conversation["priority"]) == (
        "ann",
        "billing",
        "high",
    )
    assert (conversation["queued_at"], conversation["closed_at"]) == (T0 + 10, T0 + 340)
    assert (conversation["resolution"], conversation["csat"]) == ("resolved", None)
    assert conversation["tickets"] == []
    assert messages == [dataclasses.asdict(m) for m in MESSAGES]


def test_an_unknown_conversation_is_none(archive: Archive) -> None:
    assert archive.conversation("nope") is None


@pytest.mark.parametrize("mode", ["bot", "queued", "assigned"])
def test_only_closed_conversations_are_archived(
    archive: Archive, database_path: Path, mode: str
) -> None:
    with pytest.raises(NotClosed, match=f"conv-1 is {mode}"):
        archive.archive(closed(mode=mode, closed_at=None), MESSAGES)
    assert count(database_path, "archived_conversations") == 0


def test_archiving_again_updates_fields_and_adds_only_new_messages(
    archive: Archive, database_path: Path
) -> None:
    archive.archive(closed(), MESSAGES)
    archive.archive(closed(), MESSAGES)  # a retry changes nothing
    assert count(database_path, "archived_messages") == 4

    # Rated after the close; then the customer came back, and the chat closed again.
    rewritten = [message(1, "customer", "changed text"), *MESSAGES[1:]]
    later = [*rewritten, message(5, "system", "Thanks!", status="rated")]
    archive.archive(closed(csat=4, last_seq=5), later)
    found = archive.conversation("conv-1")
    assert found is not None
    conversation, messages = found
    assert (conversation["csat"], conversation["last_seq"]) == (4, 5)
    assert [m["seq"] for m in messages] == [1, 2, 3, 4, 5]
    assert messages[0]["text"] == "I was charged twice"  # stored messages never change
    assert count(database_path, "archived_conversations") == 1


def test_card_numbers_are_masked_again_on_the_way_in(archive: Archive, database_path: Path) -> None:
    conversation = closed(
        packet={"transcript": [{"text": f"my card is {CARD}"}], "slots": {"note": CARD}},
        customer={"customer_id": "ACC-1001", "verified": False, "name": CARD},
    )
    lines = [
        message(1, "customer", f"card {CARD} please", extra=[CARD]),
        message(2, "agent", "noted", sender=f"Ann {CARD}"),
    ]
    archive.archive(conversation, lines)
    everything = dump(database_path)
    assert "1111" in everything  # the last four digits stay, in "[card ending 1111]"
    assert CARD not in everything and CARD.replace(" ", "") not in everything
    found = archive.conversation("conv-1")
    assert found is not None
    assert found[1][0]["text"] == "card [card ending 1111] please"
    assert found[1][0]["data"] == {"extra": ["[card ending 1111]"]}


def test_schema_creation_is_idempotent(archive: Archive) -> None:
    archive.archive(closed(), MESSAGES)
    archive.create_schema()
    assert archive.conversation("conv-1") is not None


def test_a_chat_from_the_redis_stores_is_archived_whole(
    archive: Archive,
    conversations: ConversationStore,
    transcripts: TranscriptStore,
    database_path: Path,
) -> None:
    conversations.open("live-1", {"customer_id": "ACC-1001", "verified": True, "name": "Dana"})
    transcripts.append("live-1", "customer", f"my card is {CARD}")
    transcripts.append("live-1", "bot", "Please never send card numbers here.")
    conversations.transition("live-1", "closed", closed_at=T0 + 60)
    archive.archive(conversations.get("live-1"), transcripts.all("live-1"))
    found = archive.conversation("live-1")
    assert found is not None
    conversation, messages = found
    assert (conversation["last_seq"], conversation["closed_at"]) == (2, T0 + 60)
    assert [(m["seq"], m["kind"]) for m in messages] == [(1, "customer"), (2, "bot")]
    assert messages[0]["text"] == "my card is [card ending 1111]"
    assert CARD not in dump(database_path)
