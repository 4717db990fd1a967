"""Both Socket.IO namespaces through Flask-SocketIO's test client: no network, no Rasa.

The app is ``create_app``'s, on the test Redis and its own SQLite file, with one
change: Socket.IO runs without the Redis message queue. Flask-SocketIO's test client
refuses a message queue (``SocketIOTestClient`` raises "Test client cannot be used
with a message queue"), because with one every emit is published to Redis and
delivered later by a listener thread, while the test client captures what the server
sends synchronously. The gateway's state is still all in Redis. Rasa is a
``ScriptedRasa`` put in place of the gateway's client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from flask import Flask
from flask_socketio import SocketIO, SocketIOTestClient

import handoff.app
from core.settings import Settings
from handoff.app import create_app
from handoff.protocol import check_from_gateway
from handoff.records import agents as agents_module
from handoff.service.customers import REQUEST_HUMAN
from handoff.service.gateway import Gateway
from handoff.sockets.customers import RESUME_SECRET
from handoff.sockets.namespace import BURST, MAX_TEXT
from handoff.stores.conversations import UnknownConversation
from tests.handoff.service_doubles import FALLBACK_TEXT, ScriptedRasa

PASSWORD = "correct horse battery"
# A conversation id the gateway never issued (a client may make one up: it is not honoured).
SESSION = "session-0001"
# A page of another site than the gateway's (a widget host): never allowed agents' sockets.
WIDGET_HOST = "https://shop.example.com"
PACKET: dict[str, Any] = {"reason": "explicit_request", "skill": "general", "priority": "normal"}


class QueueFreeSocketIO(SocketIO):
    """The gateway's SocketIO without ``message_queue``: the test client refuses one."""

    def init_app(self, app: Flask, **kwargs: Any) -> None:
        kwargs.pop("message_queue", None)
        super().init_app(app, **kwargs)


Received = list[tuple[str, Any]]


class Opened(NamedTuple):
    """A conversation the gateway opened for a widget: the id and resume secret it issued."""

    session_id: str
    resume_secret: str


@pytest.fixture
def rasa() -> ScriptedRasa:
    return ScriptedRasa()


