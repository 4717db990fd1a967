"""Benchmark of the gateway: bot replies through it versus Rasa directly, handoff to an agent,
relay between agent and customer, and idle customer connections one gateway process holds.

Run with ``make bench`` (or ``python -m bench.gateway``). It starts its own stack on free
ports of 127.0.0.1 with a temporary database, sends bounded numbers of messages, prints a
table and rewrites the Gateway section of docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import requests
import websocket

from bench import latency_row, write_section
from bot.gateway_client import AgentClient, Customer, has_text
from bot.stack import Stack, private_settings
from bot.training import train_if_needed
from core.settings import Settings
from handoff.records.agents import AgentDirectory

PASSWORD = "bench password 123"
# The gateway refuses floods (a burst of 10 events, then 2 a second per socket; 30 messages a
# minute per conversation), so the benchmark spreads its load the way real people do.
TURNS_PER_CUSTOMER = 8
LINES_PER_CHAT = 20
PACE = 0.5


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def bot_turns(stack: Stack, turns: int) -> tuple[list[float], list[float]]:
    """Milliseconds per "hello" turn: through the gateway's socket, and to Rasa's REST channel.

    A new customer every few turns keeps each socket inside the gateway's flood limit. Each
    such conversation through the gateway is followed by one of the same length sent to Rasa
    directly: Rasa's time grows with a conversation's length and drifts as its store fills,
    so the two paths are compared turn for turn under the same conditions.
    """
    through: list[float] = []
    direct: list[float] = []
    with requests.Session() as http:
        for start in range(0, turns, TURNS_PER_CUSTOMER):
            length = min(TURNS_PER_CUSTOMER, turns - start)
            customer = Customer(stack)
            customer.start()
            for _ in range(length):
                started = time.perf_counter()
                customer.say("hello")
                customer.bot_says("I can reset your password")
                through.append(ms_since(started))
            customer.close()
            sender = f"bench-{uuid.uuid4().hex}"
            for _ in range(length):
                started = time.perf_counter()
                http.post(
                    f"{stack.rasa_url}/webhooks/rest/webhook",
                    params={"token": stack.settings.rasa_token},
                    json={"sender": sender, "message": "hello"},
                    timeout=30,
                ).raise_for_status()
                direct.append(ms_since(started))
    return through, direct


def handoffs(stack: Stack, agent: AgentClient, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds from "I want a person" to the agent's `assigned`, and from the bot's
    handoff reply reaching the customer to the agent's `assigned` (the gateway's part)."""
    total, gateway_part = [], []
    for _ in range(count):
        customer = Customer(stack)
        customer.start()
        started = time.perf_counter()
        customer.say("I want to talk to a person")
        customer.bot_says("connecting you to a person")
        bot_done = time.perf_counter()
        chat = agent.wait_for("assigned")
        total.append(ms_since(started))
        gateway_part.append((time.perf_counter() - bot_done) * 1000)
        agent.act("close", conversation_id=chat["conversation"]["id"], resolution="resolved")
        customer.close()
        time.sleep(PACE)
    return total, gateway_part


def relays(stack: Stack, agent: AgentClient, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds for agent -> customer and customer -> agent messages, at a human pace."""
    to_customer, to_agent = [], []
    for start in range(0, count, LINES_PER_CHAT):
        customer = Customer(stack)
        customer.start()
        customer.say("I want to talk to a person")
        conversation_id = agent.wait_for("assigned")["conversation"]["id"]
        for n in range(start, min(count, start + LINES_PER_CHAT)):
            started = time.perf_counter()
            agent.act("send", conversation_id=conversation_id, text=f"agent line {n}")
            customer.bot_says(f"agent line {n}")
            to_customer.append(ms_since(started))
            started = time.perf_counter()
            customer.say(f"customer line {n}")
            agent.wait_for("message", has_text(f"customer line {n}"))
            to_agent.append(ms_since(started))
            time.sleep(PACE)
        agent.act("close", conversation_id=conversation_id, resolution="resolved")
        customer.close()
    return to_customer, to_agent


def idle_connections(stack: Stack, count: int) -> dict[str, Any]:
    """Open `count` customer sockets (Engine.IO + Socket.IO handshakes) and keep them idle."""
    url = stack.gateway_url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    origin = stack.settings.allowed_origins[0]
    sockets = []
    started = time.perf_counter()
    try:
        for _ in range(count):
            ws = websocket.create_connection(url, origin=origin, timeout=10)
            ws.recv()  # Engine.IO open
            ws.send("40")  # Socket.IO connect to "/"
            ws.recv()  # connect acknowledgement
            sockets.append(ws)
        opened_s = time.perf_counter() - started
        gateway = psutil.Process(stack.pids()["gateway"])
        memory_mb = gateway.memory_info().rss / 2**20
        threads = gateway.num_threads()
        probe = Customer(stack)  # one more, doing real work, while the others idle
        probe.start()
        probe.say("hello")
        probe.bot_says("I can reset your password")
        probe.close()
        return {
            "held": len(sockets),
            "opened_s": opened_s,
            "memory_mb": memory_mb,
            "threads": threads,
        }
    finally:
        for ws in sockets:
            ws.close()


def run(turns: int, idle: int) -> str:
    settings = Settings.from_env()
    model = train_if_needed(settings)
    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as tmp:
        # Every benchmark socket comes from 127.0.0.1.
        settings = dataclasses.replace(
            private_settings(settings, Path(tmp)), max_connections_per_client=idle + 100
        )
        with Stack(settings, model, var_dir=Path(tmp)) as stack:
            AgentDirectory(settings.database_url).add("bench", "Bench Agent", PASSWORD)
            agent = AgentClient(stack)
            agent.login("bench", PASSWORD)
            through, direct = bot_turns(stack, turns)
            total, gateway_part = handoffs(stack, agent, max(10, turns // 10))
            to_customer, to_agent = relays(stack, agent, min(turns, 60))
            agent.close()
            held = idle_connections(stack, idle)
    return "\n".join(
        [
            f"`bench/gateway.py`: {turns} bot turns each way, {len(total)} handoffs, "
            f"{len(to_customer)} relayed lines each way; one client at a time.",
            "",
            "| path | p50 | p95 | max | target |",
            "|---|---|---|---|---|",
            latency_row("bot reply through the gateway (socket, `hello`)", through),
            latency_row("bot reply from Rasa directly (REST, `hello`)", direct),
            latency_row("customer asks for a person -> agent notified", total),
            latency_row("bot's handoff reply -> agent notified", gateway_part, "< 100 ms"),
            latency_row("agent -> customer relay", to_customer, "< 20 ms"),
            latency_row("customer -> agent relay", to_agent, "< 20 ms"),
            "",
            f"Gateway overhead on a bot turn, p50: "
            f"{_median(through) - _median(direct):.1f} ms (target < 10 ms).",
            "",
            f"Idle customer connections held by one gateway process: {held['held']} "
            f"(opened in {held['opened_s']:.1f} s; gateway RSS {held['memory_mb']:.0f} MB, "
            f"{held['threads']} threads), with a new customer still answered.",
        ]
    )


def _median(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="messages per kind of turn")
    parser.add_argument("--idle", type=int, default=2000, help="idle customer sockets to hold")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    text = run(args.turns, args.idle)
    print(text)
    if not args.no_write:
        write_section("Gateway", text)
        print("Wrote the Gateway section of docs/performance.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
