"""The soak's people: customers' widgets and agents' consoles that outlive their sockets.

Each keeps what Tandem's widget and console keep across a dropped socket: the lines it has (by
``seq``) and the commands not yet answered (by ``message_id``). A socket that dies is opened
again through the balancer; the widget resumes from the last ``seq`` it has, the console gets
its chats in ``state``, and each sends its unanswered commands again with the same ids. Lines
are counted by ``seq``, so a line is received twice only if the gateway stored it twice.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bot.gateway_client import AgentClient, Client, Customer
from bot.stack import Stack
from tests.conftest import AGENT_PASSWORD

# A socket that will not open (its gateway restarting, the balancer not yet aware) is tried
# again this often, for this long.
RETRY_EVERY = 1.0
RETRY_FOR = 180.0
# A command refused (Redis down: `unavailable`) is sent again after this.
RESEND_AFTER = 1.0
# The gateway lets a socket send 2 events a second after a burst of 10: people pace themselves.
PACE = 0.6


def retried(what: Callable[[], Any]) -> Any:
    """``what()``, tried again while the stack cannot take a new socket."""
    deadline = time.monotonic() + RETRY_FOR
    while True:
        try:
            return what()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(RETRY_EVERY)


def step(client: Client, reopen: Callable[[], None], take: Callable[[str, Any], None]) -> None:
    """One step of a person's loop: ``reopen`` a socket that died, else ``take`` the next event
    (waiting for one a moment)."""
    if not client.sio.connected:
        reopen()
        return
    try:
        event, data = client.events.get(timeout=0.2)
    except queue.Empty:
        return
    take(event, data)


class Widget:
    """A customer's widget that survives its gateway, as Tandem's widget does."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = Customer(stack)
        self.lines: dict[int, dict] = {}  # seq -> line, whichever socket brought it
        self.unanswered: dict[str, str] = {}  # message_id -> text
        self.acknowledged: dict[str, int] = {}  # message_id -> seq
        self.reconnects = 0
        self.refusals = 0

    def open(self) -> None:
        history = retried(self.client.start)
        self._take("history", history)

    def reconnect(self) -> None:
        """A new socket through the balancer: the lines missed, then the lines unanswered."""
        self.client.close()
        session_id, secret = self.client.session_id, self.client.resume_secret
        self.client = Customer(self.stack)
        self.client.session_id, self.client.resume_secret = session_id, secret
        history = retried(lambda: self.client.start(session_id, last_seq=self.last_seq))
        self.reconnects += 1
        self._take("history", history)
        for message_id, text in list(self.unanswered.items()):
            self._send(text, message_id)

    @property
    def last_seq(self) -> int:
        return max(self.lines, default=0)

    def say(self, text: str) -> str:
        """Send a line; its id. It is sent again until the gateway acknowledges it."""
        message_id = uuid.uuid4().hex
        self.unanswered[message_id] = text
        self._send(text, message_id)
        return message_id

    def wait(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Read events until ``condition()``; reconnect whenever the socket dies. False if
        ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                return False
            step(self.client, self.reconnect, self._take)
        return True

    def lines_from(self, sender: str, after: int = 0) -> list[dict]:
        return [
            line
            for seq, line in sorted(self.lines.items())
            if seq > after and line["metadata"].get("sender") == sender
        ]

    def has(self, sender: str, text: str) -> bool:
        return any(line["text"] == text for line in self.lines_from(sender))

    def status(self) -> str | None:
        """The latest status notice in the conversation."""
        notices = [
            line["metadata"]["status"]
            for _, line in sorted(self.lines.items())
            if line["metadata"].get("status")
        ]
        return notices[-1] if notices else None

    def close(self) -> None:
        self.client.close()

    def _send(self, text: str, message_id: str) -> None:
        try:
            self.client.say(text, message_id=message_id)
        except Exception:  # the socket died as it sent: wait() reconnects and sends again
            return

    def _take(self, event: str, data: Any) -> None:
        if event == "history":
            for line in data["messages"]:
                self._keep(line)
        elif event in ("bot_uttered", "user_message", "handoff") and "seq" in (
            data.get("metadata") or {}
        ):
            self._keep(data)
        elif event == "error" and data.get("message_id") in self.unanswered:
            self.refusals += 1
            time.sleep(RESEND_AFTER)
            self._send(self.unanswered[data["message_id"]], data["message_id"])

    def _keep(self, line: dict) -> None:
        metadata = line["metadata"]
        self.lines[metadata["seq"]] = line
        message_id = metadata.get("message_id")
        if metadata.get("sender") == "customer" and message_id:
            self.unanswered.pop(message_id, None)
            self.acknowledged[message_id] = metadata["seq"]


class Console:
    """An agent's console that survives its gateway: it answers each customer line of its
    chats once, and ends a chat (close or hand back, in turn) after the customer's last line."""

    LAST = "(last)"

    def __init__(self, stack: Stack, login: str) -> None:
        self.stack = stack
        self.login = login
        self.client = AgentClient(stack)
        self.lines: dict[tuple[str, int], dict] = {}  # (conversation, seq) -> agent_line
        self.unanswered: dict[str, tuple[str, dict]] = {}  # message_id -> (event, data)
        self.sent: list[tuple[str, dict]] = []  # each command once, resends not counted
        self.chats: set[str] = set()
        self.ended = 0
        self.reconnects = 0
        self.refusals = 0

    def open(self) -> None:
        """Log in (again) and send what was not answered."""
        self.client.close()
        self.client = AgentClient(self.stack)
        state = retried(lambda: self.client.login(self.login, AGENT_PASSWORD))
        self.chats = {chat["conversation"]["id"] for chat in state["chats"]}
        for chat in state["chats"]:
            self._take_chat(chat)
        for message_id, (event, data) in list(self.unanswered.items()):
            self._send(event, {**data, "message_id": message_id})

    def run(self, stop: threading.Event) -> None:
        """Answer and end chats until ``stop``."""
        while not stop.is_set():
            step(self.client, self.reopen, self._take)
        self.client.close()

    def reopen(self) -> None:
        """The socket died: log in again."""
        self.reconnects += 1
        self.open()

    def customer_lines(self) -> list[dict]:
        return [line for line in self.lines.values() if line["kind"] == "customer"]

    def _take(self, event: str, data: Any) -> None:
        if event == "assigned":
            self.chats.add(data["conversation"]["id"])
            self._take_chat(data)
        elif event == "message":
            self._keep(data)
            self.unanswered.pop(data["data"].get("message_id", ""), None)
            self._answer(data["conversation_id"])
        elif event == "released":
            self.chats.discard(data["conversation_id"])
            self.unanswered.pop(data.get("message_id", ""), None)
        elif event == "error" and data.get("message_id") in self.unanswered:
            self.refusals += 1
            if data["code"] == "not_your_conversation":  # ended meanwhile (requeued, taken)
                self.unanswered.pop(data["message_id"])
                return
            time.sleep(RESEND_AFTER)
            command, sent = self.unanswered[data["message_id"]]
            self._send(command, {**sent, "message_id": data["message_id"]})

    def _take_chat(self, chat: dict) -> None:
        for line in chat["transcript"]:
            self._keep(line)
        self._answer(chat["conversation"]["id"])

    def _keep(self, line: dict) -> None:
        self.lines[(line["conversation_id"], line["seq"])] = line

    def _answer(self, conversation_id: str) -> None:
        """Reply to each customer line of the chat that has no reply yet, from anyone; end the
        chat after the last."""
        if conversation_id not in self.chats:
            return
        transcript = [
            line for (cid, _), line in sorted(self.lines.items()) if cid == conversation_id
        ]
        answered = {line["text"] for line in transcript if line["kind"] == "agent"}
        pending = {data.get("text") for _, data in self.unanswered.values()}
        for line in transcript:
            reply = f"re: {line['text']}"
            if line["kind"] != "customer" or not line["text"].startswith("line "):
                continue
            if reply in answered or reply in pending:
                continue
            self._command("send", conversation_id=conversation_id, text=reply)
            if line["text"].endswith(self.LAST):
                self.ended += 1
                if self.ended % 2:
                    self._command("close", conversation_id=conversation_id, resolution="resolved")
                else:
                    self._command("hand_back", conversation_id=conversation_id)

    def _command(self, event: str, **data: Any) -> None:
        message_id = uuid.uuid4().hex
        self.unanswered[message_id] = (event, data)
        self.sent.append((event, data))
        self._send(event, {**data, "message_id": message_id})
        time.sleep(PACE)

    def _send(self, event: str, data: dict) -> None:
        try:
            self.client.act(event, **data)
        except Exception:  # the socket died as it sent: run() logs in again and resends
            return