@pytest.fixture
def app(
    gateway_settings: Settings, monkeypatch: pytest.MonkeyPatch, rasa: ScriptedRasa
) -> Iterator[Flask]:
    """The gateway on the emptied test Redis and a fresh SQLite file; agents ann and bob."""
    # A fresh SocketIO per app, so nothing is left on the module's one between tests.
    monkeypatch.setattr(handoff.app, "socketio", QueueFreeSocketIO())
    # scrypt takes a fifth of a second a password; these test accounts need no strength.
    monkeypatch.setattr(agents_module, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    flask_app = create_app(gateway_settings)
    tandem = flask_app.extensions["tandem"]
    tandem.gateway.customers.rasa = rasa
    tandem.gateway.agents.rasa = rasa
    tandem.directory.add("ann", "Ann Lee", PASSWORD, skills=("billing", "general"))
    tandem.directory.add("bob", "Bob Stone", PASSWORD)
    yield flask_app
    tandem.canned.close()
    tandem.directory.close()
    tandem.gateway.archive.close()


def socketio_of(app: Flask) -> SocketIO:
    sio: SocketIO = app.extensions["socketio"]
    return sio


def gateway_of(app: Flask) -> Gateway:
    gateway: Gateway = app.extensions["tandem"].gateway
    return gateway


def received(client: SocketIOTestClient, namespace: str = "/") -> Received:
    """What the server sent the client since the last call, as (event, payload) pairs,
    each checked against the protocol schema (handoff/protocol.schema.json).

    An event sent with several arguments (a new conversation's `session_confirm`: the
    id, then ``{"resume_secret"}``) has them as a tuple for its payload.
    """
    items = client.get_received(namespace)
    for item in items:
        check_from_gateway(namespace, item["name"], item["args"])
    return [
        (item["name"], item["args"][0] if len(item["args"]) == 1 else (tuple(item["args"]) or None))
        for item in items
    ]


def widget(app: Flask) -> SocketIOTestClient:
    """A widget connected to `/` that has not asked for a session yet."""
    client = socketio_of(app).test_client(app, namespace="/")
    assert client.is_connected("/")
    return client


def customer(
    app: Flask, resume: Opened | None = None, plain: bool = False
) -> tuple[SocketIOTestClient, Opened]:
    """Tandem's widget (a Rasa widget if ``plain``) on `/` in a new conversation, or in
    ``resume``'s; the replies are read.

    A new conversation is confirmed with its issued id and resume secret; a resumed one
    with its id alone.
    """
    client = widget(app)
    request = {} if plain else {"handoff_events": True}
    if resume is None:
        client.emit("session_request", request)
        [(confirm, confirmed), (history, started)] = received(client)
        assert (confirm, history) == ("session_confirm", "history")
        if plain:  # a Rasa widget keeps one string: the id and the secret
            session_id, _, secret = confirmed.partition(".")
        else:
            session_id, secret = confirmed[0], confirmed[1]["resume_secret"]
        assert started["session_id"] == session_id
        return client, Opened(session_id, secret)
    client.emit("session_request", {**request, **resume._asdict()})
    [(confirm, confirmed), (history, _)] = received(client)
    assert (confirm, history) == ("session_confirm", "history")
    assert confirmed == (
        f"{resume.session_id}.{resume.resume_secret}" if plain else resume.session_id
    )
    return client, resume


def token_for(app: Flask, login: str) -> str:
    """A socket login token for the agent's current session generation."""
    tandem = app.extensions["tandem"]
    token: str = tandem.tokens.issue(login, tandem.directory.generation(login))
    return token


def agent(app: Flask, login: str) -> SocketIOTestClient:
    """An agent console on `/agent`, connected with the login token; its `state` is read."""
    token = token_for(app, login)
    client = socketio_of(app).test_client(app, namespace="/agent", auth={"token": token})
    assert client.is_connected("/agent")
    assert [name for name, _ in received(client, "/agent")] == ["state"]
    return client


def errors(events: Received) -> list[tuple[str, str]]:
    """(code, event) of every `error` received."""
    return [(data["code"], data["event"]) for name, data in events if name == "error"]


# --- Customers: `/` -----------------------------------------------------------------------


def test_session_request_confirms_the_session_and_sends_its_history(app: Flask) -> None:
    client = widget(app)

    # An id the client chose, without a resume secret: a new conversation under an issued id.
    client.emit("session_request", {"session_id": SESSION, "handoff_events": True})

    [(name, (session_id, secret)), history] = received(client)
    assert name == "session_confirm"
    assert isinstance(session_id, str) and len(session_id) == 32 and session_id != SESSION
    assert set(secret) == {"resume_secret"}
    assert RESUME_SECRET.fullmatch(secret["resume_secret"])
    assert history == (
        "history",
        {
            "session_id": session_id,
            "mode": "bot",
            "messages": [],
            "has_more": False,
            "last_seq": 0,
            "queue": None,
        },
    )
    conversations = gateway_of(app).stores.conversations
    assert conversations.get(session_id).mode == "bot"
    with pytest.raises(UnknownConversation):
        conversations.get(SESSION)


def test_session_request_with_a_malformed_id_gets_a_new_one(app: Flask) -> None:
    client = widget(app)

    client.emit("session_request", {"session_id": "not ok!", "handoff_events": True})

    (name, (session_id, secret)), (_, history) = received(client)
    assert name == "session_confirm"
    assert isinstance(session_id, str) and len(session_id) == 32 and session_id != "not ok!"
    assert RESUME_SECRET.fullmatch(secret["resume_secret"])
    assert history["session_id"] == session_id


def test_a_returning_widget_gets_only_what_it_missed(app: Flask, rasa: ScriptedRasa) -> None:
    first, opened = customer(app)
    rasa.script("hi", {"text": "Hello!"})
    rasa.script("my bill", {"text": "Let's look at your bill."})
    first.emit("user_uttered", {"message": "hi"})
    first.emit("user_uttered", {"message": "my bill"})
    first.disconnect("/")

    again = widget(app)
    again.emit("session_request", {**opened._asdict(), "last_seq": 2, "handoff_events": True})

    (_, confirmed), (_, history) = received(again)
    assert confirmed == opened.session_id  # the id alone: a resumed conversation keeps its secret
    assert (history["session_id"], history["last_seq"], history["has_more"]) == (
        opened.session_id,
        4,
        False,
    )
    assert [
        (m["metadata"]["seq"], m["metadata"]["sender"], m["text"]) for m in history["messages"]
    ] == [
        (3, "customer", "my bill"),
        (4, "bot", "Let's look at your bill."),
    ]


def test_user_uttered_echoes_the_customers_line_then_the_bots_answer(
    app: Flask, rasa: ScriptedRasa
) -> None:
    client, opened = customer(app)
    rasa.script(
        "hi", {"text": "Hello!", "buttons": [{"title": "Talk to a person", "payload": "/x"}]}
    )

    client.emit("user_uttered", {"message": "hi", "session_id": opened.session_id})

    [(mine, echoed), (bot, answer)] = received(client)
    assert (mine, echoed["text"], echoed["metadata"]["seq"], echoed["metadata"]["sender"]) == (
        "user_message",
        "hi",
        1,
        "customer",
    )
    # Rasa's own shape, Tandem's extras under `metadata`.
    assert bot == "bot_uttered"
    assert answer == {
        "text": "Hello!",
        "quick_replies": [{"content_type": "text", "title": "Talk to a person", "payload": "/x"}],
        "metadata": {"seq": 2, "timestamp": answer["metadata"]["timestamp"], "sender": "bot"},
    }
    assert rasa.sent == [(opened.session_id, "hi")]


def test_every_tab_of_a_conversation_sees_its_lines(app: Flask) -> None:
    writing, opened = customer(app)
    watching, _ = customer(app, resume=opened)

    writing.emit("user_uttered", {"message": "hello from tab one"})

    assert [(name, data["text"]) for name, data in received(watching)] == [
        ("user_message", "hello from tab one"),
        ("bot_uttered", FALLBACK_TEXT),
    ]


def test_an_unknown_event_is_answered_with_an_error(app: Flask) -> None:
    client, _ = customer(app)

    client.emit("dance", {"style": "tango"})

    assert received(client) == [
        ("error", {"code": "unknown_event", "message": "No event 'dance'.", "event": "dance"})
    ]


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("user_uttered", "just a string", "bad_payload"),
        ("user_uttered", {"message": ["hi"]}, "bad_payload"),
        ("user_uttered", {"message": "hi", "customData": "en"}, "bad_payload"),
        ("user_uttered", {"message": "hi", "customData": {"x": "y" * 3000}}, "bad_payload"),
        ("user_uttered", {"message": 42}, "bad_payload"),
        ("user_uttered", {"message": "   "}, "bad_payload"),
        ("user_uttered", {"message": "x" * (MAX_TEXT + 1)}, "message_too_long"),
        ("typing", {"typing": "yes"}, "bad_payload"),
        # A resume of the widget's own conversation (its id and secret are added below).
        ("session_request", {"last_seq": -1}, "bad_payload"),
        ("session_request", {"last_seq": "3"}, "bad_payload"),
        ("leave_email", {"email": "not an address"}, "bad_email"),
        ("csat", {"rating": 6}, "bad_rating"),
        ("csat", {"rating": True}, "bad_rating"),
    ],
)
def test_a_bad_payload_is_refused_and_changes_nothing(
    app: Flask, rasa: ScriptedRasa, event: str, payload: Any, code: str
) -> None:
    client, opened = customer(app)
    if event == "session_request":
        payload = {**opened._asdict(), **payload}

    client.emit(event, payload)

    [(name, error)] = received(client)
    assert (name, error["code"], error["event"]) == ("error", code, event)
    assert gateway_of(app).stores.conversations.get(opened.session_id).last_seq == 0
    assert rasa.sent == []


