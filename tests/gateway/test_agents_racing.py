"""50 agent consoles connected at once, 1,000 waiting chats: each chat goes to exactly one agent."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable

import redis

from bot.gateway_client import AgentClient
from bot.stack import Stack
from handoff.stores.conversations import ConversationStore
from handoff.stores.queue import HandoffQueue

CHATS = 1000
AGENTS = 50
CAPACITY = 3
STALLED_SECONDS = 30


def where_they_are(
    missing: list[str],
    conversations: ConversationStore,
    queue: HandoffQueue,
    connected: dict[str, bool],
) -> str:
    """For a failure: each chat no console was given, and where the gateway has it, so a
    chat stuck in the queue reads apart from one assigned whose `assigned` never arrived."""
    waiting = {entry.conversation_id for entry in queue.entries()}
    lines = []
    for conversation_id in missing:
        conversation = conversations.get(conversation_id)
        place = "still in the queue" if conversation_id in waiting else "not in the queue"
        agent_id = conversation.agent_id
        if (agent_id or "") not in connected:
            socket = "not one of the consoles"
        else:
            socket = "still connected" if connected[agent_id or ""] else "disconnected"
        lines.append(
            f"{conversation_id}: {place}, mode {conversation.mode}, agent {agent_id} "
            f"(whose console is {socket})"
        )
    return f"{len(missing)} chats never reached a console:\n" + "\n".join(lines)


def gateway_errors(stack: Stack) -> list[str]:
    """The gateway log's errors, for a failure: an exception between assigning a chat and
    sending it to the console would leave the chat assigned and the console waiting."""
    log = stack.log_files()["gateway"].read_text(errors="replace").splitlines()
    return [line for line in log if "ERROR" in line or "Error" in line][-20:]


def test_fifty_agents_racing_for_a_thousand_chats(
    stack: Stack, agent: Callable[..., tuple[AgentClient, str]]
) -> None:
    assert stack.redis is not None
    store = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    conversations = ConversationStore(store)
    queue = HandoffQueue(store, conversations)
    conversation_ids = [uuid.uuid4().hex for _ in range(CHATS)]
    for n, conversation_id in enumerate(conversation_ids):
        conversations.open(conversation_id)
        queue.enqueue(conversation_id, ("urgent", "high", "normal")[n % 3], "general")

    taken: list[str] = []
    misassigned: list[str] = []
    crashed: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def work(console: AgentClient, login: str) -> None:
        """Take what the gateway routes here, close it, and so free room for the next one."""
        try:
            take(console, login)
        except Exception as error:  # a dead worker leaves its console's chats untaken: say so
            with lock:
                crashed.append(f"{login}'s worker: {error!r}")
            raise

    def take(console: AgentClient, login: str) -> None:
        while not done.is_set():
            try:
                chat = console.wait_for("assigned", timeout=2)
            except AssertionError:
                continue
            conversation = chat["conversation"]
            with lock:
                taken.append(conversation["id"])
                if conversation["agent_id"] != login:
                    misassigned.append(f"{conversation['id']} sent to {login}")
                if len(taken) >= CHATS:
                    done.set()
            console.act("close", conversation_id=conversation["id"], resolution="resolved")

    consoles = [agent(capacity=CAPACITY, name=f"Agent {n:02d}") for n in range(AGENTS)]
    workers = [threading.Thread(target=work, args=pair) for pair in consoles]
    for worker in workers:
        worker.start()
    # However slow the machine, chats keep being taken; a chat lost between the router and the
    # consoles stops that, and the wait ends STALLED_SECONDS after the last one was taken.
    seen = -1
    while not done.wait(timeout=STALLED_SECONDS):
        with lock:
            count = len(taken)
        if count == seen:
            break
        seen = count
    done.set()
    for worker in workers:
        worker.join()

    missing = [c for c in conversation_ids if c not in set(taken)]
    connected = {login: console.sio.connected for console, login in consoles}
    assert missing == [], "\n".join(
        [where_they_are(missing, conversations, queue, connected), *crashed, *gateway_errors(stack)]
    )
    assert [c for c, n in Counter(taken).items() if n > 1] == []
    assert misassigned == []
    assert queue.entries() == []
    loads = [len(store.smembers(f"tandem:chats:{login}")) for _, login in consoles]
    assert max(loads) <= CAPACITY
