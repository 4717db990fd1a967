"""Locust users of the Tandem gateway: bot customers, escalating customers, agents, idle sockets.

`python -m bench.load` runs this file with `.venv-bench/bin/locust` (Locust's gevent venv), so
it imports nothing from the project. Its protocol knowledge is kept to the minimum on purpose,
and must follow docs/protocol.md by hand: Engine.IO 4 framing over a websocket; on `/` the
events `session_request`, `user_uttered`, `session_confirm`, `bot_uttered` and `handoff`; on
`/agent` the HTTP login and `state`, `assigned`, `message`, `send` and `close`; `error` on both.
The bot's lines and replies below come from tests/conversations/ and domain.yml.

The runner sets, in the environment: TANDEM_ORIGIN (the customers' page origin),
TANDEM_AGENT_ORIGIN (the gateway's own origin), TANDEM_AGENT_LOGINS (comma-separated) and
TANDEM_AGENT_PASSWORD, TANDEM_ESCALATING (how many escalating customers; the rest of the
non-agent users are bot customers) and TANDEM_THINK_SECONDS (a person's pause between lines:
the gateway refuses floods, so users pace themselves as people do).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import gevent
import websocket
from gevent.event import Event as Flag
from gevent.pool import Group
from gevent.queue import Empty, Queue
from locust import HttpUser, User, between, constant, events, task
from locust.exception import StopUser

ORIGIN = os.environ.get("TANDEM_ORIGIN", "")
AGENT_ORIGIN = os.environ.get("TANDEM_AGENT_ORIGIN", "")
AGENT_LOGINS = [name for name in os.environ.get("TANDEM_AGENT_LOGINS", "").split(",") if name]
AGENT_PASSWORD = os.environ.get("TANDEM_AGENT_PASSWORD", "")
ESCALATING = int(os.environ.get("TANDEM_ESCALATING", "0"))
THINK = float(os.environ.get("TANDEM_THINK_SECONDS", "1.5"))

REPLY_TIMEOUT = 10.0  # a bot or relay reply slower than this is a failure
ASSIGN_TIMEOUT = 60.0  # a queued customer may wait for an agent to have room
RELAY_LINES = 3  # lines each way in a chat with an agent

# (what the customer types, the end of the bot's answer to wait for): a 6-turn balance check
# that the bot completes without a person (the demo customer Dana, tests/conversations/).
BOT_CONVERSATION = (
    ("hi", "What can I do for you?"),
    ("what's my balance", "account number (like ACC-1234) on your account?"),
    ("dana@example.com", "last 4 digits of the phone number on the account?"),
    ("4821", "Your balance is"),
    ("thanks", "You're welcome!"),
    ("bye", "Goodbye, and thanks for getting in touch."),
)
ASK_FOR_PERSON = "I want to talk to a person"

# When each awaited thing was sent, shared by the users of this process: a conversation's
# request for a person (by conversation id), and each relayed line (by its unique text).
sent_at: dict[str, float] = {}
agents_online = Flag()
logins = itertools.count()
logged_in = itertools.count(1)


class Failure(Exception):
    """What went wrong in a turn; reported to Locust as the request's exception."""


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def report(name: str, kind: str, started: float, error: Exception | None = None) -> None:
    """One Locust request event: ``name`` took the time since ``started``."""
    events.request.fire(
        request_type=kind,
        name=name,
        response_time=ms_since(started),
        response_length=0,
        exception=error,
        context={},
    )


def think() -> None:
    gevent.sleep(random.uniform(0.5 * THINK, 1.5 * THINK))