def test_a_too_long_message_says_what_the_limit_is(app: Flask) -> None:
    client, _ = customer(app)

    client.emit("user_uttered", {"message": "x" * (MAX_TEXT + 1)})

    [(_, error)] = received(client)
    assert error["message"] == f"'message' is {MAX_TEXT + 1} characters; the limit is {MAX_TEXT}."


def test_user_uttered_before_session_request_is_refused(app: Flask, rasa: ScriptedRasa) -> None:
    client = widget(app)

    client.emit("user_uttered", {"message": "hi"})

    assert errors(received(client)) == [("no_session", "user_uttered")]
    assert rasa.sent == []


def test_user_uttered_naming_another_session_is_refused(app: Flask, rasa: ScriptedRasa) -> None:
    client, _ = customer(app)

    client.emit("user_uttered", {"message": "hi", "session_id": "someone-elses-session"})

    assert errors(received(client)) == [("session_mismatch", "user_uttered")]
    assert rasa.sent == []


def test_a_flood_of_events_on_one_socket_is_rate_limited(app: Flask) -> None:
    client, _ = customer(app)

    for _ in range(BURST + 5):
        client.emit("typing", {"typing": True})  # with the bot: nothing to answer

    refused = errors(received(client))
    # session_request and the typing events share the burst; refills are 2 a second.
    sent = 1 + BURST + 5
    assert 1 <= len(refused) <= sent - BURST
    assert set(refused) == {("rate_limited", "typing")}


