"""The console's pages and JSON API through Flask's test client, on real Redis and SQLite.

Who may see and change what (login, the supervisor role, one's own chats), that
changes are JSON only, and that bad or hostile input gets a clear answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.settings import Settings
from handoff.app import create_app
from handoff.records.agents import AgentDirectory
from handoff.service.gateway import Gateway

PASSWORD = "correct horse battery"


@pytest.fixture
def app(gateway_settings: Settings) -> Iterator[Flask]:
    """The gateway on the test Redis (emptied) and its own SQLite file; agents ann, sue, bob."""
    flask_app = create_app(gateway_settings)
    directory: AgentDirectory = flask_app.extensions["tandem"].directory
    directory.add("ann", "Ann Lee", PASSWORD, skills=("billing", "general"))
    directory.add("bob", "<b>Bob</b>", PASSWORD)
    directory.add("sue", "Sue Park", PASSWORD, role="supervisor")
    yield flask_app
    tandem = flask_app.extensions["tandem"]
    tandem.canned.close()
    tandem.directory.close()
    tandem.gateway.archive.close()


def client_of(app: Flask, login: str | None) -> FlaskClient:
    """A browser of its own; logged in as ``login`` unless None."""
    client = app.test_client()
    if login:
        answer = client.post("/agent/login", json={"login": login, "password": PASSWORD})
        assert answer.status_code == 200
    return client


def gateway_of(app: Flask) -> Gateway:
    gateway: Gateway = app.extensions["tandem"].gateway
    return gateway


def assigned_chat(
    app: Flask, agent: str, customer: dict[str, Any], slots: dict | None = None
) -> str:
    """A conversation handed off by the bot and taken by ``agent``; its id."""
    gateway = gateway_of(app)
    conversation_id = f"conv-{agent}-{len(gateway.stores.conversations.live())}"
    gateway.stores.conversations.open(conversation_id, customer)
    gateway.stores.queue.enqueue(
        conversation_id, "normal", "general", reason="explicit_request", packet={"slots": slots}
    )
    gateway.stores.presence.online(agent, agent, ["general"], 3)
    gateway.stores.queue.claim(conversation_id, agent)
    return conversation_id


def greeting_id(client: FlaskClient) -> int:
    listed = client.get("/agent/api/canned").get_json()["canned"]
    return int(next(c["id"] for c in listed if c["title"] == "Greeting"))


def test_pages_and_api_need_a_login(app: Flask) -> None:
    anonymous = client_of(app, None)
    page = anonymous.get("/agent")
    assert page.status_code == 200
    assert b'<label for="login">Login</label>' in page.data
    assert anonymous.get("/agent/supervisor").headers["Location"] == "/agent"
    for method, url in [
        ("GET", "/agent/api/canned"),
        ("POST", "/agent/api/canned"),
        ("PUT", "/agent/api/canned/1"),
        ("DELETE", "/agent/api/canned/1"),
        ("POST", "/agent/api/canned/1/render"),
        ("GET", "/agent/api/agents"),
        ("GET", "/agent/api/queue"),
        ("GET", "/agent/api/supervisor"),
        ("GET", "/agent/api/supervisor/conversations/x"),
        ("GET", "/agent/api/conversations/x/history"),
        ("GET", "/agent/api/conversations/x/canned"),
    ]:
        answer = anonymous.open(url, method=method, json={})
        assert (answer.status_code, answer.get_json()["error"]) == (401, "not_logged_in"), url


def test_the_api_is_rate_limited_per_agent(app: Flask) -> None:
    calls = gateway_of(app).stores.api_calls
    # Per minute of the clock, across gateway processes (the count is in Redis).
    assert [calls.allowed("ann", 60.0 + i) for i in range(3)] == [True] * 3
    calls.per_minute = 3
    assert calls.allowed("ann", 119.0) is False
    assert calls.allowed("bob", 119.0) and calls.allowed("ann", 120.0)  # others; a new minute
    calls.per_minute = 0
    refused = client_of(app, "ann").get("/agent/api/queue")
    assert (refused.status_code, refused.get_json()["error"]) == (429, "rate_limited")


def test_login_console_and_logout(app: Flask) -> None:
    client = client_of(app, None)
    wrong = client.post("/agent/login", json={"login": "ann", "password": "nope"})
    assert (wrong.status_code, wrong.get_json()["message"]) == (401, "Wrong login or password.")
    assert client.post("/agent/login", json=["ann"]).status_code == 400
    client.post("/agent/login", json={"login": "ann", "password": PASSWORD})
    console = client.get("/agent")
    assert b"Ann Lee" in console.data and b'id="chat-list"' in console.data
    assert b"Supervisor view" not in console.data  # the link is for supervisors
    assert client.post("/agent/logout", json={}).status_code == 200
    assert b'<label for="login">Login</label>' in client.get("/agent").data


def test_state_changes_must_be_json(app: Flask) -> None:
    """A form on another site can post urlencoded or text/plain, never application/json."""
    client = client_of(app, "sue")
    for content_type in ("application/x-www-form-urlencoded", "text/plain", "multipart/form-data"):
        for url in ("/agent/api/canned", "/agent/login", "/agent/logout"):
            answer = client.post(url, data="title=x&body=y", content_type=content_type)
            assert (answer.status_code, answer.get_json()["error"]) == (415, "json_required")
    assert b"Sue Park" in client.get("/agent").data  # the forged logout did nothing


def test_pages_are_not_cached_framed_or_scriptable_from_elsewhere(app: Flask) -> None:
    page = client_of(app, "ann").get("/agent", headers={"Host": "console.example"})
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "connect-src 'self' ws://console.example wss://console.example" in policy
    assert page.headers["Cache-Control"] == "no-store"


def test_names_are_escaped_in_pages(app: Flask) -> None:
    page = client_of(app, "bob").get("/agent").data
    assert b"&lt;b&gt;Bob&lt;/b&gt;" in page and b"<b>Bob</b>" not in page


def test_only_supervisors_see_the_supervisor_view(app: Flask) -> None:
    agent = client_of(app, "ann")
    forbidden = agent.get("/agent/supervisor")
    assert forbidden.status_code == 403 and b"Supervisors only" in forbidden.data
    assert agent.get("/agent/api/supervisor").status_code == 403
    supervisor = client_of(app, "sue")
    assert supervisor.get("/agent/supervisor").status_code == 200
    assert b'href="/agent/supervisor"' in supervisor.get("/agent").data


def test_agents_use_canned_responses_supervisors_edit_them(app: Flask) -> None:
    agent, supervisor = client_of(app, "ann"), client_of(app, "sue")
    greeting = greeting_id(agent)
    edit = {"title": "Hi", "body": "Hi {{ customer.name }}"}
    assert agent.post("/agent/api/canned", json=edit).status_code == 403
    assert agent.put(f"/agent/api/canned/{greeting}", json=edit).status_code == 403
    assert agent.delete(f"/agent/api/canned/{greeting}", json={}).status_code == 403

    added = supervisor.post("/agent/api/canned", json=edit)
    assert added.status_code == 201
    new = added.get_json()["canned"]
    assert (new["title"], new["updated_by"]) == ("Hi", "sue")
    changed = supervisor.put(f"/agent/api/canned/{new['id']}", json={**edit, "title": "Hi!"})
    assert changed.get_json()["canned"]["title"] == "Hi!"
    duplicate = supervisor.put(f"/agent/api/canned/{new['id']}", json={**edit, "title": "Greeting"})
    assert (duplicate.status_code, duplicate.get_json()["error"]) == (409, "canned_exists")
    assert supervisor.delete(f"/agent/api/canned/{new['id']}", json={}).status_code == 200
    gone = supervisor.delete(f"/agent/api/canned/{new['id']}", json={})
    assert (gone.status_code, gone.get_json()["error"]) == (404, "unknown_canned")
    assert "Hi!" not in [c["title"] for c in agent.get("/agent/api/canned").get_json()["canned"]]


@pytest.mark.parametrize(
    ("body", "status", "error", "message"),
    [
        ({"title": "X", "body": "{{ ''.__class__.__mro__ }}"}, 400, "invalid_canned", "'__mro__'"),
        ({"title": "X", "body": "{{ lipsum.__globals__ }}"}, 400, "invalid_canned", "__globals__"),
        ({"title": "X", "body": "{{ range(10**9) }}"}, 400, "invalid_canned", "not allowed"),
        ({"title": "X", "body": "{{ unclosed"}, 400, "invalid_canned", "syntax error"),
        ({"title": "X", "body": "x" * 2001}, 400, "invalid_canned", "1 to 2000 characters"),
        ({"title": "", "body": "Hi"}, 400, "invalid_canned", "title must be"),
        ({"title": 5, "body": "Hi"}, 400, "bad_payload", "'title' must be a string"),
        ({"body": "Hi"}, 400, "bad_payload", "'title' must be a string"),
        (["not", "an", "object"], 400, "bad_payload", "JSON object"),
        ({"title": "X", "body": "y" * 20_000}, 413, "too_large", "16384 bytes"),
    ],
)
def test_bad_and_hostile_canned_responses_are_refused_clearly(
    app: Flask, body: Any, status: int, error: str, message: str
) -> None:
    answer = client_of(app, "sue").post("/agent/api/canned", json=body)
    assert (answer.status_code, answer.get_json()["error"]) == (status, error)
    assert message in answer.get_json()["message"]


@pytest.mark.parametrize("canned_id", ["0", "99999999999999999999999"])
def test_ids_out_of_range_are_unknown(app: Flask, canned_id: str) -> None:
    supervisor = client_of(app, "sue")
    edit = {"title": "X", "body": "Y"}
    for answer in (
        supervisor.put(f"/agent/api/canned/{canned_id}", json=edit),
        supervisor.delete(f"/agent/api/canned/{canned_id}", json={}),
    ):
        assert (answer.status_code, answer.get_json()["error"]) == (404, "unknown_canned")


def test_malformed_json_is_refused(app: Flask) -> None:
    answer = client_of(app, "sue").post(
        "/agent/api/canned", data="{not json", content_type="application/json"
    )
    assert (answer.status_code, answer.get_json()["error"]) == (400, "bad_payload")


def test_render_fills_in_the_customer_of_ones_own_chat(app: Flask) -> None:
    agent = client_of(app, "ann")
    mine = assigned_chat(app, "ann", {"customer_id": "C-1", "name": "Maria", "verified": True})
    greeting = greeting_id(agent)
    answer = agent.post(f"/agent/api/canned/{greeting}/render", json={"conversation_id": mine})
    assert answer.get_json()["text"].startswith("Hello Maria, I'm Ann Lee")

    someone_else = client_of(app, "bob")
    refused = someone_else.post(
        f"/agent/api/canned/{greeting}/render", json={"conversation_id": mine}
    )
    assert (refused.status_code, refused.get_json()["error"]) == (403, "not_your_conversation")
    unknown = agent.post(f"/agent/api/canned/{greeting}/render", json={"conversation_id": "nope"})
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "unknown_conversation")
    no_canned = agent.post("/agent/api/canned/9999/render", json={"conversation_id": mine})
    assert (no_canned.status_code, no_canned.get_json()["error"]) == (404, "unknown_canned")
    bad = agent.post(f"/agent/api/canned/{greeting}/render", json={"conversation_id": 7})
    assert (bad.status_code, bad.get_json()["error"]) == (400, "bad_payload")


def test_a_template_that_cannot_be_filled_in_says_why(app: Flask) -> None:
    supervisor = client_of(app, "sue")
    added = supervisor.post(
        "/agent/api/canned", json={"title": "Street", "body": "Is {{ slots.street }} right?"}
    ).get_json()["canned"]
    agent = client_of(app, "ann")
    without = assigned_chat(app, "ann", {})
    answer = agent.post(
        f"/agent/api/canned/{added['id']}/render", json={"conversation_id": without}
    )
    assert (answer.status_code, answer.get_json()["error"]) == (422, "template_error")
    assert "'street'" in answer.get_json()["message"]
    with_street = assigned_chat(app, "ann", {}, slots={"street": "<1 Main St>"})
    filled = agent.post(
        f"/agent/api/canned/{added['id']}/render", json={"conversation_id": with_street}
    )
    assert filled.get_json()["text"] == "Is <1 Main St> right?"  # text, shown as text


def test_canned_previews_are_filled_in_for_the_chat_or_say_why_not(app: Flask) -> None:
    client_of(app, "sue").post(
        "/agent/api/canned", json={"title": "Street", "body": "Is {{ slots.street }} right?"}
    )
    chat = assigned_chat(app, "ann", {"name": "Maria", "verified": True})
    previews = client_of(app, "ann").get(f"/agent/api/conversations/{chat}/canned").get_json()
    by_title = {p["title"]: p for p in previews["canned"]}
    assert by_title["Greeting"]["text"].startswith("Hello Maria, I'm Ann Lee")
    assert "{{" in by_title["Greeting"]["body"]  # the template, for those who edit it
    assert by_title["Street"]["text"] is None and "'street'" in by_title["Street"]["problem"]
    other = client_of(app, "bob").get(f"/agent/api/conversations/{chat}/canned")
    assert other.status_code == 403


def test_the_supervisor_snapshot(app: Flask) -> None:
    gateway = gateway_of(app)
    assigned_chat(app, "ann", {"name": "Maria"})
    gateway.stores.conversations.open("bot-only", {"name": "Lena"})
    gateway.stores.daily.customer_wrote("bot-only", 1e9 + 1)  # another day: not counted today
    for conversation_id in ("bot-only", "conv-ann-0"):
        gateway.stores.daily.customer_wrote(conversation_id, time.time())
    gateway.stores.daily.handed_off("conv-ann-0", time.time())

    snapshot = client_of(app, "sue").get("/agent/api/supervisor").get_json()
    modes = {c["id"]: (c["mode"], c["agent"], c["customer"]) for c in snapshot["conversations"]}
    assert modes == {"conv-ann-0": ("assigned", "ann", "Maria"), "bot-only": ("bot", None, "Lena")}
    assert [(a["id"], a["load"], a["capacity"]) for a in snapshot["agents"]] == [("ann", 1, 3)]
    assert snapshot["queue"] == {"length": 0, "longest_wait_seconds": None, "sla_seconds": 120.0}
    today = snapshot["today"]
    assert (today["conversations"], today["handed_off"], today["bot_alone"]) == (2, 1, 1)
    assert (today["answered"], today["unanswered"]) == (0, 1)
    assert today["closed"] == 0 and today["resolution_rate"] is None


def test_supervisors_open_any_live_chat_to_read_and_agents_may_not(app: Flask) -> None:
    gateway = gateway_of(app)
    chat = assigned_chat(app, "ann", {"name": "Maria"})
    gateway.stores.transcripts.append(chat, "customer", "My bill is wrong")
    gateway.stores.transcripts.append(chat, "note", "Refund due", sender="Ann")
    url = f"/agent/api/supervisor/conversations/{chat}"

    opened = client_of(app, "sue").get(url).get_json()
    assert opened["conversation"]["customer"] == {"name": "Maria"}
    assert [(m["kind"], m["text"]) for m in opened["transcript"]] == [
        ("customer", "My bill is wrong"),
        ("note", "Refund due"),
    ]
    assert client_of(app, "ann").get(url).status_code == 403
    missing = client_of(app, "sue").get("/agent/api/supervisor/conversations/nope")
    assert missing.status_code == 404


def test_a_verified_customers_past_conversations_and_tickets_beside_a_chat(app: Flask) -> None:
    gateway = gateway_of(app)
    archive = gateway.archive
    verified = {"customer_id": "ACC-7", "name": "Maria", "verified": True}
    earlier = assigned_chat(app, "bob", verified)
    archive.archive(
        gateway.stores.conversations.transition(earlier, "closed", resolution="resolved"), []
    )
    left_email = "conv-left-email"
    gateway.stores.conversations.open(left_email)
    # Verified in the chat by the bot (no website token), then no one could come.
    slots = {"customer_id": "ACC-7", "verified": True}
    gateway.stores.queue.enqueue(left_email, "normal", "general", packet={"slots": slots})
    closed = gateway.stores.conversations.transition(left_email, "closed", resolution="ticket")
    ticket = gateway.tickets.tickets.create(left_email, "maria@example.com", time.time())
    archive.archive(closed, [])
    now = assigned_chat(app, "ann", verified)
    guest = assigned_chat(app, "ann", {})

    ann = client_of(app, "ann")
    past = ann.get(f"/agent/api/conversations/{now}/history").get_json()["conversations"]
    assert [(c["id"], c["resolution"], c["tickets"]) for c in past] == [
        (left_email, "ticket", [ticket]),
        (earlier, "resolved", []),
    ]
    assert ann.get(f"/agent/api/conversations/{guest}/history").get_json() == {"conversations": []}
    # Only for one's own chats; supervisors for any.
    assert client_of(app, "bob").get(f"/agent/api/conversations/{now}/history").status_code == 403
    as_supervisor = client_of(app, "sue").get(f"/agent/api/conversations/{now}/history")
    assert len(as_supervisor.get_json()["conversations"]) == 2


def test_online_agents_for_transfers(app: Flask) -> None:
    assigned_chat(app, "ann", {})
    agents = client_of(app, "bob").get("/agent/api/agents").get_json()["agents"]
    assert agents == [
        {
            "id": "ann",
            "name": "ann",
            "status": "available",
            "presence": "available",
            "skills": ["general"],
            "load": 1,
            "capacity": 3,
            "connected": True,
        }
    ]


def test_the_queue_with_reasons_names_and_the_customers_latest_line(app: Flask) -> None:
    gateway = gateway_of(app)
    gateway.stores.conversations.open("waiting", {"name": "Omar"})
    transcripts = gateway.stores.transcripts
    transcripts.append("waiting", "customer", "My card 4242 4242 4242 4242 was charged twice")
    transcripts.append("waiting", "customer", "Still there?")
    transcripts.append("waiting", "bot", "Let me find someone.")
    gateway.stores.queue.enqueue("waiting", "urgent", "billing", reason="failed_task")
    gateway.stores.conversations.open("anonymous")
    gateway.stores.queue.enqueue("anonymous", "normal", "general")
    entries = client_of(app, "ann").get("/agent/api/queue").get_json()["entries"]
    assert [
        (e["conversation_id"], e["position"], e["skill"], e["reason"], e["customer_name"])
        for e in entries
    ] == [("waiting", 1, "billing", "failed_task", "Omar"), ("anonymous", 2, "general", None, None)]
    # The customer's own latest line, not the bot's; none for a chat without one.
    assert [e["preview"] for e in entries] == ["Still there?", None]
