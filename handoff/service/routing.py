"""Routing: which agent gets a waiting chat.

The least busy connected, available agent who handles the chat's skill and has
room; ties go by name. Assignment itself is ``HandoffQueue.claim``, so routers in
several gateway processes may run at once without assigning a chat twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from handoff.stores.presence import AgentState, Presence
from handoff.stores.queue import AtCapacity, HandoffQueue, NotQueued


def pick_agent(presence: Presence, skill: str) -> AgentState | None:
    """The agent a chat needing ``skill`` should go to, or None if nobody can take it."""
    return _least_busy(presence.all(), skill)


def route_waiting(queue: HandoffQueue, presence: Presence) -> list[tuple[str, str]]:
    """Assign waiting chats, in queue order, to free agents; returns (conversation, agent) pairs.

    Works from one snapshot of the agents: a claim that fails because the agent
    filled up meanwhile drops them and tries the next one; a chat taken by
    someone else is skipped.
    """
    agents = {a.agent_id: a for a in presence.all() if a.routable and a.free}
    assigned: list[tuple[str, str]] = []
    for entry in queue.entries():
        if not agents:
            break
        while (agent := _least_busy(agents.values(), entry.skill)) is not None:
            try:
                queue.claim(entry.conversation_id, agent.agent_id)
            except AtCapacity:
                del agents[agent.agent_id]
                continue
            except NotQueued:
                break
            assigned.append((entry.conversation_id, agent.agent_id))
            agents[agent.agent_id] = replace(agent, load=agent.load + 1)
            if not agents[agent.agent_id].free:
                del agents[agent.agent_id]
            break
    return assigned


def _least_busy(agents: Iterable[AgentState], skill: str) -> AgentState | None:
    candidates = [a for a in agents if a.routable and a.free and a.can_handle(skill)]
    return min(candidates, key=lambda a: (a.load, a.name, a.agent_id), default=None)