def test_request_human_while_rasa_is_down_reaches_an_agent(app: Flask, rasa: ScriptedRasa) -> None:
    ann = agent(app, "ann")
    client, _ = customer(app)
    rasa.down = True

    client.emit("user_uttered", {"message": REQUEST_HUMAN})

    statuses = [data.get("status") for name, data in received(client) if name == "handoff"]
    assert statuses == ["assigned"]
    [(name, chat)] = received(ann, "/agent")
    assert (name, chat["conversation"]["reason"]) == ("assigned", "bot_unavailable")


# --- Agents: `/agent` ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, {"token": "forged"}, {"token": "for-nobody"}, {"token": "of-an-ended-session"}],
)
def test_a_socket_without_a_valid_login_is_refused_on_agent(
    app: Flask, auth: dict[str, str] | None
) -> None:
    tandem = app.extensions["tandem"]
    if auth == {"token": "for-nobody"}:  # well signed, but for a login that does not exist
        auth = {"token": tandem.tokens.issue("nobody", 0)}
    if auth == {"token": "of-an-ended-session"}:  # ann's, but she logged out since
        auth = {"token": token_for(app, "ann")}
        tandem.directory.end_sessions("ann")

    client = socketio_of(app).test_client(app, namespace="/agent", auth=auth)

    assert not client.is_connected("/agent")
    assert gateway_of(app).stores.presence.all() == []


def test_an_agent_with_a_login_token_connects_and_gets_their_state(app: Flask) -> None:
    token = token_for(app, "ann")

    client = socketio_of(app).test_client(app, namespace="/agent", auth={"token": token})

    assert client.is_connected("/agent")
    assert received(client, "/agent") == [
        (
            "state",
            {
                "agent": {
                    "id": "ann",
                    "name": "Ann Lee",
                    "role": "agent",
                    "skills": ["billing", "general"],
                    "capacity": 3,
                },
                "status": "available",
                "chats": [],
                "queue": [],
                "queue_length": 0,
            },
        )
    ]
    ann = gateway_of(app).stores.presence.get("ann")
    assert ann is not None and (ann.status, ann.disconnected_at) == ("available", None)


