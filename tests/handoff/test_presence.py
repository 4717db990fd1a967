"""Agent presence: status, load from assigned chats, and the grace period after a drop."""

from __future__ import annotations

import uuid

import pytest

from handoff.stores.conversations import ConversationStore
from handoff.stores.presence import AgentState, NotOnline, Presence
from handoff.stores.queue import HandoffQueue


def test_online_agents_are_available_with_no_load(presence: Presence) -> None:
    state = presence.online("ann", "Ann Lee", ["billing", "account"], 3)
    assert state == AgentState(
        agent_id="ann",
        name="Ann Lee",
        status="available",
        skills=("billing", "account"),
        capacity=3,
        load=0,
        disconnected_at=None,
    )
    assert presence.get("ann") == state
    assert presence.get("nobody") is None
    presence.online("bob", "Bob Ray", ["general"], 2)
    assert [a.agent_id for a in presence.all()] == ["ann", "bob"]


def test_status_changes(presence: Presence) -> None:
    presence.online("ann", "Ann Lee", ["general"], 3)
    assert presence.set_status("ann", "away").status == "away"
    presence.offline("ann")
    state = presence.get("ann")
    assert state is not None and state.status == "offline"
    assert [a.status for a in presence.all()] == ["offline"]  # supervisors still see them
    with pytest.raises(ValueError):
        presence.set_status("ann", "asleep")
    with pytest.raises(NotOnline):
        presence.set_status("nobody", "away")
    with pytest.raises(NotOnline):
        presence.disconnected("nobody", 1.0)


def test_load_is_the_number_of_assigned_chats(
    presence: Presence, conversations: ConversationStore, queue: HandoffQueue
) -> None:
    presence.online("ann", "Ann Lee", ["general"], 3)
    ids = [uuid.uuid4().hex for _ in range(2)]
    for conversation_id in ids:
        conversations.open(conversation_id)
        queue.enqueue(conversation_id, "normal", "general")
        queue.claim(conversation_id, "ann")
    state = presence.get("ann")
    assert state is not None and (state.load, state.free) == (2, 1)
    assert presence.chats("ann") == set(ids)
    conversations.transition(ids[0], "closed")
    assert presence.chats("ann") == {ids[1]}
    assert [a.load for a in presence.all()] == [1]


def test_grace_expired_lists_agents_gone_longer_than_the_grace_period(
    presence: Presence,
) -> None:
    for agent_id in ("ann", "bob", "cat", "dan"):
        presence.online(agent_id, agent_id.title(), ["general"], 3)
    presence.disconnected("bob", 1000.0)
    presence.disconnected("ann", 1010.0)
    presence.disconnected("cat", 1030.0)
    state = presence.get("bob")
    assert state is not None and state.disconnected_at == 1000.0 and not state.routable

    assert presence.grace_expired(60, now=1050.0) == []
    assert presence.grace_expired(60, now=1060.0) == []  # exactly the grace period: not yet
    assert presence.grace_expired(60, now=1060.5) == ["bob"]
    assert presence.grace_expired(60, now=1080.0) == ["bob", "ann"]

    presence.online("ann", "Ann", ["general"], 3)  # reconnected in time
    presence.offline("bob")  # the gateway dealt with bob
    assert presence.grace_expired(60, now=2000.0) == ["cat"]
    ann = presence.get("ann")
    assert ann is not None and ann.disconnected_at is None and ann.routable


def test_away_survives_a_reconnect_and_offline_comes_back_available(presence: Presence) -> None:
    presence.online("ann", "Ann Lee", ["general"], 3)
    presence.set_status("ann", "away")
    presence.disconnected("ann", 1000.0)
    assert presence.get("ann").presence == "disconnected"  # type: ignore[union-attr]
    assert presence.online("ann", "Ann Lee", ["general"], 3).status == "away"  # a reload
    presence.offline("ann")
    assert presence.get("ann").presence == "offline"  # type: ignore[union-attr]
    back = presence.online("ann", "Ann Lee", ["general"], 3)  # logged in again
    assert (back.status, back.presence) == ("available", "available")


def test_reconnecting_keeps_the_chats(
    presence: Presence, conversations: ConversationStore, queue: HandoffQueue
) -> None:
    presence.online("ann", "Ann Lee", ["general"], 3)
    conversation_id = uuid.uuid4().hex
    conversations.open(conversation_id)
    queue.enqueue(conversation_id, "normal", "general")
    queue.claim(conversation_id, "ann")
    presence.disconnected("ann", 1000.0)
    state = presence.online("ann", "Ann Lee", ["general", "billing"], 4)
    assert (state.load, state.capacity, state.skills) == (1, 4, ("general", "billing"))
    assert presence.chats("ann") == {conversation_id}


def test_skills_and_routability() -> None:
    billing = AgentState("ann", "Ann", "available", ("billing",), 2, 2, None)
    assert billing.can_handle("billing") and billing.can_handle("general")
    assert not billing.can_handle("technical")
    assert billing.routable and billing.free == 0
    away = AgentState("bob", "Bob", "away", ("general",), 3, 0, None)
    assert not away.routable


def test_a_joining_agent_is_routable_only_once_ready(presence: Presence) -> None:
    """While the console is sent its state, no chat may be routed to them (see the service)."""
    joining = presence.online("ann", "Ann Lee", ["general"], 3, joining=True)
    assert joining.joining and not joining.routable
    presence.ready("ann")
    ready = presence.get("ann")
    assert ready is not None and ready.routable and not ready.joining
    presence.online("ann", "Ann Lee", ["general"], 3, joining=True)
    presence.online("ann", "Ann Lee", ["general"], 3)  # another path that does not wait
    again = presence.get("ann")
    assert again is not None and again.routable


def test_the_agents_of_a_gateway_process_that_stopped_ticking_are_disconnected_once(
    presence: Presence,
) -> None:
    """A killed process never sees its sockets close: a live one starts their grace period,
    at the dead one's last tick, unless the agent is connected to a live process too."""
    for agent in ("ann", "bob", "cat"):
        presence.online(agent, agent.title(), ["general"], 3)
    presence.held("dead", "ann")
    presence.held("dead", "bob")
    presence.held("live", "bob")  # Bob's console reconnected to the live process
    presence.held("dead", "cat")
    presence.held("dead", "cat")
    presence.released("dead", "cat")  # one of Cat's two tabs closed; the other is open
    assert presence.tick("dead", 100.0, 10) == []  # new
    assert presence.tick("live", 100.0, 10) == []
    assert presence.tick("live", 105.0, 10) == []  # the dead one is silent, not yet for long
    assert sorted(presence.tick("live", 111.0, 10)) == ["ann", "cat"]
    assert presence.grace_expired(5, 106.0) == ["ann", "cat"]  # grace counts from 100
    bob = presence.get("bob")
    assert bob is not None and bob.disconnected_at is None
    assert presence.tick("other", 111.0, 10) == []  # reaped once, by one process
    assert presence.tick("other", 112.0, 10) == []


def test_a_process_that_was_silent_itself_reaps_nobody(presence: Presence) -> None:
    """After Redis or the machine paused, every process looks silent; each gets a tick."""
    presence.online("ann", "Ann", ["general"], 3)
    presence.held("a", "ann")
    assert presence.tick("a", 100.0, 10) == []
    assert presence.tick("b", 100.0, 10) == []
    assert presence.tick("b", 130.0, 10) == []  # b was paused 30 s: a is not taken for dead
    assert presence.tick("a", 130.5, 10) == []
    state = presence.get("ann")
    assert state is not None and state.disconnected_at is None
