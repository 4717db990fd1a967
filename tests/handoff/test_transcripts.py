"""Transcripts: numbered from 1 without gaps, read back exactly, card numbers masked."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
import redis

from handoff.stores.conversations import ConversationStore, UnknownConversation
from handoff.stores.keys import transcript_key
from handoff.stores.transcripts import TranscriptStore

CARD = "4111 1111 1111 1111"


@pytest.fixture
def conversation_id(conversations: ConversationStore) -> str:
    conversation_id = uuid.uuid4().hex
    conversations.open(conversation_id)
    return conversation_id


def test_sequence_numbers_start_at_one_and_reach_the_conversation(
    transcripts: TranscriptStore, conversations: ConversationStore, conversation_id: str
) -> None:
    first = transcripts.append(conversation_id, "customer", "hi")
    second = transcripts.append(conversation_id, "bot", "Hello!", data={"quick_replies": []})
    third = transcripts.append(conversation_id, "agent", "Ann here", sender="Ann Lee")
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert conversations.get(conversation_id).last_seq == 3
    assert transcripts.all(conversation_id) == [first, second, third]
    assert third.sender == "Ann Lee" and first.sender is None
    assert second.data == {"quick_replies": []}


def test_since_returns_exactly_the_later_messages_in_order(
    transcripts: TranscriptStore, conversation_id: str
) -> None:
    for n in range(1, 11):
        transcripts.append(conversation_id, "customer", f"message {n}")
    assert [m.seq for m in transcripts.since(conversation_id)] == list(range(1, 11))
    assert [m.seq for m in transcripts.since(conversation_id, 7)] == [8, 9, 10]
    assert [m.text for m in transcripts.since(conversation_id, 9)] == ["message 10"]
    assert transcripts.since(conversation_id, 10) == []
    assert transcripts.since(conversation_id, 99) == []
    assert [m.seq for m in transcripts.since(conversation_id, -3)] == list(range(1, 11))
    assert transcripts.since("never-opened") == []


def test_notes_are_for_agents_only(transcripts: TranscriptStore, conversation_id: str) -> None:
    transcripts.append(conversation_id, "customer", "hi")
    transcripts.append(conversation_id, "note", "VIP customer", sender="Ann Lee")
    transcripts.append(conversation_id, "agent", "Hello!", sender="Ann Lee")
    assert [m.kind for m in transcripts.since(conversation_id)] == ["customer", "agent"]
    assert [m.seq for m in transcripts.since(conversation_id, 1)] == [3]
    assert [m.kind for m in transcripts.since(conversation_id, 1, include_notes=True)] == [
        "note",
        "agent",
    ]


def test_card_numbers_are_masked_before_storing(
    transcripts: TranscriptStore, conversation_id: str, redis_client: redis.Redis
) -> None:
    message = transcripts.append(
        conversation_id,
        "customer",
        f"my card is {CARD}, ok?",
        data={"raw": CARD, "nested": [{"deep": f"x {CARD}"}], "amount": 42, CARD: True},
    )
    assert message.text == "my card is [card ending 1111], ok?"
    assert message.data == {
        "raw": "[card ending 1111]",
        "nested": [{"deep": "x [card ending 1111]"}],
        "amount": 42,
        "[card ending 1111]": True,
    }
    stored = redis_client.xrange(transcript_key(conversation_id))
    assert "1111 1111" not in repr(stored)
    assert transcripts.all(conversation_id) == [message]


def test_a_client_message_id_is_kept_as_sent_even_where_it_reads_as_a_card_number(
    transcripts: TranscriptStore, conversation_id: str
) -> None:
    """Found by the soak: random hex ids with a long run of digits were masked, so the
    widget never recognised the acknowledgement of its line (1 id in ~700)."""
    sent_id = "4902c758249149329267a9290357e9e4"
    message, _ = transcripts.append_once(conversation_id, sent_id, f"it is {CARD}")
    assert message.data["message_id"] == sent_id
    assert message.text == "it is [card ending 1111]"
    assert transcripts.all(conversation_id)[0].data["message_id"] == sent_id
    again, new = transcripts.append_once(conversation_id, sent_id, f"it is {CARD}")
    assert (again.seq, again.data["message_id"], new) == (message.seq, sent_id, False)


def test_appending_to_an_unknown_conversation_raises(transcripts: TranscriptStore) -> None:
    with pytest.raises(UnknownConversation):
        transcripts.append("never-opened", "customer", "hi")


def test_unknown_kinds_are_refused(transcripts: TranscriptStore, conversation_id: str) -> None:
    with pytest.raises(ValueError):
        transcripts.append(conversation_id, "shout", "hi")


def test_numbering_carries_on_after_the_transcript_is_deleted(
    transcripts: TranscriptStore, conversation_id: str
) -> None:
    transcripts.append(conversation_id, "customer", "one")
    transcripts.append(conversation_id, "customer", "two")
    transcripts.delete(conversation_id)
    assert transcripts.all(conversation_id) == []
    assert transcripts.append(conversation_id, "customer", "three").seq == 3
    assert [m.seq for m in transcripts.since(conversation_id, 2)] == [3]


def test_concurrent_appends_get_unique_gapless_numbers(
    connect: Callable[[], redis.Redis], conversations: ConversationStore, conversation_id: str
) -> None:
    """Eight writers (own connections, as separate gateway processes would have) at once."""
    writers, per_writer = 8, 250
    barrier = threading.Barrier(writers)
    numbers: dict[int, list[int]] = {}

    def write(writer: int) -> None:
        store = TranscriptStore(connect())
        barrier.wait()
        numbers[writer] = [
            store.append(conversation_id, "customer", f"{writer}:{n}").seq
            for n in range(per_writer)
        ]

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    total = writers * per_writer
    assert sorted(seq for seqs in numbers.values() for seq in seqs) == list(range(1, total + 1))
    for seqs in numbers.values():
        assert seqs == sorted(seqs)  # each writer sees its own numbers rise
    stored = TranscriptStore(connect()).all(conversation_id)
    assert [m.seq for m in stored] == list(range(1, total + 1))
    for writer in range(writers):  # each writer's messages are stored in the order it sent them
        texts = [m.text for m in stored if m.text.startswith(f"{writer}:")]
        assert texts == [f"{writer}:{n}" for n in range(per_writer)]
    assert conversations.get(conversation_id).last_seq == total