def test_an_agent_logged_in_over_http_connects_with_the_session_cookie(app: Flask) -> None:
    browser = app.test_client()
    login = browser.post("/agent/login", json={"login": "bob", "password": PASSWORD})
    assert login.status_code == 200

    client = socketio_of(app).test_client(app, namespace="/agent", flask_test_client=browser)

    assert client.is_connected("/agent")
    [(name, state)] = received(client, "/agent")
    assert (name, state["agent"]["id"]) == ("state", "bob")


@pytest.mark.parametrize("own", [False, True])
def test_an_agent_socket_is_accepted_only_from_the_gateways_own_pages(
    app: Flask, gateway_settings: Settings, own: bool
) -> None:
    origin = gateway_settings.own_origins[0] if own else WIDGET_HOST
    token = token_for(app, "ann")

    client = socketio_of(app).test_client(
        app, namespace="/agent", auth={"token": token}, headers={"Origin": origin}
    )

    assert client.is_connected("/agent") is own
    assert [agent.agent_id for agent in gateway_of(app).stores.presence.all()] == (
        ["ann"] if own else []
    )


def test_an_agent_is_given_a_handed_off_chat_and_their_reply_reaches_the_customer(
    app: Flask, rasa: ScriptedRasa
) -> None:
    bob = agent(app, "bob")
    client, opened = customer(app)
    rasa.script("a person please", {"custom": {"handoff": PACKET}})
    client.emit("user_uttered", {"message": "a person please"})
    [(name, chat)] = received(bob, "/agent")
    assert (name, chat["conversation"]["id"]) == ("assigned", opened.session_id)
    received(client)

    bob.emit(
        "send",
        {"conversation_id": opened.session_id, "text": "Hi, Bob here."},
        namespace="/agent",
    )

    [(name, line)] = received(client)
    assert (name, line["metadata"]["sender"], line["metadata"]["agent_name"], line["text"]) == (
        "bot_uttered",
        "agent",
        "Bob Stone",
        "Hi, Bob here.",
    )


def test_an_agent_sending_on_someone_elses_chat_is_refused(app: Flask, rasa: ScriptedRasa) -> None:
    bob = agent(app, "bob")
    client, opened = customer(app)
    rasa.script("a person please", {"custom": {"handoff": PACKET}})
    client.emit("user_uttered", {"message": "a person please"})
    assert gateway_of(app).stores.conversations.get(opened.session_id).agent_id == "bob"
    received(client)
    received(bob, "/agent")
    ann = agent(app, "ann")

    ann.emit(
        "send", {"conversation_id": opened.session_id, "text": "Not my chat"}, namespace="/agent"
    )

    [(name, error)] = received(ann, "/agent")
    assert (name, error["code"], error["event"]) == ("error", "not_your_conversation", "send")
    assert received(client) == []
    assert received(bob, "/agent") == []
    assert "Not my chat" not in str(gateway_of(app).stores.transcripts.all(opened.session_id))


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("send", {"text": "no conversation named"}),
        ("send", {"conversation_id": "", "text": "hi"}),
        ("transfer", {"conversation_id": SESSION}),
        ("hand_back", {"conversation_id": SESSION, "resume": "yes"}),
        ("typing", {"conversation_id": SESSION, "typing": 1}),
    ],
)
def test_a_bad_agent_payload_is_refused(app: Flask, event: str, payload: dict[str, Any]) -> None:
    ann = agent(app, "ann")

    ann.emit(event, payload, namespace="/agent")

    assert errors(received(ann, "/agent")) == [("bad_payload", event)]


def test_an_agent_who_disconnects_keeps_their_chats_for_the_grace_period(app: Flask) -> None:
    ann = agent(app, "ann")

    ann.disconnect("/agent")

    state = gateway_of(app).stores.presence.get("ann")
    assert state is not None and state.disconnected_at is not None
    assert state.status == "available"  # housekeeping decides once the grace period is over


