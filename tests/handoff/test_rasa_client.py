"""The Rasa client against a small real HTTP server that answers like Rasa 3.6.

The routes, status codes and bodies follow ``rasa/server.py`` (HTTP API, token
in ``?token=``) and ``bot/channel.py`` (REST channel). Tests against the real
Rasa server are in the gateway's integration tests.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.process import free_port
from handoff.rasa_client import RasaClient, RasaError, RasaRefused, RasaUnavailable

TOKEN = "rasa-secret-token"
NOT_AUTHENTICATED: dict[str, Any] = {
    "version": "3.6.20",
    "status": "failure",
    "message": "User is not authenticated.",
    "reason": "NotAuthenticated",
    "details": {},
    "help": None,
    "code": 401,
}


@dataclass
class Seen:
    """One request the fake Rasa received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeRasa:
    """What the server knows: requests seen and slots set, per conversation."""

    url: str
    requests: list[Seen] = field(default_factory=list)
    slots: dict[str, dict[str, Any]] = field(default_factory=dict)


class _RasaHandler(BaseHTTPRequestHandler):
    server: _RasaServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``FakeRasa.requests`` instead."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body: Any = json.loads(self.rfile.read(length)) if length else None
        rasa = self.server.rasa
        rasa.requests.append(Seen(method, parts.path, query, body))
        if query.get("token") != TOKEN:
            if parts.path == "/webhooks/rest/webhook":
                error = "Missing or wrong token (use ?token= or Authorization: Bearer)."
                self._json(401, {"error": error})
            else:
                self._json(401, NOT_AUTHENTICATED)
            return
        if parts.path == "/webhooks/rest/webhook" and method == "POST":
            self._webhook(body)
            return
        segments = parts.path.split("/")
        if len(segments) >= 4 and segments[1] == "conversations":
            conversation_id = unquote(segments[2])
            action = "/".join(segments[3:])
            slots = rasa.slots.setdefault(conversation_id, {})
            if action == "trigger_intent" and method == "POST":
                if body["name"] not in ("EXTERNAL_welcome_back", "EXTERNAL_resume_task"):
                    self._json(404, {"message": "The intent does not exist in the domain."})
                    return
                text = f"{body['name']} with {body['entities']}"
                self._json(
                    200,
                    {
                        "tracker": {"sender_id": conversation_id},
                        "messages": [{"recipient_id": conversation_id, "text": text}],
                    },
                )
                return
            if action == "tracker" and method == "GET":
                self._json(200, {"sender_id": conversation_id, "slots": slots, "events": []})
                return
            if action == "tracker/events" and method == "POST":
                for event in body:
                    slots[event["name"]] = event["value"]
                self._json(200, {"sender_id": conversation_id, "slots": slots})
                return
        self._json(404, {"message": "Not found"})

    def _webhook(self, body: dict[str, Any]) -> None:
        message = body["message"]
        if message == "crash":
            self._json(500, {"error": "The assistant failed to handle the message."})
        elif message == "slow":
            time.sleep(1.0)
            self._json(200, [])
        elif message == "drop":  # dies mid-turn: the request arrived, no answer leaves
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif message == "html":
            self._send(200, b"<html>502 Bad Gateway</html>", "text/html")
        elif message == "object":
            self._json(200, {"text": "not a list"})
        elif message == "":
            self._json(400, {"error": "'message' must be a non-empty string."})
        else:
            sender = body["sender"]
            self._json(
                200,
                [
                    {"recipient_id": sender, "text": f"echo: {message}"},
                    {"recipient_id": sender, "custom": {"metadata": body.get("metadata")}},
                ],
            )

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _RasaServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RasaHandler)
        self.rasa = FakeRasa(url=f"http://127.0.0.1:{self.server_address[1]}")


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    server = _RasaServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.rasa
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(rasa: FakeRasa) -> Iterator[RasaClient]:
    rasa_client = RasaClient([rasa.url + "/"], TOKEN, timeout=0.5)
    yield rasa_client
    rasa_client.close()


# --- calls --------------------------------------------------------------------------


