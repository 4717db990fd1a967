"""The tickets' API and the mail webhook through Flask's test client, on real Redis and SQLite:
who may see and change which ticket, the console API's guards, changes applied once, and
every post the webhook must refuse answered as one it threaded."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core.mail import Outbox
from core.settings import Settings
from handoff.app import create_app
from handoff.records.archive import Archive
from handoff.records.tickets import Tickets
from tests.handoff.test_archive import MESSAGES, closed
from tests.handoff.test_console_routes import app, client_of, gateway_of, greeting_id

__all__ = ["app"]  # the fixture, from the console's tests: agents ann, bob and sue

KEY = "a-mail-provider-signing-key"
DANA = "dana@example.com"
FOREIGN = {"Origin": "https://evil.example"}


@pytest.fixture
def gateway_settings(gateway_settings: Settings) -> Settings:
    """The console's tests' gateway, with the webhook's key."""
    return dataclasses.replace(gateway_settings, inbound_mail_key=KEY)


def records(app: Flask) -> Tickets:
    found: Tickets = gateway_of(app).tickets.tickets
    return found


def billing_ticket(app: Flask, assignee: str | None = None) -> str:
    """Dana's ticket from the archived billing chat conv-1, made now."""
    archive: Archive = gateway_of(app).archive
    archive.archive(closed(resolution="ticket"), MESSAGES)
    return records(app).create(
        "conv-1", DANA, time.time(), priority="high", skill="billing", assignee=assignee
    )


def outbox(app: Flask) -> Outbox:
    return Outbox(gateway_of(app).archive.database_url)


def test_the_inbox_shows_each_agent_what_is_theirs_and_supervisors_everything(
    app: Flask,
) -> None:
    ticket = billing_ticket(app)
    ann, bob, sue = (client_of(app, name) for name in ("ann", "bob", "sue"))
    queue = ann.get("/agent/api/tickets?view=queue").get_json()
    assert [t["id"] for t in queue["tickets"]] == [ticket] and queue["backlog"] is None
    listed = queue["tickets"][0]
    assert set(listed) >= {
        "id", "status", "priority", "skill", "email", "subject", "assignee", "created_at",
        "updated_at", "due_at", "breached", "first_response_at", "conversation_id", "preview",
        "unread",
    }  # fmt: skip
    assert ann.get("/agent/api/tickets").get_json()["tickets"] == []  # mine, by default
    assert bob.get("/agent/api/tickets?view=queue").get_json()["tickets"] == []
    everything = sue.get("/agent/api/tickets?view=all&status=any").get_json()
    assert everything["backlog"] == {"open": 1, "pending": 0, "breached": 0}
    refused = ann.get("/agent/api/tickets?view=all")
    assert (refused.status_code, refused.get_json()["error"]) == (403, "forbidden")
    bad = ann.get("/agent/api/tickets?status=closed")
    assert (bad.status_code, bad.get_json()["error"]) == (400, "bad_request")
    assert client_of(app, None).get("/agent/api/tickets").status_code == 401


def test_a_ticket_another_may_not_see_is_as_unknown_as_none(app: Flask) -> None:
    ticket = billing_ticket(app)
    bob = client_of(app, "bob")
    for url in (f"/agent/api/tickets/{ticket}", "/agent/api/tickets/TKT-00000000"):
        answer = bob.get(url)
        assert (answer.status_code, answer.get_json()["error"]) == (404, "unknown_ticket")
    for action, body in (
        ("reply", {"text": "hi"}),
        ("note", {"text": "hi"}),
        ("status", {"status": "solved"}),
        ("assign", {"agent_id": "bob"}),
    ):
        answer = bob.post(f"/agent/api/tickets/{ticket}/{action}", json={**body, "message_id": "x"})
        assert (answer.status_code, answer.get_json()["error"]) == (404, "unknown_ticket")
    opened = client_of(app, "ann").get(f"/agent/api/tickets/{ticket}").get_json()
    assert opened["ticket"]["id"] == ticket and opened["customer"]["email"] == DANA
    assert [m["seq"] for m in opened["transcript"]] == [1, 2, 3, 4]
    assert opened["conversation"]["skill"] == "billing" and opened["messages"] == []


