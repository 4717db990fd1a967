"""The customers' namespace: Rasa's SocketIO channel protocol, plus Tandem's additions.

Rasa web widgets work unchanged (`session_request` -> `session_confirm`,
`user_uttered` -> `bot_uttered` in Rasa's shapes, Tandem's extras under `metadata`).
Tandem adds the resume secret (a second argument of `session_confirm`, which Rasa
widgets ignore), `history` on (re)connection, `handoff` status changes, `typing`,
`user_message` (the customer's own line with its sequence number and client message
id), `leave_email` and `csat`. A widget that does not say it understands `handoff`
events (``handoff_events: true`` in `session_request`) is *plain*: it is told status
changes and refusals as bot text too. See docs/protocol.md.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from flask import request
from flask_socketio import emit, join_room, leave_room

from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway
from handoff.service.relay import CUSTOMERS, conversation_room, plain_room
from handoff.sockets.namespace import GatewayNamespace, field, message_id, optional, text_field

SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
RESUME_SECRET = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Between the conversation id and the resume secret in a plain widget's session id.
PLAIN_SEPARATOR = "."
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}")
# A widget's metadata for the bot (rasa-webchat's `customData`), as JSON: at most this long.
MAX_METADATA = 2000


class CustomerNamespace(GatewayNamespace):
    """Events from customers' chat widgets."""

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(CUSTOMERS, gateway)
        self._sessions: dict[str, str] = {}
        self._plain: set[str] = set()  # sockets of widgets that know no `handoff` event
        self._sessions_lock = threading.Lock()

    def _session(self, data: Any = None) -> str:
        """The conversation of this connection; a different session_id in the payload is refused."""
        with self._sessions_lock:
            conversation_id = self._sessions.get(request.sid)  # type: ignore[attr-defined]
        if conversation_id is None:
            raise GatewayError("no_session", "Send session_request before anything else.")
        claimed = data.get("session_id") if isinstance(data, dict) else None
        if isinstance(claimed, str):
            claimed = claimed.partition(PLAIN_SEPARATOR)[0]  # a plain widget's id and secret
        if claimed not in (None, conversation_id):
            raise GatewayError("session_mismatch", "This connection belongs to another session.")
        return conversation_id

    def on_connect(self, auth: Any = None) -> bool:
        """A widget connects; the origin was already checked against the allow-list."""
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        sid = request.sid  # type: ignore[attr-defined]
        with self._sessions_lock:
            self._sessions.pop(sid, None)
            self._plain.discard(sid)
        self.forget(sid)

    def on_session_request(self, data: Any = None) -> None:
        """Start or resume a conversation; replay what the customer missed since `last_seq`.

        Resuming needs the resume secret given with the conversation; without it a new
        conversation starts, with a gateway-issued id. A Rasa widget sends back only the
        session id it was confirmed, so a plain widget is confirmed ``<id>.<secret>``: its
        reconnections and reloads resume. The connection leaves the room of the
        conversation it had before.
        """
        data = data if isinstance(data, dict) else {}
        plain = data.get("handoff_events") is not True
        session_id = optional(data, "session_id", str)
        resume_secret = optional(data, "resume_secret", str)
        if plain and session_id is not None and resume_secret is None:
            session_id, _, resume_secret = session_id.partition(PLAIN_SEPARATOR)
        if session_id is not None and not SESSION_ID.fullmatch(session_id):
            session_id = None
        if resume_secret is not None and not RESUME_SECRET.fullmatch(resume_secret):
            resume_secret = None
        token = optional(data, "customer_token", str)
        last_seq = optional(data, "last_seq", int, 0)
        if last_seq < 0:
            raise GatewayError("bad_payload", "'last_seq' cannot be negative.")
        opened = self.gateway.customers.open_session(session_id, resume_secret, token)
        conversation = opened.conversation
        if conversation.id != session_id:
            last_seq = 0  # a new conversation: everything in it is new to the client
        sid = request.sid  # type: ignore[attr-defined]
        with self._sessions_lock:
            previous = self._sessions.get(sid)
            self._sessions[sid] = conversation.id
            if plain:
                self._plain.add(sid)
            else:
                self._plain.discard(sid)
        if previous is not None:
            leave_room(conversation_room(previous))
            leave_room(plain_room(previous))
        join_room(conversation_room(conversation.id))
        if plain:
            join_room(plain_room(conversation.id))
            # The id a Rasa widget keeps and sends back: the conversation's and its secret.
            secret = opened.resume_secret or resume_secret
            self.reply("session_confirm", f"{conversation.id}{PLAIN_SEPARATOR}{secret}")
        elif opened.resume_secret is None:
            self.reply("session_confirm", conversation.id)
        else:
            # A tuple is sent as two arguments: the id, then the secret.
            secret = {"resume_secret": opened.resume_secret}
            emit("session_confirm", (conversation.id, secret), to=sid)
        if opened.problem is not None:
            self._refuse(sid, "session_request", opened.problem)
        self.reply(
            "history",
            {
                "session_id": conversation.id,
                "mode": conversation.mode,
                **self.gateway.customers.missed(conversation.id, last_seq),
                "last_seq": conversation.last_seq,
                "queue": self.gateway.handoffs.queue_status(conversation),
            },
        )

    def on_history_request(self, data: Any = None) -> None:
        """Older lines: the page below `before_seq` (and above `after_seq`, if given)."""
        conversation_id = self._session(data)
        before_seq = field(data, "before_seq")
        after_seq = optional(data, "after_seq", int, 0)
        if not isinstance(before_seq, int) or isinstance(before_seq, bool) or before_seq < 1:
            raise GatewayError("bad_payload", "'before_seq' must be a positive whole number.")
        page = self.gateway.customers.missed(conversation_id, max(after_seq, 0), before_seq)
        self.reply("history_page", {"before_seq": before_seq, **page})

    def on_user_uttered(self, data: Any = None) -> None:
        """The customer wrote something: to the bot, the queue or their agent.

        A line without a ``message`` (rasa-webchat's start message when no ``initPayload``
        is set) is ignored, as Rasa's channel gives the bot nothing to act on.
        """
        if isinstance(data, dict) and data.get("message") is None:
            return
        text = text_field(data, "message")
        line_id = message_id(data)
        metadata = widget_metadata(data)
        conversation_id = self._session(data)
        self.gateway.customers.check_rate(conversation_id)
        self.gateway.customers.says(
            conversation_id,
            text,
            line_id,
            client=request.remote_addr or "unknown",
            metadata=metadata,
        )

    def on_typing(self, data: Any = None) -> None:
        """The customer started or stopped typing (shown to their agent)."""
        typing = field(data, "typing")
        if not isinstance(typing, bool):
            raise GatewayError("bad_payload", "'typing' must be true or false.")
        self.gateway.customers.typing(self._session(data), typing)

    def on_leave_email(self, data: Any = None) -> None:
        """Nobody is available: the customer leaves an email for a follow-up ticket."""
        email = text_field(data, "email").strip()
        if not EMAIL.fullmatch(email):
            raise GatewayError("bad_email", "That doesn't look like an email address.")
        client = request.remote_addr or "unknown"
        self.gateway.customers.leave_email(self._session(data), email, client, message_id(data))

    def on_csat(self, data: Any = None) -> None:
        """The customer rates the ended chat from 1 to 5."""
        rating = field(data, "rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise GatewayError("bad_rating", "'rating' is a whole number from 1 to 5.")
        self.gateway.customers.rate(self._session(data), rating, message_id(data))

    def _refuse(self, sid: str | None, event: Any, error: GatewayError) -> None:
        """Refused: the `error` event, and for a plain widget the same words as bot text."""
        super()._refuse(sid, event, error)
        with self._sessions_lock:
            plain = sid in self._plain
        if plain:
            notice = {"text": str(error), "metadata": {"sender": "system", "status": "error"}}
            self.socketio.emit("bot_uttered", notice, to=sid, namespace=self.namespace)


def widget_metadata(data: dict[str, Any]) -> dict[str, Any] | None:
    """What a widget gives the bot beside the line: ``customData`` (rasa-webchat) or
    ``metadata`` (Rasa's default key), an object of at most ``MAX_METADATA`` characters
    of JSON. It is the customer's own claim, never proof of anything."""
    value = data.get("customData", data.get("metadata"))
    if value is None:
        return None
    if not isinstance(value, dict):
        raise GatewayError("bad_payload", "'customData' must be an object.")
    if len(json.dumps(value)) > MAX_METADATA:
        raise GatewayError(
            "bad_payload", f"'customData' is over {MAX_METADATA} characters as JSON."
        )
    return value
