"""The test and tool client hands a socket's events on in the order they arrived.

The gateway sends an agent's `state` and then the chats routed to it; a client that
reordered them would drop an `assigned` while waiting for the `state` (the 50-agent race
lost chats that way). python-engineio's client starts a thread per message, so two
events close together could be handed on in either order.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from bot.gateway_client import Client
from bot.stack import Stack

ORIGIN = "http://127.0.0.1"
BURST = 1000
# Rounds of a burst: with a thread per message about one round in three came out of order.
ROUNDS = 10


@pytest.fixture
def burst_server() -> Iterator[str]:
    """The URL of a gevent Socket.IO server that answers `go` with numbered events."""
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("burst_server.py")), ORIGIN],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield f"http://127.0.0.1:{int(server.stdout.readline())}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_events_are_handed_on_in_the_order_they_arrived(burst_server: str) -> None:
    stack = cast(Stack, SimpleNamespace(gateway_url=burst_server, settings=None))
    for _ in range(ROUNDS):
        client = Client(stack)
        client.connect(origin=ORIGIN)
        try:
            client.emit_raw("go", BURST)
            # As received, before the schema check (the schema knows no `numbered`).
            got = [client.events.get(timeout=10)[1]["n"] for _ in range(BURST)]
        finally:
            client.close()
        assert got == list(range(BURST))
