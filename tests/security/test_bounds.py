"""Bounded state: what a client makes the gateway keep expires, reads are paged and sliced,
every event pays the rate limiter, and one address holds a capped number of sockets."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
import socketio

from bot.gateway_client import AgentClient, Client, Customer
from bot.stack import Stack
from handoff.records.agents import AgentDirectory
from handoff.records.archive import Archive
from handoff.stores.conversations import LIVE_LIMIT, ConversationStore
from handoff.stores.keys import QUEUE_CHANGED_KEY, conversation_key, transcript_key
from handoff.stores.queue import HandoffQueue
from handoff.stores.transcripts import PAGE, TranscriptStore
from tests.conftest import AGENT_PASSWORD

RETENTION_SECONDS = 2.0
CONNECTION_CAP = 4
NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]


@pytest.fixture(scope="module")
def bounded(new_stack: Callable[[], Stack]) -> Iterator[Stack]:
    """A gateway (no Rasa: the bot is "unavailable") with a tiny retention and socket cap."""
    stack = new_stack()
    stack.settings = dataclasses.replace(
        stack.settings,
        retention_bot_hours=RETENTION_SECONDS / 3600,
        retention_closed_hours=RETENTION_SECONDS / 3600,
        max_connections_per_client=CONNECTION_CAP,
    )
    stack.start(with_rasa=False)
    try:
        stack.start_gateway()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def opened() -> Iterator[list[Client]]:
    sockets: list[Client] = []
    yield sockets
    for client in sockets:
        client.close()


def text_redis(stack: Stack) -> redis.Redis:
    assert stack.redis is not None
    return redis.Redis.from_url(stack.redis.url, decode_responses=True)


def test_idle_conversations_and_transcripts_expire_but_held_ones_do_not(
    bounded: Stack, opened: list[Client]
) -> None:
    store = text_redis(bounded)
    login = f"agent-{uuid.uuid4().hex[:8]}"
    AgentDirectory(bounded.settings.database_url).add(login, "Ann Lee", AGENT_PASSWORD)
    ann = AgentClient(bounded)
    opened.append(ann)
    ann.login(login, AGENT_PASSWORD)

    idle = Customer(bounded)
    opened.append(idle)
    idle.start()
    idle.say("hello")
    idle.status("bot_unavailable")
    keys = [conversation_key(idle.session_id), transcript_key(idle.session_id)]
    assert all(0 < store.pttl(key) <= RETENTION_SECONDS * 1000 for key in keys)

    held = Customer(bounded)
    opened.append(held)
    held.start()
    held.say("hello")
    held.status("bot_unavailable")
    held.say("/request_human")
    chat = ann.wait_for("assigned")
    conversation_id = chat["conversation"]["id"]
    assert conversation_id == held.session_id

    time.sleep(RETENTION_SECONDS + 1)
    assert store.exists(*keys) == 0, "an idle chat with the bot outlived its retention"
    held_keys = [conversation_key(conversation_id), transcript_key(conversation_id)]
    assert [store.pttl(key) for key in held_keys] == [-1, -1], "a chat held by an agent expired"

    ann.act("close", conversation_id=conversation_id, resolution="resolved")
    ann.wait_for("released")
    assert all(0 < store.pttl(key) <= RETENTION_SECONDS * 1000 for key in held_keys)
    time.sleep(RETENTION_SECONDS + 1)
    assert store.exists(*held_keys) == 0, "a closed chat outlived its retention"
    archive = Archive(bounded.settings.database_url)
    try:
        copy = archive.conversation(conversation_id)
    finally:
        archive.close()
    assert copy is not None and copy[1], "the archived copy went with the Redis keys"


def test_sockets_per_client_address_are_capped(bounded: Stack, opened: list[Client]) -> None:
    for _ in range(CONNECTION_CAP):
        client = Customer(bounded)
        opened.append(client)
        client.connect()
    reasons: list[object] = []
    extra = socketio.Client(
        reconnection=False,
        websocket_extra_options={"origin": bounded.settings.allowed_origins[0]},
    )
    extra.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        extra.connect(bounded.gateway_url, transports=["websocket"], wait_timeout=10)
    assert "Too many connections" in str(reasons), reasons
    opened.pop().close()
    time.sleep(0.5)  # the disconnect reaches the gateway and frees a place
    again = Customer(bounded)
    opened.append(again)
    again.start()


def test_history_and_agent_transcripts_come_a_page_at_a_time(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    store = text_redis(stack)
    transcripts = TranscriptStore(store)
    ann, login = agent()
    kim = customer()
    kim.start()
    kim.say("/request_human")
    chat = ann.wait_for("assigned", lambda d: d["conversation"]["id"] == kim.session_id)
    first_seq = chat["transcript"][-1]["seq"]
    for n in range(2 * PAGE + 10):
        transcripts.append(kim.session_id, "customer" if n % 3 else "note", f"line {n}")
    last_seq = first_seq + 2 * PAGE + 10

    # The customer pages back from the newest line; every line once, notes never.
    kim.emit("history_request", {"before_seq": last_seq + 1})
    seen: list[int] = []
    while True:
        page = kim.wait_for("history_page")
        assert len(page["messages"]) <= PAGE
        seen = [m["metadata"]["seq"] for m in page["messages"]] + seen
        if not page["has_more"]:
            break
        kim.emit("history_request", {"before_seq": seen[0]})
    visible = [m.seq for m in transcripts.since(kim.session_id)]
    assert seen == visible

    # A resume that missed more than a page gets the newest page and is told it missed more.
    kim.close()
    history = kim.start(session_id=kim.session_id, last_seq=first_seq)
    assert history["has_more"] is True and len(history["messages"]) == PAGE
    assert history["messages"][-1]["metadata"]["seq"] == visible[-1]

    # An agent's console: the newest page on connect, older pages through `resume`.
    console = AgentClient(stack)
    try:
        state = console.login(login, AGENT_PASSWORD)
        mine = [c for c in state["chats"] if c["conversation"]["id"] == kim.session_id][0]
        assert len(mine["transcript"]) == PAGE and mine["has_more"] is True
        console.act(
            "resume", conversation_id=kim.session_id, before_seq=mine["transcript"][0]["seq"]
        )
        older = console.wait_for("missed")
        assert len(older["messages"]) == PAGE and older["has_more"] is True
        assert older["messages"][-1]["seq"] == mine["transcript"][0]["seq"] - 1
    finally:
        console.close()


@pytest.mark.usefixtures("empty_redis")
def test_the_live_list_and_queue_push_read_a_bounded_slice(stack: Stack, agent: NewAgent) -> None:
    store = text_redis(stack)
    conversations = ConversationStore(store)
    for _ in range(3 * LIVE_LIMIT):
        conversations.open(uuid.uuid4().hex)
    waiting = uuid.uuid4().hex
    conversations.open(waiting)
    HandoffQueue(store, conversations).enqueue(waiting, "normal", "technical")
    boss, _ = agent(role="supervisor", skills=("account",))
    boss.drain()

    store.config_resetstat()
    store.set(QUEUE_CHANGED_KEY, "1")
    live = boss.wait_for("live", timeout=5)
    time.sleep(0.2)
    reads = store.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0)
    assert len(live["conversations"]) <= LIVE_LIMIT
    assert waiting in [c["id"] for c in live["conversations"]], "a queued chat went missing"
    assert reads <= LIVE_LIMIT + 10, f"the push read {reads} conversations"


def test_unknown_and_lifecycle_events_pay_the_rate_limiter(customer: NewCustomer) -> None:
    max_ = customer()
    max_.start()
    max_.emit_raw("connect", {"token": "x"})
    assert max_.wait_for("error")["code"] == "reserved_event"
    max_.emit_raw("disconnect")
    assert max_.wait_for("error")["code"] == "reserved_event"
    for n in range(30):
        max_.emit_raw(f"no_such_event_{n}", {"x": n})
    assert max_.wait_for("error", lambda e: e["code"] == "rate_limited", timeout=5)
    lee = customer()
    lee.start()
    for _ in range(30):
        lee.emit_raw("connect")
    assert lee.wait_for("error", lambda e: e["code"] == "rate_limited", timeout=5)
