"""The conversation state machine: exactly the allowed edges, with ownership kept in step."""

from __future__ import annotations

import itertools
import time
import uuid

import pytest
import redis

from handoff.stores.conversations import (
    BOT_QUIET_SECONDS,
    MODES,
    ConversationStore,
    InvalidTransition,
    UnknownConversation,
)
from handoff.stores.keys import LIVE_KEY, QUEUE_KEY, conversation_key
from handoff.stores.presence import Presence
from handoff.stores.queue import HandoffQueue
from handoff.stores.transcripts import TranscriptStore

# The edges of the contract, written out rather than read from the code under test.
ALLOWED = {
    ("bot", "queued"),
    ("queued", "assigned"),
    ("assigned", "assigned"),
    ("assigned", "bot"),
    ("assigned", "closed"),
    ("queued", "closed"),
    ("bot", "closed"),
    ("assigned", "queued"),
    ("queued", "bot"),
    ("closed", "bot"),
}
CARD = "4111 1111 1111 1111"


def new_id() -> str:
    return uuid.uuid4().hex


def reach(
    mode: str, conversations: ConversationStore, queue: HandoffQueue, presence: Presence
) -> str:
    """A new conversation brought to ``mode`` along allowed edges."""
    conversation_id = new_id()
    conversations.open(conversation_id)
    if mode in ("queued", "assigned"):
        queue.enqueue(conversation_id, "normal", "general")
    if mode == "assigned":
        presence.online("ann", "Ann Lee", ["general"], 3)
        queue.claim(conversation_id, "ann")
    if mode == "closed":
        conversations.transition(conversation_id, "closed")
    return conversation_id


def move(
    conversation_id: str, to: str, conversations: ConversationStore, queue: HandoffQueue
) -> None:
    if to == "queued":
        queue.enqueue(conversation_id, "normal", "general")
    elif to == "assigned":
        conversations.transition(conversation_id, "assigned", agent_id="bob")
    else:
        conversations.transition(conversation_id, to)


@pytest.mark.parametrize(("start", "to"), list(itertools.product(MODES, MODES)))
def test_exactly_the_contract_edges_are_allowed(
    start: str,
    to: str,
    conversations: ConversationStore,
    queue: HandoffQueue,
    presence: Presence,
    redis_client: redis.Redis,
) -> None:
    conversation_id = reach(start, conversations, queue, presence)
    before = redis_client.hgetall(conversation_key(conversation_id))
    if (start, to) in ALLOWED:
        move(conversation_id, to, conversations, queue)
        assert conversations.get(conversation_id).mode == to
    else:
        with pytest.raises(InvalidTransition):
            move(conversation_id, to, conversations, queue)
        assert redis_client.hgetall(conversation_key(conversation_id)) == before


def test_the_edge_table_has_ten_edges() -> None:
    assert len(ALLOWED) == 10
    assert len(list(itertools.product(MODES, MODES))) - len(ALLOWED) == 6


def test_transition_refuses_to_queue_without_a_place_in_the_queue(
    conversations: ConversationStore,
) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id)
    with pytest.raises(ValueError, match="enqueue"):
        conversations.transition(conversation_id, "queued")
    assert conversations.get(conversation_id).mode == "bot"


def test_expected_modes_guard_against_a_stale_view(conversations: ConversationStore) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id)
    with pytest.raises(InvalidTransition):
        conversations.transition(conversation_id, "closed", expected={"assigned"})
    assert conversations.transition(conversation_id, "closed", expected={"bot"}).mode == "closed"


def test_assigning_needs_an_agent(
    conversations: ConversationStore, queue: HandoffQueue, presence: Presence
) -> None:
    conversation_id = reach("assigned", conversations, queue, presence)
    with pytest.raises(InvalidTransition, match="agent_id"):
        conversations.transition(conversation_id, "assigned")
    assert conversations.get(conversation_id).agent_id == "ann"


def test_unknown_conversations_raise(conversations: ConversationStore) -> None:
    with pytest.raises(UnknownConversation):
        conversations.get("nope")
    with pytest.raises(UnknownConversation):
        conversations.transition("nope", "closed")
    with pytest.raises(UnknownConversation):
        conversations.set_fields("nope", csat=5)