def test_an_agent_answers_notes_and_solves_a_ticket_each_once(app: Flask) -> None:
    ticket = billing_ticket(app)
    ann = client_of(app, "ann")
    url = f"/agent/api/tickets/{ticket}"
    reply = {"text": "<b>Refunded</b>", "message_id": "r1"}
    first = ann.post(f"{url}/reply", json=reply)
    assert first.status_code == 200
    answer = first.get_json()
    assert answer["message"]["text"] == "<b>Refunded</b>"  # text, kept as written
    assert (answer["ticket"]["status"], answer["ticket"]["assignee"]) == ("pending", "ann")
    assert ann.post(f"{url}/reply", json=reply).get_json() == answer
    mails = [m for m in outbox(app).newest() if m.subject.startswith("Re:")]
    assert [m.subject for m in mails] == [f"Re: Your request {ticket} [{ticket}]"]
    note = ann.post(f"{url}/note", json={"text": "refund id 42", "message_id": "n1"})
    assert note.get_json()["message"]["direction"] == "note"
    solved = ann.post(f"{url}/status", json={"status": "solved", "message_id": "s1"})
    assert solved.get_json()["ticket"]["status"] == "solved"
    shown = ann.get(url).get_json()
    assert [(m["direction"], m["author"]) for m in shown["messages"]] == [
        ("out", "ann"),
        ("note", "ann"),
    ]
    assert [t["id"] for t in ann.get("/agent/api/tickets").get_json()["tickets"]] == []
    assert [t["id"] for t in ann.get("/agent/api/tickets?status=solved").get_json()["tickets"]] == [
        ticket
    ]
    # A canned response rendered for the ticket's customer.
    rendered = ann.post(f"/agent/api/canned/{greeting_id(ann)}/render", json={"ticket_id": ticket})
    assert rendered.status_code == 200 and "Dana" in rendered.get_json()["text"]


def test_the_canned_picker_previews_every_response_for_a_ticket_one_may_see(app: Flask) -> None:
    ticket = billing_ticket(app)
    previews = client_of(app, "ann").get(f"/agent/api/tickets/{ticket}/canned")
    assert previews.status_code == 200
    greeting = next(c for c in previews.get_json()["canned"] if c["title"] == "Greeting")
    assert "Dana" in greeting["text"] and greeting["problem"] is None
    refused = client_of(app, "bob").get(f"/agent/api/tickets/{ticket}/canned")
    assert (refused.status_code, refused.get_json()["error"]) == (404, "unknown_ticket")


def test_assignment_follows_who_may_give_tickets(app: Flask) -> None:
    ticket = billing_ticket(app)
    ann, sue = client_of(app, "ann"), client_of(app, "sue")
    url = f"/agent/api/tickets/{ticket}/assign"
    refused = ann.post(url, json={"agent_id": "bob", "message_id": "a1"})
    assert (refused.status_code, refused.get_json()["error"]) == (403, "forbidden")
    assert (
        ann.post(url, json={"agent_id": "ann", "message_id": "a1"}).get_json()["ticket"]["assignee"]
        == "ann"
    )
    unknown = sue.post(url, json={"agent_id": "nobody", "message_id": "a2"})
    assert (unknown.status_code, unknown.get_json()["error"]) == (400, "bad_request")
    given = sue.post(url, json={"agent_id": "BOB", "message_id": "a2"})
    assert given.get_json()["ticket"]["assignee"] == "bob"
    assert ann.post(url, json={"agent_id": None, "message_id": "a3"}).status_code == 404