class Socket:
    """One Socket.IO namespace over a raw Engine.IO 4 websocket; a greenlet reads it.

    Written for Locust's gevent: a python-socketio client costs several greenlets and much
    more memory per socket, which matters for thousands of idle sockets.
    """

    def __init__(self, host: str, origin: str, namespace: str = "/", auth: Any = None) -> None:
        url = host.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.prefix = "" if namespace == "/" else namespace + ","
        self.inbox: Queue = Queue()
        self.closed = False
        self.ws = websocket.create_connection(url, origin=origin, timeout=REPLY_TIMEOUT)
        try:
            if not self.ws.recv().startswith("0"):
                raise Failure("no Engine.IO open packet")
            self.ws.send("40" + self.prefix + (json.dumps(auth) if auth is not None else ""))
            # The namespace may send events (the agents' `state`) before its connect answer.
            while not (answer := self.ws.recv()).startswith("40" + self.prefix):
                if answer.startswith("44" + self.prefix):
                    raise Failure(f"connection refused: {answer[:200]}")
                self._take(answer)
        except BaseException:
            self.ws.close()
            raise
        self.ws.settimeout(None)
        self.reader = gevent.spawn(self._read)

    def _take(self, packet: str) -> bool:
        """Queue an event, answer a ping (as every Engine.IO client must); False at the end."""
        if packet == "2":
            self.ws.send("3")
        elif packet.startswith("42" + self.prefix):
            name, *args = json.loads(packet[2 + len(self.prefix) :])
            self.inbox.put((name, args))
        return not (packet.startswith("41") or packet == "1")

    def _read(self) -> None:
        try:
            while self._take(self.ws.recv()):
                pass
        except (websocket.WebSocketException, OSError, ValueError):
            pass
        finally:
            self.closed = True
            self.inbox.put(("_closed", []))

    def emit(self, event: str, data: Any) -> None:
        self.ws.send("42" + self.prefix + json.dumps([event, data]))

    def next(
        self, wanted: Callable[[str, list], bool], timeout: float = REPLY_TIMEOUT
    ) -> tuple[str, list]:
        """The next event ``wanted`` accepts; others are dropped; `error` or a close fails."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                name, args = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise Failure(f"nothing awaited within {timeout:.0f} s") from None
            if name == "error":
                raise Failure(f"error {args[0].get('code') if args else ''}")
            if name == "_closed":
                raise Failure("the gateway closed the socket")
            if wanted(name, args):
                return name, args

    def close(self) -> None:
        self.reader.kill(block=False)
        self.ws.close()


def is_event(event: str) -> Callable[[str, list], bool]:
    return lambda name, args: name == event


class Customer:
    """The widget's side of a conversation: a session, lines and the bot's replies."""

    def __init__(self, host: str) -> None:
        self.socket = Socket(host, ORIGIN)
        self.session_id = ""

    def start(self) -> None:
        self.socket.emit("session_request", {"handoff_events": True})
        _, args = self.socket.next(is_event("session_confirm"))
        self.session_id = args[0]

    def say(self, text: str) -> None:
        self.socket.emit(
            "user_uttered",
            {"message": text, "session_id": self.session_id, "message_id": uuid.uuid4().hex},
        )

    def turn(self, text: str, expected_end: str) -> None:
        """One bot turn, reported as "bot turn": sent -> the bot's first reply.

        The turn succeeds once a reply contains ``expected_end``, the end of the bot's answer
        (it may answer with several messages); the time is still that of the first.
        """
        started = time.perf_counter()
        self.say(text)
        first: float | None = None
        error: Exception | None = None
        last = ""
        try:
            while expected_end not in last:
                _, args = self.socket.next(bot_reply)
                first = ms_since(started) if first is None else first
                last = args[0].get("text") or ""
        except Failure as failure:
            error = Failure(f"{failure}; last reply {last[:60]!r}") if last else failure
        events.request.fire(
            request_type="bot",
            name="bot turn",
            response_time=ms_since(started) if first is None else first,
            response_length=0,
            exception=error,
            context={},
        )
        if error is not None:
            raise error

    def close(self) -> None:
        self.socket.close()


def bot_reply(name: str, args: list) -> bool:
    """A message from the bot; a handoff instead fails the turn."""
    if name == "handoff":
        raise Failure(f"handed off: {args[0].get('status')}")
    return name == "bot_uttered"


class BotCustomer(User):
    """A customer the bot serves alone: the 6-turn balance check, then a pause."""

    wait_time = between(2, 6)

    @task
    def conversation(self) -> None:
        started = time.perf_counter()
        customer: Customer | None = None
        try:
            customer = Customer(self.host)
            customer.start()
            for text, expected_end in BOT_CONVERSATION:
                think()
                customer.turn(text, expected_end)
        except (Failure, websocket.WebSocketException, OSError) as error:
            report("bot conversation", "conversation", started, error)
        else:
            report("bot conversation", "conversation", started)
        finally:
            if customer is not None:
                customer.close()


class EscalatingCustomer(User):
    """A customer who greets the bot, asks for a person, and chats with the agent."""

    fixed_count = ESCALATING
    wait_time = between(2, 6)

    def on_start(self) -> None:
        # Asking before any agent is connected would get the `offline` notice instead.
        agents_online.wait(timeout=60)

    @task
    def escalation(self) -> None:
        started = time.perf_counter()
        customer: Customer | None = None
        try:
            customer = Customer(self.host)
            customer.start()
            think()
            customer.turn(*BOT_CONVERSATION[0])
            think()
            sent_at[customer.session_id] = time.perf_counter()
            customer.say(ASK_FOR_PERSON)
            customer.socket.next(handoff_to_agent, ASSIGN_TIMEOUT)
            self.chat(customer)
        except (Failure, websocket.WebSocketException, OSError) as error:
            report("escalated conversation", "conversation", started, error)
        else:
            report("escalated conversation", "conversation", started)
        finally:
            if customer is not None:
                sent_at.pop(customer.session_id, None)
                customer.close()

    def chat(self, customer: Customer) -> None:
        """Answer each agent line until the agent closes the chat."""
        while True:
            name, args = customer.socket.next(agent_line_or_closed, ASSIGN_TIMEOUT)
            if name == "handoff":
                return
            sent = sent_at.pop(args[0].get("text") or "", None)
            if sent is not None:
                report("relay agent→customer", "relay", sent)
            think()
            line = f"customer line {uuid.uuid4().hex[:12]}"
            sent_at[line] = time.perf_counter()
            customer.say(line)


def handoff_to_agent(name: str, args: list) -> bool:
    """The customer's `handoff` `assigned`; `offline` (no agent connected) fails."""
    if name != "handoff":
        return False
    if args[0].get("status") == "offline":
        raise Failure("offline: no agent could take the chat")
    return bool(args[0].get("status") == "assigned")