def test_open_creates_once_and_returns_the_existing_one(
    conversations: ConversationStore, redis_client: redis.Redis
) -> None:
    conversation_id = new_id()
    before = time.time()
    first = conversations.open(conversation_id, {"customer_id": "C1", "verified": True})
    assert first.mode == "bot"
    assert first.customer == {"customer_id": "C1", "verified": True}
    assert before <= first.created_at <= time.time()
    assert first.last_seq == 0
    conversations.transition(conversation_id, "closed")
    again = conversations.open(conversation_id, {"customer_id": "other"})
    assert again.mode == "closed"
    assert again.customer == {"customer_id": "C1", "verified": True}
    assert conversations.open(new_id()).customer == {}


def test_ownership_follows_the_mode(
    conversations: ConversationStore,
    queue: HandoffQueue,
    presence: Presence,
    redis_client: redis.Redis,
) -> None:
    """Transfer moves the chat between agents; hand back frees the agent; close leaves live."""
    presence.online("bob", "Bob Ray", ["general"], 3)
    conversation_id = reach("assigned", conversations, queue, presence)
    assert presence.chats("ann") == {conversation_id}

    moved = conversations.transition(conversation_id, "assigned", agent_id="bob")
    assert moved.agent_id == "bob"
    assert presence.chats("ann") == set()
    assert presence.chats("bob") == {conversation_id}

    back = conversations.transition(conversation_id, "bot")
    assert back.agent_id is None
    assert presence.chats("bob") == set()
    assert redis_client.zscore(LIVE_KEY, conversation_id) is not None

    conversations.transition(conversation_id, "closed")
    assert redis_client.zscore(LIVE_KEY, conversation_id) is None


def test_leaving_the_queue_removes_the_entry(
    conversations: ConversationStore,
    queue: HandoffQueue,
    presence: Presence,
    redis_client: redis.Redis,
) -> None:
    conversation_id = reach("queued", conversations, queue, presence)
    assert queue.position(conversation_id) == 1
    conversations.transition(conversation_id, "bot")
    assert queue.position(conversation_id) is None
    assert redis_client.zcard(QUEUE_KEY) == 0


def test_timestamps_are_stamped_on_entering_a_mode(
    conversations: ConversationStore, queue: HandoffQueue, presence: Presence
) -> None:
    before = time.time()
    conversation_id = reach("assigned", conversations, queue, presence)
    assigned = conversations.get(conversation_id)
    assert assigned.queued_at is not None and assigned.assigned_at is not None
    assert before <= assigned.queued_at <= assigned.assigned_at <= time.time()

    transferred = conversations.transition(conversation_id, "assigned", agent_id="bob")
    assert transferred.assigned_at == assigned.assigned_at  # a transfer is not a new wait

    closed = conversations.transition(conversation_id, "closed", resolution="resolved")
    assert closed.closed_at is not None and closed.closed_at >= assigned.assigned_at
    assert closed.resolution == "resolved"
    given = conversations.transition(
        reach("bot", conversations, queue, presence), "closed", closed_at=12.5
    )
    assert given.closed_at == 12.5


def test_a_new_handoff_starts_from_clean_fields(
    conversations: ConversationStore, queue: HandoffQueue, presence: Presence
) -> None:
    conversation_id = reach("assigned", conversations, queue, presence)
    conversations.set_fields(conversation_id, first_agent_reply_at=100.0)
    conversations.transition(conversation_id, "closed", resolution="resolved")
    conversations.set_fields(conversation_id, csat=4)
    restarted = conversations.transition(conversation_id, "bot")
    assert (restarted.resolution, restarted.csat, restarted.closed_at) == (None, None, None)
    assert restarted.first_agent_reply_at is None and restarted.skill is None

    queue.enqueue(conversation_id, "high", "billing", reason="request_human", packet={"a": 1})
    again = conversations.get(conversation_id)
    assert (again.priority, again.skill, again.reason, again.packet) == (
        "high",
        "billing",
        "request_human",
        {"a": 1},
    )
    assert again.assigned_at is None


def test_set_fields_keeps_the_first_agent_reply(conversations: ConversationStore) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id)
    conversations.set_fields(conversation_id, first_agent_reply_at=10.0)
    conversations.set_fields(conversation_id, first_agent_reply_at=20.0, csat=5)
    conversation = conversations.get(conversation_id)
    assert conversation.first_agent_reply_at == 10.0
    assert conversation.csat == 5


