"""The gateway's client for the Rasa server: the REST channel and the HTTP API.

One ``requests.Session`` per client keeps connections to Rasa open. With
several Rasa servers (RASA_URLS) a conversation goes to the same one each time
and moves to the next only when a connection cannot be made: then the request
never reached Rasa, so nothing can run twice. Every
call raises rather than returning an error: ``RasaUnavailable`` when Rasa
cannot answer (connection refused, timeout, 5xx, an answer that is not what
Rasa sends) so the gateway can offer a human, and ``RasaRefused`` with the
status when Rasa refuses the request (401: wrong token; other 4xx: a bad
request, which is our bug). Messages never contain the token, which travels
in the URL (``?token=``) because that is the only way Rasa's API accepts it.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import requests
import urllib3.exceptions
from flask import has_request_context, request

MAX_REASON_CHARS = 200
# A server that takes longer than this to accept a connection is treated as down.
CONNECT_SECONDS = 2.0


class RasaError(Exception):
    """Base of every error of the Rasa client."""


class RasaUnavailable(RasaError):
    """Rasa did not answer usefully: unreachable, too slow, a 5xx or a malformed answer."""


class RasaTimeout(RasaUnavailable):
    """Rasa took the request but did not answer in time."""


class RasaRefused(RasaError):
    """Rasa answered 4xx: 401 means a wrong RASA_TOKEN, the others a request Rasa rejects."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"Rasa refused the request with {status}: {reason}")
        self.status = status
        self.reason = reason


class RasaClient:
    """Talks to the Rasa servers on behalf of every conversation of the gateway."""

    def __init__(self, servers: Sequence[str], token: str, timeout: float = 10.0) -> None:
        if not servers:
            raise ValueError("RasaClient needs at least one Rasa server URL.")
        self.servers = tuple(url.rstrip("/") for url in servers)
        self.timeout = timeout
        self._token = token
        self._session = requests.Session()
        # Rasa is a service beside us: environment proxies and .netrc must not apply
        # (and skipping their lookup saves time on every message).
        self._session.trust_env = False

    def close(self) -> None:
        self._session.close()

    def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """A customer message through the REST channel; the bot's replies, in order."""
        body: dict[str, Any] = {"sender": conversation_id, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        return _messages(self._call("POST", "/webhooks/rest/webhook", conversation_id, json=body))

    def trigger(
        self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Run the bot on an intent the customer did not type (hand-back); its replies."""
        answer = self._call(
            "POST",
            f"{_conversation(conversation_id)}/trigger_intent",
            conversation_id,
            json={"name": intent, "entities": entities or {}},
            params={"include_events": "NONE"},
        )
        if not isinstance(answer, dict):
            raise RasaUnavailable("Rasa's trigger_intent answer is not a JSON object.")
        return _messages(answer.get("messages", []))

    def tracker(
        self, conversation_id: str, include_events: str = "AFTER_RESTART"
    ) -> dict[str, Any]:
        """The conversation's tracker state as Rasa dumps it (slots, events, latest message)."""
        answer = self._call(
            "GET",
            f"{_conversation(conversation_id)}/tracker",
            conversation_id,
            params={"include_events": include_events},
        )
        if not isinstance(answer, dict):
            raise RasaUnavailable("Rasa's tracker answer is not a JSON object.")
        return answer

    def set_slots(self, conversation_id: str, slots: dict[str, Any]) -> None:
        """Set slots of the conversation (``SlotSet`` events), without running the bot."""
        if not slots:
            return
        events = [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
        self._call(
            "POST",
            f"{_conversation(conversation_id)}/tracker/events",
            conversation_id,
            json=events,
            params={"include_events": "NONE"},
        )

    def servers_for(self, conversation_id: str) -> list[str]:
        """The servers in the order this conversation tries them: its own first, then the rest."""
        first = zlib.crc32(conversation_id.encode()) % len(self.servers)
        return list(self.servers[first:] + self.servers[:first])

    def _call(
        self,
        method: str,
        path: str,
        conversation_id: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        """One request; its JSON answer, or an exception that never shows the token."""
        unreachable: list[str] = []
        for server in self.servers_for(conversation_id):
            try:
                response = self._session.request(
                    method,
                    server + path,
                    params={**(params or {}), "token": self._token},
                    json=json,
                    timeout=(min(CONNECT_SECONDS, self.timeout), self.timeout),
                )
            except requests.ConnectionError as exc:
                if _never_connected(exc):
                    unreachable.append(server)
                    continue
                # ``from None``: requests' own message carries the URL, and so the token.
                raise RasaUnavailable(
                    f"Rasa at {server} dropped the connection ({type(exc).__name__})."
                ) from None
            except requests.Timeout:
                raise RasaTimeout(
                    f"Rasa at {server} did not answer within {self.timeout:g} s."
                ) from None
            except requests.RequestException as exc:
                raise RasaUnavailable(
                    f"Rasa at {server} is unreachable ({type(exc).__name__})."
                ) from None
            return _answer(response, method, path)
        raise RasaUnavailable(f"Rasa at {', '.join(unreachable)} is unreachable.") from None


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the request never reached the server (refused, no route, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _answer(response: requests.Response, method: str, path: str) -> Any:
    """The JSON of a Rasa answer, or the exception its status means."""
    if response.status_code >= 500:
        raise RasaUnavailable(
            f"Rasa answered {response.status_code} to {method} {path}: {_reason(response)}"
        )
    if response.status_code >= 400:
        raise RasaRefused(response.status_code, _reason(response))
    try:
        return response.json()
    except ValueError:
        raise RasaUnavailable(f"Rasa's answer to {method} {path} is not JSON.") from None


def rasa_error_kind(error: RasaError) -> str:
    """``timeout``, ``unavailable`` or ``refused``: how the gateway's figures count it."""
    if isinstance(error, RasaTimeout):
        return "timeout"
    return "refused" if isinstance(error, RasaRefused) else "unavailable"


def client_metadata() -> dict[str, Any]:
    """Who is writing, for the action server's per-client limits: a hash of the peer address.

    Behind a proxy the peer is the proxy unless the app trusts its forwarding headers.
    """
    if not has_request_context() or not request.remote_addr:
        return {}
    return {"client": hashlib.sha256(request.remote_addr.encode()).hexdigest()[:32]}


def _conversation(conversation_id: str) -> str:
    return "/conversations/" + quote(conversation_id, safe="")


def _messages(answer: Any) -> list[dict[str, Any]]:
    """Bot messages as Rasa's collecting channel returns them: a list of objects."""
    if not isinstance(answer, list) or not all(isinstance(item, dict) for item in answer):
        raise RasaUnavailable("Rasa's answer is not a list of messages.")
    return answer


def _reason(response: requests.Response) -> str:
    """Why Rasa says no: its JSON ``message`` (API) or ``error`` (REST channel), else the text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    reason = body.get("message") or body.get("error") if isinstance(body, dict) else None
    if not isinstance(reason, str) or not reason:
        reason = response.reason or response.text
    return reason[:MAX_REASON_CHARS]
