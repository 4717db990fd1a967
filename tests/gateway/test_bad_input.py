"""Bad input to the gateway: a clear `error` event (or a refused connection), and no change."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import socketio

from bot.gateway_client import AgentClient, Customer
from bot.stack import Stack

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("no_such_event", {"x": 1}, "unknown_event"),
        ("user_uttered", {"message": "hi", "customData": ["en"]}, "bad_payload"),
        ("user_uttered", {"message": 42}, "bad_payload"),
        ("user_uttered", "just a string", "bad_payload"),
        ("user_uttered", {"message": "   "}, "bad_payload"),
        ("user_uttered", {"message": "x" * 100_000}, "message_too_long"),
        ("csat", {"rating": 9}, "bad_rating"),
        ("leave_email", {"email": "not an email"}, "bad_email"),
        ("typing", {"typing": "yes"}, "bad_payload"),
    ],
)
def test_customer_errors(customer: NewCustomer, event: str, payload: object, code: str) -> None:
    kim = customer()
    kim.start()
    kim.emit_raw(event, payload)
    error = kim.wait_for("error")
    assert (error["code"], error["event"]) == (code, event)
    assert error["message"]
    # nothing was stored: a resume from 0 shows an empty conversation
    again = customer()
    resumed = again.start(session_id=kim.session_id, resume_secret=kim.resume_secret)
    assert again.session_id == kim.session_id and resumed["messages"] == []


def test_user_uttered_before_a_session_is_refused(customer: NewCustomer) -> None:
    lee = customer()
    lee.connect()
    lee.emit("user_uttered", {"message": "hello"})
    assert lee.wait_for("error")["code"] == "no_session"


def test_another_sessions_id_is_refused(customer: NewCustomer) -> None:
    one, other = customer(), customer()
    one.start()
    other.start()
    other.emit("user_uttered", {"message": "hi", "session_id": one.session_id})
    assert other.wait_for("error")["code"] == "session_mismatch"


def test_a_flood_from_one_socket_is_rate_limited(customer: NewCustomer) -> None:
    max_ = customer()
    max_.start()
    for n in range(30):
        max_.emit("typing", {"typing": n % 2 == 0})
    assert max_.wait_for("error")["code"] == "rate_limited"


def test_a_socket_from_a_disallowed_origin_cannot_connect(customer: NewCustomer) -> None:
    evil = customer()
    with pytest.raises(socketio.exceptions.ConnectionError):
        evil.connect(origin="https://evil.example")


def test_the_agent_namespace_needs_a_login(stack: Stack) -> None:
    anonymous = AgentClient(stack)
    with pytest.raises(socketio.exceptions.ConnectionError):
        anonymous.connect(auth={"token": "forged"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        AgentClient(stack).connect()


def test_an_agent_cannot_act_on_someone_elses_chat(customer: NewCustomer, agent: NewAgent) -> None:
    ann, _ = agent()
    ben, _ = agent(capacity=1, name="Ben Ode")
    ben.set_status("away")
    pat = customer()
    pat.start()
    pat.say("a person please")
    ann.wait_for("assigned")
    for event, extra in [
        ("send", {"text": "hi from ben"}),
        ("close", {"resolution": "resolved"}),
        ("hand_back", {}),
        ("note", {"text": "sneaky"}),
    ]:
        ben.act(event, conversation_id=pat.session_id, **extra)
        assert ben.error("not_your_conversation")["event"] == event
    assert all(
        "hi from ben" not in str(data) for name, data in pat.drain() if name == "bot_uttered"
    )


def test_html_in_messages_is_relayed_as_plain_text(customer: NewCustomer, agent: NewAgent) -> None:
    ann, _ = agent()
    quinn = customer()
    quinn.start()
    quinn.say("human")
    ann.wait_for("assigned")
    script = "<script>alert('x')</script><b>bold</b>"
    quinn.say(script)
    assert ann.wait_for("message", lambda m: m["kind"] == "customer")["text"] == script
    ann.act("send", conversation_id=quinn.session_id, text=script)
    assert quinn.bot_says("<script>")["text"] == script