def test_send_posts_to_the_rest_channel_and_returns_the_replies(
    rasa: FakeRasa, client: RasaClient
) -> None:
    replies = client.send("conv-1", "hello", metadata={"customer_id": "ACC-1"})
    assert replies == [
        {"recipient_id": "conv-1", "text": "echo: hello"},
        {"recipient_id": "conv-1", "custom": {"metadata": {"customer_id": "ACC-1"}}},
    ]
    [seen] = rasa.requests
    assert (seen.method, seen.path, seen.query) == (
        "POST",
        "/webhooks/rest/webhook",
        {"token": TOKEN},
    )
    assert seen.body == {
        "sender": "conv-1",
        "message": "hello",
        "metadata": {"customer_id": "ACC-1"},
    }


def test_send_without_metadata_sends_none(rasa: FakeRasa, client: RasaClient) -> None:
    client.send("conv-1", "hello")
    assert rasa.requests[0].body == {"sender": "conv-1", "message": "hello"}


def test_trigger_posts_the_intent_and_returns_the_messages(
    rasa: FakeRasa, client: RasaClient
) -> None:
    replies = client.trigger("conv-1", "EXTERNAL_resume_task", {"interrupted_form": "pay_form"})
    assert replies == [
        {
            "recipient_id": "conv-1",
            "text": "EXTERNAL_resume_task with {'interrupted_form': 'pay_form'}",
        }
    ]
    [seen] = rasa.requests
    assert (seen.path, seen.query) == (
        "/conversations/conv-1/trigger_intent",
        {"token": TOKEN, "include_events": "NONE"},
    )
    assert seen.body == {
        "name": "EXTERNAL_resume_task",
        "entities": {"interrupted_form": "pay_form"},
    }
    assert client.trigger("conv-1", "EXTERNAL_welcome_back")[0]["text"].endswith("with {}")


def test_set_slots_posts_slot_events_that_the_tracker_then_shows(
    rasa: FakeRasa, client: RasaClient
) -> None:
    client.set_slots("conv-1", {"customer_id": "ACC-1", "verified": True})
    [seen] = rasa.requests
    assert (seen.method, seen.path) == ("POST", "/conversations/conv-1/tracker/events")
    assert seen.body == [
        {"event": "slot", "name": "customer_id", "value": "ACC-1"},
        {"event": "slot", "name": "verified", "value": True},
    ]
    tracker = client.tracker("conv-1")
    assert tracker["slots"] == {"customer_id": "ACC-1", "verified": True}
    assert rasa.requests[-1].query == {"token": TOKEN, "include_events": "AFTER_RESTART"}
    client.tracker("conv-1", include_events="ALL")
    assert rasa.requests[-1].query["include_events"] == "ALL"


def test_no_slots_means_no_request(rasa: FakeRasa, client: RasaClient) -> None:
    client.set_slots("conv-1", {})
    assert rasa.requests == []


def test_conversation_ids_are_quoted_in_paths(rasa: FakeRasa, client: RasaClient) -> None:
    client.set_slots("a/b c?", {"x": 1})
    assert rasa.requests[0].path == "/conversations/a%2Fb%20c%3F/tracker/events"
    assert rasa.slots == {"a/b c?": {"x": 1}}


# --- failures -----------------------------------------------------------------------


def test_wrong_token_is_refused_with_401_and_never_echoed(rasa: FakeRasa) -> None:
    client = RasaClient([rasa.url], "wrong-token")
    with pytest.raises(RasaRefused) as api:
        client.tracker("conv-1")
    assert api.value.status == 401
    assert api.value.reason == "User is not authenticated."
    with pytest.raises(RasaRefused) as channel:
        client.send("conv-1", "hello")
    assert channel.value.status == 401
    assert "Missing or wrong token" in str(channel.value)
    assert "wrong-token" not in str(api.value) + str(channel.value)
    client.close()


def test_other_4xx_are_refusals_with_their_status(client: RasaClient) -> None:
    with pytest.raises(RasaRefused) as unknown:
        client.trigger("conv-1", "no_such_intent")
    assert (unknown.value.status, unknown.value.reason) == (
        404,
        "The intent does not exist in the domain.",
    )
    with pytest.raises(RasaRefused) as empty:
        client.send("conv-1", "")
    assert empty.value.status == 400
    assert not isinstance(empty.value, RasaUnavailable)


