"""Routing: least busy agent with the skill and room; waiting chats assigned in queue order."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from handoff.service.routing import pick_agent, route_waiting
from handoff.stores.conversations import ConversationStore
from handoff.stores.presence import Presence
from handoff.stores.queue import HandoffQueue


@pytest.fixture
def load(conversations: ConversationStore, queue: HandoffQueue) -> Callable[[str], None]:
    """Give an agent one more chat, outside routing."""
    numbers = itertools.count(1)

    def assign(agent_id: str) -> None:
        conversation_id = f"load-{next(numbers)}"
        conversations.open(conversation_id)
        queue.enqueue(conversation_id, "normal", "general")
        queue.claim(conversation_id, agent_id)

    return assign


def test_pick_agent_prefers_the_least_busy_with_the_skill(
    presence: Presence, load: Callable[[str], None]
) -> None:
    presence.online("ann", "Ann", ["billing"], 3)
    presence.online("bob", "Bob", ["billing", "account"], 3)
    presence.online("cat", "Cat", ["technical"], 3)
    load("ann")
    load("bob")
    load("bob")
    picked = pick_agent(presence, "billing")
    assert picked is not None and picked.agent_id == "ann"
    picked = pick_agent(presence, "account")
    assert picked is not None and picked.agent_id == "bob"
    picked = pick_agent(presence, "general")  # anyone will do: cat has no chats
    assert picked is not None and picked.agent_id == "cat"
    assert pick_agent(presence, "legal") is None


def test_pick_agent_breaks_ties_by_name(presence: Presence) -> None:
    presence.online("z-id", "Ann", ["general"], 3)
    presence.online("a-id", "Bob", ["general"], 3)
    picked = pick_agent(presence, "general")
    assert picked is not None and picked.agent_id == "z-id"


def test_pick_agent_skips_away_disconnected_and_full_agents(
    presence: Presence, load: Callable[[str], None]
) -> None:
    presence.online("away", "Ann", ["general"], 3)
    presence.set_status("away", "away")
    presence.online("gone", "Bob", ["general"], 3)
    presence.disconnected("gone", 1000.0)
    presence.online("full", "Cat", ["general"], 1)
    load("full")
    presence.online("off", "Dan", ["general"], 3)
    presence.offline("off")
    assert pick_agent(presence, "general") is None
    presence.online("busy", "Eve", ["general"], 5)
    for _ in range(4):
        load("busy")
    picked = pick_agent(presence, "general")
    assert picked is not None and picked.agent_id == "busy"


def test_route_waiting_assigns_in_queue_order_to_agents_with_room(
    presence: Presence, conversations: ConversationStore, queue: HandoffQueue
) -> None:
    presence.online("ann", "Ann", ["billing"], 2)
    presence.online("bob", "Bob", ["general"], 1)
    for name, priority, skill in [
        ("n-billing", "normal", "billing"),
        ("n-general", "normal", "general"),
        ("u-tech", "urgent", "technical"),
        ("h-billing", "high", "billing"),
        ("n-billing-2", "normal", "billing"),
        ("n-general-2", "normal", "general"),
    ]:
        conversations.open(name)
        queue.enqueue(name, priority, skill)

    pairs = route_waiting(queue, presence)
    # Nobody handles u-tech; ann takes both billing chats she has room for; bob one general.
    assert pairs == [("h-billing", "ann"), ("n-billing", "ann"), ("n-general", "bob")]
    assert [e.conversation_id for e in queue.entries()] == ["u-tech", "n-billing-2", "n-general-2"]
    assert presence.chats("ann") == {"h-billing", "n-billing"}
    assert route_waiting(queue, presence) == []

    presence.online("tec", "Tec", ["technical"], 3)
    assert route_waiting(queue, presence) == [("u-tech", "tec"), ("n-general-2", "tec")]


def test_route_waiting_spreads_load_least_busy_first(
    presence: Presence, conversations: ConversationStore, queue: HandoffQueue
) -> None:
    for agent_id in ("ann", "bob", "cat"):
        presence.online(agent_id, agent_id.title(), ["general"], 3)
    for n in range(7):
        conversations.open(f"c{n}")
        queue.enqueue(f"c{n}", "normal", "general")
    pairs = route_waiting(queue, presence)
    assert [agent for _, agent in pairs] == ["ann", "bob", "cat", "ann", "bob", "cat", "ann"]
    assert sorted(a.load for a in presence.all()) == [2, 2, 3]
