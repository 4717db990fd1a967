"""What both Socket.IO audiences share: unknown events, bad payloads and floods get an `error`.

Handlers raise ``GatewayError``; the client receives
``error {"code", "message", "event"}`` and nothing else changes.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import request
from flask_socketio import Namespace, emit

from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway

log = logging.getLogger(__name__)
# A message longer than this is refused (the widget limits typing to it too).
MAX_TEXT = 5000
# Per connection: a burst of BURST events, refilled at RATE events a second.
BURST = 10
RATE = 2.0


class TokenBucket:
    """Allows short bursts, then a steady rate; one per connection, in this process."""

    def __init__(self, burst: int = BURST, rate: float = RATE) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def text_field(data: Any, name: str = "message") -> str:
    """A required, non-empty string field of at most MAX_TEXT characters."""
    value = field(data, name)
    if not isinstance(value, str) or not value.strip():
        raise GatewayError("bad_payload", f"'{name}' must be a non-empty string.")
    if len(value) > MAX_TEXT:
        raise GatewayError(
            "message_too_long", f"'{name}' is {len(value)} characters; the limit is {MAX_TEXT}."
        )
    return value


def field(data: Any, name: str) -> Any:
    """A field of an object payload; a missing one or a non-object payload is an error."""
    if not isinstance(data, dict):
        raise GatewayError("bad_payload", "The payload must be a JSON object.")
    if name not in data:
        raise GatewayError("bad_payload", f"'{name}' is missing.")
    return data[name]


def optional(data: Any, name: str, kind: type, default: Any = None) -> Any:
    """An optional field of the given type."""
    if not isinstance(data, dict) or data.get(name) is None:
        return default
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise GatewayError("bad_payload", f"'{name}' must be of type {kind.__name__}.")
    return value


class GatewayNamespace(Namespace):
    """Dispatches events to ``on_<event>`` methods, turning every refusal into an `error` event."""

    def __init__(self, namespace: str, gateway: Gateway) -> None:
        super().__init__(namespace)
        self.gateway = gateway
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)
        sid = args[0] if args else None
        if not hasattr(self, f"on_{event}"):
            return self._refuse(sid, event, GatewayError("unknown_event", f"No event '{event}'."))
        if not self._bucket(sid).take():
            return self._refuse(
                sid, event, GatewayError("rate_limited", "Too many events; slow down a little.")
            )
        try:
            return super().trigger_event(event, *args)
        except GatewayError as error:
            return self._refuse(sid, event, error)
        except Exception:
            # The client learns that it failed, never how: details stay in the log.
            log.exception("Event %r failed.", event)
            return self._refuse(
                sid, event, GatewayError("internal_error", "Something went wrong; please retry.")
            )

    def _bucket(self, sid: str | None) -> TokenBucket:
        with self._lock:
            return self._buckets.setdefault(sid or "", TokenBucket())

    def forget(self, sid: str) -> None:
        with self._lock:
            self._buckets.pop(sid, None)

    def _refuse(self, sid: str | None, event: str, error: GatewayError) -> None:
        self.socketio.emit(
            "error",
            {"code": error.code, "message": str(error), "event": event},
            to=sid,
            namespace=self.namespace,
        )

    @staticmethod
    def reply(event: str, data: Any) -> None:
        """Answer the client whose event is being handled."""
        emit(event, data, to=request.sid)  # type: ignore[attr-defined]