# --- Rasa widgets on `/` --------------------------------------------------------------------


def test_a_rasa_widget_start_message_without_a_message_is_ignored(
    app: Flask, rasa: ScriptedRasa
) -> None:
    client, opened = customer(app, plain=True)

    # rasa-webchat's start message when no `initPayload` is set.
    client.emit("user_uttered", {"customData": {"language": "en"}, "session_id": opened.session_id})

    assert received(client) == []
    assert rasa.sent == []


def test_a_rasa_widgets_custom_data_reaches_the_bot_as_metadata(
    app: Flask, rasa: ScriptedRasa
) -> None:
    client, opened = customer(app, plain=True)

    client.emit(
        "user_uttered",
        {"message": "hi", "customData": {"language": "en"}, "session_id": opened.session_id},
    )

    assert rasa.sent == [(opened.session_id, "hi")]
    assert rasa.metadata[0] is not None and rasa.metadata[0]["language"] == "en"


def test_a_rasa_widget_is_told_a_refusal_as_bot_text_and_tandems_widget_is_not(
    app: Flask,
) -> None:
    rasa_widget, _ = customer(app, plain=True)
    tandem_widget, _ = customer(app)

    for client in (rasa_widget, tandem_widget):
        client.emit("user_uttered", {"message": "x" * (MAX_TEXT + 1)})

    error = f"'message' is {MAX_TEXT + 1} characters; the limit is {MAX_TEXT}."
    assert [(name, data["code"]) for name, data in received(tandem_widget)] == [
        ("error", "message_too_long")
    ]
    [(_, refused), (name, told)] = received(rasa_widget)
    assert (refused["code"], name) == ("message_too_long", "bot_uttered")
    assert told == {"text": error, "metadata": {"sender": "system", "status": "error"}}


def test_a_rasa_widget_hears_a_status_change_as_bot_text(app: Flask) -> None:
    rasa_widget, opened = customer(app, plain=True)
    tandem_widget, _ = customer(app, resume=opened)

    gateway_of(app).relay.system(opened.session_id, "returned_to_bot", "You're back with the bot.")

    assert [(name, data["text"]) for name, data in received(rasa_widget)] == [
        ("handoff", "You're back with the bot."),
        ("bot_uttered", "You're back with the bot."),
    ]
    assert [name for name, _ in received(tandem_widget)] == ["handoff"]


def test_a_widget_that_says_it_knows_handoff_events_leaves_the_plain_room(app: Flask) -> None:
    client, opened = customer(app, plain=True)
    client.emit("session_request", {**opened._asdict(), "handoff_events": True})
    received(client)

    gateway_of(app).relay.system(opened.session_id, "returned_to_bot", "Back with the bot.")

    assert [name for name, _ in received(client)] == ["handoff"]


def test_a_rasa_widget_resumes_with_the_session_id_it_was_confirmed(app: Flask) -> None:
    first, opened = customer(app, plain=True)
    first.emit(
        "user_uttered",
        {"message": "hi", "session_id": f"{opened.session_id}.{opened.resume_secret}"},
    )
    assert [name for name, _ in received(first)] == ["user_message", "bot_uttered"]
    first.disconnect("/")

    # rasa-webchat reconnecting: the stored session id, nothing else.
    again = widget(app)
    again.emit("session_request", {"session_id": f"{opened.session_id}.{opened.resume_secret}"})
    [(_, confirmed), (_, history)] = received(again)
    assert confirmed == f"{opened.session_id}.{opened.resume_secret}"
    assert history["session_id"] == opened.session_id

    # The id alone, or a wrong secret, is no credential: a new conversation.
    for claimed in (opened.session_id, f"{opened.session_id}.wrong-secret"):
        other = widget(app)
        other.emit("session_request", {"session_id": claimed})
        [(_, confirmed), _] = received(other)
        assert not confirmed.startswith(opened.session_id)
