"""The queue: priority then arrival, positions, exclusive claims, waits and SLA breaches."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from handoff.stores.conversations import ConversationStore, InvalidTransition, UnknownConversation
from handoff.stores.presence import Presence
from handoff.stores.queue import (
    DEFAULT_HANDLE_TIME,
    AgentUnavailable,
    AtCapacity,
    HandoffQueue,
    NotQueued,
    QueueEntry,
)

Enqueue = Callable[..., QueueEntry]


@pytest.fixture
def enqueue(conversations: ConversationStore, queue: HandoffQueue) -> Enqueue:
    """Open the conversation ``name`` and queue it."""

    def make(
        name: str, priority: str = "normal", skill: str = "general", front: bool = False
    ) -> QueueEntry:
        conversations.open(name)
        return queue.enqueue(name, priority, skill, front=front)

    return make


def ids(entries: list[QueueEntry]) -> list[str]:
    return [entry.conversation_id for entry in entries]


def test_priority_first_then_first_come_first_served(enqueue: Enqueue, queue: HandoffQueue) -> None:
    enqueue("n1")
    enqueue("h1", "high")
    enqueue("n2")
    enqueue("u1", "urgent")
    enqueue("h2", "high")
    last = enqueue("u2", "urgent")
    assert last.position == 2
    entries = queue.entries()
    assert ids(entries) == ["u1", "u2", "h1", "h2", "n1", "n2"]
    assert [e.position for e in entries] == [1, 2, 3, 4, 5, 6]
    assert [e.priority for e in entries] == ["urgent"] * 2 + ["high"] * 2 + ["normal"] * 2
    assert all(e.skill == "general" for e in entries)
    assert [queue.position(name) for name in ("u1", "n2")] == [1, 6]
    assert queue.position("not-queued") is None


def test_front_goes_before_everything_of_its_priority_only(
    enqueue: Enqueue, queue: HandoffQueue
) -> None:
    enqueue("u1", "urgent")
    enqueue("n1")
    enqueue("n2")
    assert enqueue("back", front=True).position == 2
    enqueue("n3")
    enqueue("back2", front=True)  # the latest one sent to the front is first
    enqueue("h1", "high", front=True)
    assert ids(queue.entries()) == ["u1", "h1", "back2", "back", "n1", "n2", "n3"]


def test_positions_move_up_when_a_chat_leaves_the_queue(
    enqueue: Enqueue, queue: HandoffQueue, conversations: ConversationStore
) -> None:
    for name in ("a", "b", "c", "d"):
        enqueue(name)
    conversations.transition("b", "bot")  # back to the bot
    assert [queue.position(name) for name in ("a", "b", "c", "d")] == [1, None, 2, 3]
    conversations.transition("a", "closed")  # left an email instead
    assert [e.position for e in queue.entries()] == [1, 2]
    assert ids(queue.entries()) == ["c", "d"]


def test_entries_per_skill_are_positioned_among_themselves(
    enqueue: Enqueue, queue: HandoffQueue
) -> None:
    enqueue("g1")
    enqueue("b1", skill="billing")
    enqueue("g2")
    enqueue("b2", "urgent", skill="billing")
    billing = queue.entries("billing")
    assert ids(billing) == ["b2", "b1"]
    assert [e.position for e in billing] == [1, 2]
    assert queue.position("b1") == 3
    assert queue.entries("technical") == []


def test_enqueue_validates_and_needs_an_allowed_edge(
    enqueue: Enqueue, queue: HandoffQueue, conversations: ConversationStore
) -> None:
    enqueue("a")
    with pytest.raises(InvalidTransition):
        queue.enqueue("a", "normal", "general")  # already waiting
    assert queue.position("a") == 1 and len(queue.entries()) == 1
    with pytest.raises(UnknownConversation):
        queue.enqueue("never-opened", "normal", "general")
    conversations.open("b")
    with pytest.raises(ValueError):
        queue.enqueue("b", "asap", "general")
    with pytest.raises(ValueError):
        queue.enqueue("b", "normal", "")
    conversations.transition("b", "closed")
    with pytest.raises(InvalidTransition):
        queue.enqueue("b", "normal", "general")
    assert queue.position("b") is None


def test_requeueing_from_an_agent_frees_them_and_goes_to_the_front(
    enqueue: Enqueue, queue: HandoffQueue, presence: Presence, conversations: ConversationStore
) -> None:
    presence.online("ann", "Ann Lee", ["general"], 3)
    enqueue("mine")
    queue.claim("mine", "ann")
    enqueue("waiting")
    entry = queue.enqueue("mine", "normal", "general", front=True)
    assert entry.position == 1
    assert presence.chats("ann") == set()
    conversation = conversations.get("mine")
    assert (conversation.mode, conversation.agent_id) == ("queued", None)


def test_claim_assigns_once(
    enqueue: Enqueue, queue: HandoffQueue, presence: Presence, conversations: ConversationStore
) -> None:
    presence.online("ann", "Ann Lee", ["general"], 3)
    presence.online("bob", "Bob Ray", ["general"], 3)
    enqueue("a")
    enqueue("b")
    claimed = queue.claim("a", "ann")
    assert (claimed.mode, claimed.agent_id) == ("assigned", "ann")
    assert claimed.assigned_at is not None
    assert conversations.get("a") == claimed
    with pytest.raises(NotQueued):
        queue.claim("a", "bob")
    with pytest.raises(NotQueued):
        queue.claim("never-queued", "bob")
    assert ids(queue.entries()) == ["b"]
    assert presence.chats("ann") == {"a"} and presence.chats("bob") == set()


def test_claim_respects_capacity_and_presence(
    enqueue: Enqueue, queue: HandoffQueue, presence: Presence
) -> None:
    presence.online("ann", "Ann Lee", ["general"], 1)
    for name in ("a", "b", "c"):
        enqueue(name)
    queue.claim("a", "ann")
    with pytest.raises(AtCapacity):
        queue.claim("b", "ann")
    with pytest.raises(AgentUnavailable):
        queue.claim("b", "nobody")
    presence.online("bob", "Bob Ray", ["general"], 3)
    presence.disconnected("bob", time.time())
    with pytest.raises(AgentUnavailable):
        queue.claim("b", "bob")
    presence.online("bob", "Bob Ray", ["general"], 3)
    presence.set_status("bob", "away")
    assert queue.claim("b", "bob").agent_id == "bob"  # away: no routing, but may pick by hand
    presence.offline("bob")
    with pytest.raises(AgentUnavailable):
        queue.claim("c", "bob")
    assert ids(queue.entries()) == ["c"]


def test_estimated_wait_needs_an_agent_with_the_skill(
    enqueue: Enqueue, queue: HandoffQueue, presence: Presence
) -> None:
    enqueue("b1", skill="billing")
    assert queue.estimated_wait("b1") is None  # nobody online
    presence.online("tec", "Tec", ["technical"], 3)
    assert queue.estimated_wait("b1") is None  # nobody with the skill
    presence.online("ann", "Ann", ["billing"], 2)
    presence.set_status("ann", "away")
    assert queue.estimated_wait("b1") is None  # away agents take no new chats
    presence.set_status("ann", "available")
    assert queue.estimated_wait("b1") == 0.0  # a free slot: taken at once
    assert queue.estimated_wait("not-queued") is None


def test_estimated_wait_formula(enqueue: Enqueue, queue: HandoffQueue, presence: Presence) -> None:
    """wait = max(0, position - free slots) * mean handle time / total capacity."""
    presence.online("ann", "Ann", ["general"], 2)
    presence.online("bob", "Bob", ["general"], 2)
    enqueue("taken")
    queue.claim("taken", "ann")  # capacity 4, free 3
    for n in range(6):
        enqueue(f"w{n}")
    waits = [queue.estimated_wait(f"w{n}") for n in range(6)]
    h = DEFAULT_HANDLE_TIME
    assert waits == [0.0, 0.0, 0.0, h / 4, 2 * h / 4, 3 * h / 4]

    for seconds in (100, 200, 300):
        queue.record_handle_time(seconds)
    assert queue.estimated_wait("w5") == 3 * 200 / 4


def test_mean_handle_time_is_over_the_last_twenty(
    enqueue: Enqueue, queue: HandoffQueue, presence: Presence
) -> None:
    presence.online("ann", "Ann", ["general"], 1)
    enqueue("taken")
    queue.claim("taken", "ann")
    enqueue("w")  # position 1, no free slot, capacity 1: wait = mean handle time
    assert queue.estimated_wait("w") == DEFAULT_HANDLE_TIME
    for _ in range(30):
        queue.record_handle_time(1000)
    for _ in range(20):
        queue.record_handle_time(60)
    assert queue.estimated_wait("w") == 60
    with pytest.raises(ValueError):
        queue.record_handle_time(-1)


def test_overdue_lists_chats_waiting_past_the_sla(enqueue: Enqueue, queue: HandoffQueue) -> None:
    first = enqueue("old")
    enqueue("urgent", "urgent")
    now = first.queued_at + 100
    assert queue.overdue(200, now=now) == []
    overdue = queue.overdue(50, now=now)
    assert ids(overdue) == ["urgent", "old"]  # in queue order
    assert overdue[1].position == 2
    assert ids(queue.overdue(3600)) == []