def test_5xx_means_unavailable(client: RasaClient) -> None:
    with pytest.raises(RasaUnavailable, match="Rasa answered 500.*failed to handle"):
        client.send("conv-1", "crash")


def test_a_slow_rasa_times_out_as_unavailable(client: RasaClient) -> None:
    start = time.perf_counter()
    with pytest.raises(RasaUnavailable, match=r"did not answer within 0.5 s"):
        client.send("conv-1", "slow")
    assert time.perf_counter() - start < 0.95


def test_a_closed_port_means_unavailable_without_the_token_in_sight() -> None:
    client = RasaClient([f"http://127.0.0.1:{free_port()}"], TOKEN, timeout=2)
    for call in (
        lambda: client.send("conv-1", "hello"),
        lambda: client.trigger("conv-1", "EXTERNAL_welcome_back"),
        lambda: client.tracker("conv-1"),
        lambda: client.set_slots("conv-1", {"x": 1}),
    ):
        with pytest.raises(RasaUnavailable, match="is unreachable") as error:
            call()
        assert TOKEN not in str(error.value)
        assert error.value.__cause__ is None and error.value.__suppress_context__
    client.close()


@pytest.mark.parametrize(
    ("message", "complaint"), [("html", "is not JSON"), ("object", "not a list of messages")]
)
def test_answers_that_are_not_rasa_answers_mean_unavailable(
    client: RasaClient, message: str, complaint: str
) -> None:
    with pytest.raises(RasaUnavailable, match=complaint):
        client.send("conv-1", message)


# --- several Rasa servers -----------------------------------------------------------


def test_a_conversation_keeps_to_one_server_and_the_servers_share_conversations(
    rasa: FakeRasa,
) -> None:
    other = _RasaServer()
    threading.Thread(target=other.serve_forever, args=(0.05,), daemon=True).start()
    client = RasaClient([rasa.url, other.rasa.url], TOKEN, timeout=2)
    try:
        ids = [f"conv-{n}" for n in range(20)]
        for conversation_id in ids:
            client.send(conversation_id, "hello")
            client.send(conversation_id, "again")
        by_server = {
            server.url: {seen.body["sender"] for seen in server.requests}
            for server in (rasa, other.rasa)
        }
        assert by_server[rasa.url].isdisjoint(by_server[other.rasa.url])
        assert by_server[rasa.url] | by_server[other.rasa.url] == set(ids)
        assert by_server[rasa.url] and by_server[other.rasa.url]
    finally:
        client.close()
        other.shutdown()
        other.server_close()


def test_a_server_that_is_down_is_passed_over_for_the_next(rasa: FakeRasa) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    client = RasaClient([down, rasa.url], TOKEN, timeout=2)
    ids = [f"conv-{n}" for n in range(10)]
    for conversation_id in ids:
        assert client.send(conversation_id, "hello")[0]["text"] == "echo: hello"
    assert {seen.body["sender"] for seen in rasa.requests} == set(ids)
    client.close()


def test_a_server_that_dies_mid_turn_is_not_asked_again(rasa: FakeRasa) -> None:
    """The message reached Rasa, which may have run actions: sending it twice could repeat them."""
    second = _RasaServer()
    threading.Thread(target=second.serve_forever, args=(0.05,), daemon=True).start()
    client = RasaClient([rasa.url, second.rasa.url], TOKEN, timeout=2)
    try:
        with pytest.raises(RasaUnavailable, match="dropped the connection") as error:
            client.send("conv-1", "drop")
        assert TOKEN not in str(error.value)
        assert len(rasa.requests) + len(second.rasa.requests) == 1
    finally:
        client.close()
        second.shutdown()
        second.server_close()


def test_no_servers_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RasaClient([], TOKEN)


def test_one_base_error() -> None:
    assert issubclass(RasaUnavailable, RasaError) and issubclass(RasaRefused, RasaError)
    assert not issubclass(RasaRefused, RasaUnavailable)
