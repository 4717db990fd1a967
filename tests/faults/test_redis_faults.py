"""Redis killed and restarted by the stack (its append-only file written every second), and
Redis paused: what the queue, the chats and presence keep, and what clients see meanwhile."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable

import redis

from bot.gateway_client import AgentClient, Client, NoReply, has_text
from bot.stack import Stack
from handoff.stores.conversations import ConversationStore
from handoff.stores.queue import HandoffQueue
from tests.clusters import back_up, crash, hand_over, new_agent, new_customer, wait_until
from tests.faults.lines import Tally, agent_lines, agent_says, customer_says

# The append-only file is flushed every second: what was written before this is on disk.
FLUSHED_SECONDS = 1.5


def test_redis_restarts_and_the_queue_chats_and_presence_are_kept(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    cluster = fresh_cluster
    to_agent, to_customer = tally("customer to agent"), tally("agent to customer")
    ann = new_agent(cluster, clients, gateway="gateway-2")
    alice = new_customer(cluster, clients, gateway="gateway-1")
    hand_over(alice, ann)
    ann.set_status("away")
    bob = new_customer(cluster, clients, gateway="gateway-1")
    bob.say("I want to talk to a person")
    bob.status("queued")
    to_agent.sent.append(customer_says(alice, "before the outage"))
    ann.wait_for("message", has_text("before the outage"))
    to_customer.sent.append(agent_says(ann, alice.session_id, "answer before the outage"))
    alice.bot_says("answer before the outage")
    time.sleep(FLUSHED_SECONDS)

    crash(cluster, "redis")
    during = uuid.uuid4().hex
    to_agent.sent.append(customer_says(alice, "said during the outage", during))
    back_up(cluster, "redis")

    assert cluster.redis is not None
    store = redis.Redis.from_url(cluster.redis.url, decode_responses=True)
    conversations = ConversationStore(store)
    assert [e.conversation_id for e in HandoffQueue(store, conversations).entries()] == [
        bob.session_id
    ]
    chat = conversations.get(alice.session_id)
    assert (chat.mode, chat.agent_id) == ("assigned", ann.agent_id)
    assert store.hget(f"tandem:agent:{ann.agent_id}", "status") == "away"

    # The line sent while Redis was down: refused to the widget, which sends it again with
    # its id; or taken once Redis was back. Never dropped without a word.
    try:
        ann.wait_for("message", has_text("said during the outage"), timeout=10)
        to_agent.note = "the line sent during the outage was taken"
    except NoReply:
        refused = alice.wait_for("error", lambda e: e["event"] == "user_uttered", timeout=1)
        assert refused["code"] == "unavailable"
        alice.say("said during the outage", message_id=during)
        ann.wait_for("message", has_text("said during the outage"), timeout=30)
        to_agent.note = "the line sent during the outage was refused, then sent again"
    # Both gateways are back on Redis's message queue: lines cross between them again.
    to_customer.sent.append(agent_says(ann, alice.session_id, "answer after the outage"))
    alice.bot_says("answer after the outage", timeout=60)
    to_agent.sent.append(customer_says(alice, "after the outage"))
    ann.wait_for("message", has_text("after the outage"), timeout=30)
    ann.drain(settle=1.0)
    alice.drain(settle=1.0)

    to_agent.received = [
        data["text"]
        for event, data in ann.seen
        if event == "message" and data["kind"] == "customer"
    ]
    to_customer.received = agent_lines(alice)
    to_agent.check()
    to_customer.check()


RACING_AGENTS = 50
RACING_CHATS = 200
PAUSED_SECONDS = 3.0


def test_redis_paused_while_agents_race_for_chats_assigns_each_chat_once(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    """Consoles on both gateways take and close chats as fast as they come; Redis stops
    (SIGSTOP) for a few seconds in the middle. Each chat reaches one console, once."""
    cluster = fresh_cluster
    chats = tally("queued chat to a console")
    assert cluster.redis is not None
    store = redis.Redis.from_url(cluster.redis.url, decode_responses=True)
    conversations = ConversationStore(store)
    queue = HandoffQueue(store, conversations)
    consoles = [
        new_agent(cluster, clients, gateway=f"gateway-{n % 2 + 1}") for n in range(RACING_AGENTS)
    ]
    for _ in range(RACING_CHATS):
        conversation_id = uuid.uuid4().hex
        conversations.open(conversation_id)
        queue.enqueue(conversation_id, "normal", "general")
        chats.sent.append(conversation_id)

    lock = threading.Lock()
    done = threading.Event()

    def work(console: AgentClient) -> None:
        while not done.is_set():
            try:
                chat = console.wait_for("assigned", timeout=2)
            except NoReply:
                continue
            with lock:
                chats.received.append(chat["conversation"]["id"])
                if chat["conversation"]["agent_id"] != console.agent_id:
                    chats.note = "a chat reached a console not its agent's"
            console.act("close", conversation_id=chat["conversation"]["id"], resolution="resolved")

    workers = [threading.Thread(target=work, args=(console,)) for console in consoles]
    for worker in workers:
        worker.start()
    wait_until(lambda: len(chats.received) >= RACING_CHATS // 3, 120, "a third taken")
    paused = cluster.pids()["redis"]
    os.kill(paused, signal.SIGSTOP)
    time.sleep(PAUSED_SECONDS)
    os.kill(paused, signal.SIGCONT)
    try:
        wait_until(lambda: len(set(chats.received)) >= RACING_CHATS, 180, "every chat taken")
    finally:
        done.set()
        for worker in workers:
            worker.join()

    chats.note = chats.note or f"Redis stopped {PAUSED_SECONDS:.0f} s with a third taken"
    chats.check()
    assert queue.entries() == []
    for console in consoles:
        assert len(store.smembers(f"tandem:chats:{console.agent_id}")) <= 3
