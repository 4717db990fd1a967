"""Random and malformed events against the real gateway, on both namespaces: no crash, no
`internal_error`, no traceback in the log, and the state machine's invariants hold after."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.gateway_client import AgentClient, Client, Customer
from bot.stack import Stack
from handoff.stores.conversations import MODES
from handoff.stores.keys import AGENTS_KEY, QUEUE_KEY, agent_chats_key, agent_key

CUSTOMER_EVENTS = ["session_request", "user_uttered", "typing", "leave_email", "csat",
                   "history_request", "connect", "disconnect"]  # fmt: skip
AGENT_EVENTS = ["set_status", "accept", "send", "typing", "note", "resume", "transfer",
                "hand_back", "close", "connect", "disconnect"]  # fmt: skip
FIELDS = ["session_id", "message", "typing", "email", "rating", "before_seq", "after_seq",
          "last_seq", "conversation_id", "status", "text", "to_agent", "to_skill", "resume",
          "slots", "resolution", "customer_token"]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.just("x" * 20_000),
    st.sampled_from(["/request_human", "hello", "available", "resolved", "general"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
payloads = st.one_of(
    values,
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=5),
)


def events(names: list[str]) -> st.SearchStrategy[tuple[str, Any]]:
    name = st.one_of(st.sampled_from(names), st.text(max_size=30), st.just("x" * 5000))
    return st.tuples(name, payloads)


plan = st.lists(
    st.tuples(
        st.sampled_from(["customer", "agent"]), events(CUSTOMER_EVENTS), events(AGENT_EVENTS)
    ),
    min_size=5,
    max_size=15,
)


def shape(event: str, payload: Any) -> str:
    """What kind of event this was: its name (or 'other') and its payload's structure."""

    def kind(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ",".join(sorted(f"{k}:{kind(v)}" for k, v in value.items())) + "}"
        if isinstance(value, list):
            return "[" + ",".join(kind(v) for v in value) + "]"
        return type(value).__name__

    known = event if event in CUSTOMER_EVENTS + AGENT_EVENTS else "other"
    return f"{known}:{kind(payload)}"


def check_invariants(store: redis.Redis) -> None:
    """Queued = the queue; each assigned chat in exactly its agent's set; loads within capacity."""
    queue = set(store.zrange(QUEUE_KEY, 0, -1))
    agents = store.smembers(AGENTS_KEY)
    chats = {agent: store.smembers(agent_chats_key(agent)) for agent in agents}
    queued, assigned = set(), {}
    for key in store.scan_iter("tandem:conversation:*"):
        if store.type(key) != "hash":
            continue
        fields = store.hgetall(key)
        conversation_id = key.removeprefix("tandem:conversation:")
        assert fields.get("mode") in MODES, fields
        if fields["mode"] == "queued":
            queued.add(conversation_id)
        if fields["mode"] == "assigned":
            assigned[conversation_id] = fields.get("agent_id")
    assert queued == queue
    for conversation_id, agent_id in assigned.items():
        holders = [agent for agent, held in chats.items() if conversation_id in held]
        assert holders == [agent_id], (conversation_id, agent_id, holders)
    for agent, held in chats.items():
        assert held <= set(assigned), (agent, held)
        capacity = int(store.hget(agent_key(agent), "capacity") or 0)
        assert len(held) <= capacity, (agent, len(held), capacity)


def test_random_and_malformed_events_crash_nothing(
    stack: Stack,
    customer: Callable[[], Customer],
    agent: Callable[..., tuple[AgentClient, str]],
) -> None:
    assert stack.redis is not None
    store = redis.Redis.from_url(stack.redis.url, decode_responses=True)
    log = stack.log_dir / "gateway.log"
    log_start = log.stat().st_size
    ann, _ = agent(capacity=2)
    ann.set_status("available")
    kim = customer()
    kim.start()
    kim.say("/request_human")
    sent, shapes = 0, set()
    clients: list[Client] = [ann, kim]
    started = time.monotonic()

    @settings(
        max_examples=50,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(plan)
    def run(steps: list[tuple[str, tuple[str, Any], tuple[str, Any]]]) -> None:
        nonlocal sent
        lee = customer()
        lee.start()
        clients.append(lee)
        for who, to_customer, to_agent in steps:
            client, (event, payload) = (lee, to_customer) if who == "customer" else (ann, to_agent)
            if who == "customer" and isinstance(payload, dict) and payload.get("conversation_id"):
                payload = {**payload, "conversation_id": kim.session_id}
            client.emit_raw(event, payload)
            sent += 1
            shapes.add(shape(event, payload))
        time.sleep(0.05)

    run()
    time.sleep(1.5)  # let the last events and a housekeeping tick finish
    for client in clients:
        client.drain(0.2)
    errors = [data for client in clients for name, data in client.seen if name == "error"]
    elapsed = time.monotonic() - started
    print(f"fuzz: {sent} events sent, {len(shapes)} distinct event shapes, "
          f"{len(errors)} errors answered, crashes 0, {elapsed:.1f} s")  # fmt: skip

    assert requests.get(f"{stack.gateway_url}/health", timeout=5).ok
    assert not [e for e in errors if e.get("code") == "internal_error"], errors
    with log.open(encoding="utf-8", errors="replace") as lines:
        lines.seek(log_start)
        assert "Traceback" not in lines.read()
    check_invariants(store)