@pytest.mark.parametrize(
    ("headers", "body", "status", "error"),
    [
        (FOREIGN, {"text": "x", "message_id": "m"}, 403, "foreign_origin"),
        ({}, None, 415, "json_required"),
        ({}, {"text": "x"}, 400, "bad_request"),
        ({}, {"text": "x", "message_id": "has space"}, 400, "bad_request"),
        ({}, {"text": "x" * 4001, "message_id": "m"}, 400, "bad_request"),
        ({}, {"text": "x" * 17_000, "message_id": "m"}, 413, "too_large"),
        ({}, {"text": 5, "message_id": "m"}, 400, "bad_payload"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    app: Flask, headers: dict[str, str], body: dict[str, Any] | None, status: int, error: str
) -> None:
    ticket = billing_ticket(app)
    ann = client_of(app, "ann")
    url = f"/agent/api/tickets/{ticket}/note"
    if body is None:
        answer = ann.post(url, data="text=x", content_type="application/x-www-form-urlencoded")
    else:
        answer = ann.post(url, json=body, headers=headers)
    assert (answer.status_code, answer.get_json()["error"]) == (status, error)
    assert records(app).messages(ticket) == []


def test_the_api_is_rate_limited(app: Flask) -> None:
    ann = client_of(app, "ann")
    gateway_of(app).stores.api_calls.per_minute = 3
    answers = [ann.get("/agent/api/tickets").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


# --- the webhook ------------------------------------------------------------------------


def post_mail(
    client: FlaskClient, subject: str, sender: str = DANA, **changes: Any
) -> tuple[int, bytes]:
    """Post a mail as the provider does, signed with KEY unless ``changes`` say otherwise."""
    timestamp = str(changes.pop("timestamp", int(time.time())))
    token = changes.pop("token", hashlib.sha256(str(time.monotonic()).encode()).hexdigest())
    key = changes.pop("key", KEY)
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    form = {
        "sender": sender,
        "recipient": "support@tandem.example",
        "subject": subject,
        "body-plain": "It still fails.\n\nOn Tue, Support wrote:\n> Refunded",
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        **changes,
    }
    answer = client.post("/inbound/mail", data=form)
    return answer.status_code, answer.data


def test_a_signed_reply_reopens_its_ticket_and_every_refusal_looks_the_same(app: Flask) -> None:
    ticket = billing_ticket(app, assignee="ann")
    records(app).once(
        ticket, "ann", "s1", lambda row: None, records(app).status_change("solved", time.time())
    )
    provider = app.test_client()
    subject = f"Re: Your request {ticket} [{ticket}]"
    accepted = post_mail(provider, subject)
    assert accepted[0] == 202
    after = records(app).view(ticket, time.time())
    assert (after["status"], after["unread"], after["preview"]) == ("open", True, "It still fails.")
    used = "a-token-used-once"
    assert post_mail(provider, subject, token=used) == accepted
    refusals = {
        "bad signature": post_mail(provider, subject, key="not-the-key"),
        "stale": post_mail(provider, subject, timestamp=int(time.time()) - 301),
        "replayed": post_mail(provider, subject, token=used),
        "unknown reference": post_mail(provider, "Re: Your request TKT-00000000"),
        "wrong sender": post_mail(provider, subject, sender="eve@example.com"),
        "no reference": post_mail(provider, "Hello"),
    }
    assert all(answer == accepted for answer in refusals.values()), refusals
    assert len(records(app).messages(ticket)) == 2  # the first post and the token's first use


def test_the_webhook_is_absent_without_a_key_and_rate_limited(
    app: Flask, gateway_settings: Settings
) -> None:
    provider = app.test_client()
    gateway_of(app).stores.inbound_mail.per_minute = 2
    answers = [post_mail(provider, "Hello")[0] for _ in range(3)]
    assert answers == [202, 202, 429]
    unset = create_app(dataclasses.replace(gateway_settings, inbound_mail_key=""))
    assert post_mail(unset.test_client(), "Hello")[0] == 404
    unset.extensions["tandem"].gateway.archive.close()