def agent_line_or_closed(name: str, args: list) -> bool:
    if name == "handoff":
        return bool(args[0].get("status") == "closed")
    return name == "bot_uttered" and args[0]["metadata"].get("sender") == "agent"


class Agent(HttpUser):
    """An agent's console: HTTP login, the `/agent` socket, and each assigned chat relayed.

    Accounts come from TANDEM_AGENT_LOGINS, one per user; the runner creates them.
    """

    fixed_count = len(AGENT_LOGINS)
    # Its task waits for the next event itself: any pause between tasks would delay them all.
    wait_time = constant(0)

    def on_start(self) -> None:
        login = AGENT_LOGINS[next(logins) % len(AGENT_LOGINS)]
        with self.client.post(
            "/agent/login",
            json={"login": login, "password": AGENT_PASSWORD},
            headers={"Origin": AGENT_ORIGIN},
            name="agent login",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"login {login}: {response.status_code} {response.text[:200]}")
                raise StopUser()
            token = response.json()["token"]
        started = time.perf_counter()
        try:
            self.socket = Socket(self.host, AGENT_ORIGIN, "/agent", {"token": token})
            self.socket.next(is_event("state"))
        except (Failure, websocket.WebSocketException, OSError) as error:
            report("agent connect", "agent", started, error)
            raise StopUser() from error
        report("agent connect", "agent", started)
        self.chats: dict[str, Queue] = {}
        self.relays = Group()
        if next(logged_in) >= len(AGENT_LOGINS):
            agents_online.set()

    def on_stop(self) -> None:
        # A relay left running would wait for lines no task reads any more, and fail.
        if hasattr(self, "socket"):
            self.relays.kill(block=False)
            self.socket.close()

    @task
    def work(self) -> None:
        """Take every event: a new chat starts its relay, a customer's line moves it on."""
        try:
            name, args = self.socket.next(lambda name, args: True, timeout=3600)
        except Failure as error:
            report("agent socket", "agent", time.perf_counter(), error)
            return
        data = args[0] if args else {}
        if name == "assigned":
            conversation_id = data["conversation"]["id"]
            asked = sent_at.pop(conversation_id, None)
            if asked is not None:
                report("escalation → agent notified", "handoff", asked)
            self.chats[conversation_id] = Queue()
            self.relays.spawn(self.relay, conversation_id)
        elif name == "message" and data.get("kind") == "customer":
            sent = sent_at.pop(data.get("text") or "", None)
            if sent is not None:
                report("relay customer→agent", "relay", sent)
            if data.get("conversation_id") in self.chats:
                self.chats[data["conversation_id"]].put(data)

    def relay(self, conversation_id: str) -> None:
        """Write RELAY_LINES lines, each after the customer's answer, then close the chat."""
        replies = self.chats[conversation_id]
        try:
            for _ in range(RELAY_LINES):
                think()
                line = f"agent line {uuid.uuid4().hex[:12]}"
                sent_at[line] = time.perf_counter()
                self.socket.emit("send", {"conversation_id": conversation_id, "text": line})
                try:
                    replies.get(timeout=REPLY_TIMEOUT + 2 * THINK)
                except Empty:
                    late = Failure("no customer line in time")
                    report("relay customer→agent", "relay", time.perf_counter(), late)
                    break
            closing = {"conversation_id": conversation_id, "resolution": "resolved"}
            self.socket.emit("close", closing)
        finally:
            self.chats.pop(conversation_id, None)


class IdleCustomer(User):
    """A customer who opens a conversation and then only keeps the socket (pings) alive."""

    wait_time = between(4, 6)

    def on_start(self) -> None:
        self.customer: Customer | None = None

    @task
    def hold(self) -> None:
        if self.customer is not None and not self.customer.socket.closed:
            return
        if self.customer is not None:
            report("idle socket kept", "idle", time.perf_counter(), Failure("socket dropped"))
        started = time.perf_counter()
        try:
            self.customer = Customer(self.host)
            self.customer.start()
        except (Failure, websocket.WebSocketException, OSError) as error:
            self.customer = None
            report("idle socket opened", "idle", started, error)
        else:
            report("idle socket opened", "idle", started)

    def on_stop(self) -> None:
        if self.customer is not None:
            self.customer.close()
