"""Fifty agents racing for a thousand queued chats: no chat assigned twice, no agent overfull."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import redis

from core.vocabulary import PRIORITIES
from handoff.stores.conversations import ConversationStore
from handoff.stores.presence import Presence
from handoff.stores.queue import AtCapacity, HandoffQueue, NotQueued

AGENTS = 50
CHATS = 1000


def capacity_of(agent: int) -> int:
    return 3 + agent % 5  # 3..7, 250 slots in all


def race(connect: Callable[[], redis.Redis], agents: list[str]) -> tuple[dict[str, list[str]], int]:
    """Every agent, on its own connection, claims from the head of the queue until it is
    full or the queue is empty; returns what each one got and how many claims lost a race."""
    barrier = threading.Barrier(len(agents))
    claimed: dict[str, list[str]] = {}
    lost: list[int] = []
    errors: list[BaseException] = []

    def work(agent_id: str) -> None:
        client = connect()
        queue = HandoffQueue(client, ConversationStore(client))
        mine: list[str] = []
        misses = 0
        barrier.wait()
        try:
            while entries := queue.entries():
                for entry in entries:
                    try:
                        queue.claim(entry.conversation_id, agent_id)
                    except NotQueued:
                        misses += 1
                        continue
                    except AtCapacity:
                        return
                    mine.append(entry.conversation_id)
        except BaseException as error:  # reported by the test thread
            errors.append(error)
        finally:
            claimed[agent_id] = mine
            lost.append(misses)

    threads = [threading.Thread(target=work, args=(agent_id,)) for agent_id in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return claimed, sum(lost)


def test_fifty_agents_race_for_a_thousand_chats(
    connect: Callable[[], redis.Redis],
    conversations: ConversationStore,
    queue: HandoffQueue,
    presence: Presence,
) -> None:
    agents = [f"agent-{n:02d}" for n in range(AGENTS)]
    capacity = {agent_id: capacity_of(n) for n, agent_id in enumerate(agents)}
    for agent_id in agents:
        presence.online(agent_id, agent_id, ["general"], capacity[agent_id])
    for n in range(CHATS):
        conversations.open(f"chat-{n:04d}")
        queue.enqueue(f"chat-{n:04d}", list(PRIORITIES)[n % 3], "general")
    total_capacity = sum(capacity.values())

    owner: dict[str, str] = {}  # every assignment ever made, conversation -> agent
    rounds: list[tuple[int, int, float]] = []  # chats assigned, claims lost, seconds
    while len(owner) < CHATS:
        waiting = CHATS - len(owner)
        started = time.perf_counter()
        claimed, lost = race(connect, agents)
        rounds.append((sum(map(len, claimed.values())), lost, time.perf_counter() - started))

        for agent_id, chats in claimed.items():
            for conversation_id in chats:
                assert conversation_id not in owner, f"{conversation_id} assigned twice"
                owner[conversation_id] = agent_id
            assert len(chats) <= capacity[agent_id]
            assert presence.chats(agent_id) == set(chats)
            for conversation_id in chats:
                conversation = conversations.get(conversation_id)
                assert (conversation.mode, conversation.agent_id) == ("assigned", agent_id)
        assert rounds[-1][0] == min(waiting, total_capacity)
        assert len(queue.entries()) == CHATS - len(owner)

        for chats in claimed.values():  # agents finish their chats, which frees them
            for conversation_id in chats:
                conversations.transition(conversation_id, "closed", resolution="resolved")

    assert len(owner) == CHATS
    assert [assigned for assigned, _, _ in rounds] == [250, 250, 250, 250]
    assert conversations.live() == []
    print(f"rounds (assigned, lost races, s): {[(n, lost, round(s, 2)) for n, lost, s in rounds]}")