@pytest.mark.parametrize("rating", [0, 6, True, "5", 4.5])
def test_csat_is_a_whole_number_from_one_to_five(
    rating: object, conversations: ConversationStore
) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id)
    with pytest.raises(ValueError):
        conversations.set_fields(conversation_id, csat=rating)


def test_owner_and_mode_cannot_be_set_as_fields(conversations: ConversationStore) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id)
    for field in ("mode", "agent_id", "skill", "queued_at"):
        with pytest.raises(TypeError):
            conversations.set_fields(conversation_id, **{field: "x"})
    with pytest.raises(TypeError):
        conversations.transition(conversation_id, "closed", mode="bot")


def test_card_numbers_never_reach_the_conversation_hash(
    conversations: ConversationStore, queue: HandoffQueue, redis_client: redis.Redis
) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id, {"name": f"pays with {CARD}"})
    queue.enqueue(
        conversation_id,
        "normal",
        "billing",
        reason="failed_task",
        packet={"transcript": [{"text": f"my card is {CARD}"}], "slots": {CARD: [CARD]}},
    )
    conversations.transition(conversation_id, "closed", resolution=f"refunded {CARD}")
    stored = redis_client.hgetall(conversation_key(conversation_id))
    assert "1111 1111" not in repr(stored)
    conversation = conversations.get(conversation_id)
    assert conversation.packet is not None
    assert conversation.packet["transcript"][0]["text"] == "my card is [card ending 1111]"
    assert conversation.customer == {"name": "pays with [card ending 1111]"}


def test_live_lists_every_open_conversation_oldest_first(
    conversations: ConversationStore, queue: HandoffQueue, presence: Presence
) -> None:
    ids = [reach(mode, conversations, queue, presence) for mode in MODES]
    live = conversations.live()
    assert [c.id for c in live] == ids[:3]
    assert [c.mode for c in live] == ["bot", "queued", "assigned"]


def test_a_chat_quiet_with_the_bot_stops_being_live_until_the_customer_writes(
    conversations: ConversationStore,
    queue: HandoffQueue,
    presence: Presence,
    transcripts: TranscriptStore,
) -> None:
    with_bot = reach("bot", conversations, queue, presence)
    queued = reach("queued", conversations, queue, presence)
    transcripts.append(with_bot, "customer", "hello")
    later = time.time() + BOT_QUIET_SECONDS + 1
    # Quiet that long: the bot's chat is over for supervisors; one waiting for a person is not.
    assert [c.id for c in conversations.live(now=later)] == [queued]
    assert [c.id for c in conversations.live()] == [with_bot, queued]
    assert conversations.get(with_bot).last_message_at is not None


def test_stores_need_a_client_that_decodes(redis_client: redis.Redis) -> None:
    raw = redis.Redis(
        connection_pool=redis.ConnectionPool(
            **{**redis_client.connection_pool.connection_kwargs, "decode_responses": False}
        )
    )
    with pytest.raises(ValueError, match="decode_responses"):
        ConversationStore(raw)


def test_an_untaken_handoff_is_kept_only_while_the_bot_has_the_chat(
    conversations: ConversationStore, queue: HandoffQueue
) -> None:
    conversation_id = new_id()
    conversations.open(conversation_id)
    packet = {"reason": "explicit_request", "note": "card 4111 1111 1111 1111"}
    conversations.keep_untaken_handoff(conversation_id, "billing", "high", None, packet)
    kept = conversations.get(conversation_id)
    assert (kept.mode, kept.skill, kept.priority, kept.reason) == ("bot", "billing", "high", None)
    assert kept.packet is not None and "4111 1111" not in kept.packet["note"]
    queue.enqueue(conversation_id, "normal", "general", reason="failed_task", packet={})
    with pytest.raises(InvalidTransition):
        conversations.keep_untaken_handoff(conversation_id, "billing", "high", None, packet)
    assert conversations.get(conversation_id).skill == "general"
    with pytest.raises(UnknownConversation):
        conversations.keep_untaken_handoff(new_id(), "billing", "high", None, packet)
