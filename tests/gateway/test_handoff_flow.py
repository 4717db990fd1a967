"""Customers and agents through the real gateway, Redis, Rasa and action server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.demo import reset_customers
from bot.gateway_client import AgentClient, Customer, has_text
from bot.stack import Stack
from core.mail import Outbox
from handoff.customer_tokens import sign_customer_token
from tests.conftest import CUSTOMER_TOKEN_SECRET, user_turns

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]


def queued_for(agent: AgentClient) -> dict[str, Any]:
    assigned: dict[str, Any] = agent.wait_for("assigned")
    return assigned


def test_bot_queue_agent_and_back_to_the_bot(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    ann, _ = agent(name="Ann Lee")
    ann.set_status("away")
    alice = customer()
    history = alice.start()
    assert history["mode"] == "bot" and history["messages"] == []
    assert history["queue"] is None

    alice.say("hello")
    alice.bot_says("I can reset your password")
    alice.say("I want to talk to a person")
    alice.bot_says("connecting you to a person")
    queued = alice.status("queued")
    assert queued["position"] == 1
    # Another tab (or a reload) of the same conversation is told its place at once.
    again = customer()
    history = again.start(
        session_id=alice.session_id,
        last_seq=queued.get("seq", 0),
        resume_secret=alice.resume_secret,
    )
    assert history["mode"] == "queued"
    assert history["queue"] == {"position": 1, "wait_seconds": queued["wait_seconds"]}

    ann.set_status("available")
    chat = queued_for(ann)
    conversation = chat["conversation"]
    assert conversation["id"] == alice.session_id
    assert conversation["packet"]["reason"] == "explicit_request"
    lines = [(m["kind"], m["text"]) for m in chat["transcript"]]
    assert ("customer", "hello") in lines
    assert any(kind == "bot" and "reset your password" in text for kind, text in lines)
    assert alice.status("assigned")["agent"] == "Ann Lee"

    ann.act("send", conversation_id=alice.session_id, text="Hi, I'm Ann. How can I help?")
    reply = alice.bot_says("I'm Ann")
    assert (reply["metadata"]["sender"], reply["metadata"]["agent_name"]) == ("agent", "Ann Lee")
    alice.say("my bill looks wrong")
    got = ann.wait_for("message", lambda m: m["kind"] == "customer")
    assert got["text"] == "my bill looks wrong"

    ann.act("hand_back", conversation_id=alice.session_id)
    alice.status("returned_to_bot")
    alice.bot_says("back with the assistant")
    alice.say("hello")
    alice.bot_says("I can reset your password")


def test_close_asks_for_a_rating(customer: NewCustomer, agent: NewAgent) -> None:
    ann, _ = agent()
    bob = customer()
    bob.start()
    bob.say("let me speak to a human")
    queued_for(ann)
    ann.act("close", conversation_id=bob.session_id, resolution="resolved")
    closed = bob.status("closed")
    assert closed["csat_request"] is True
    bob.emit("csat", {"rating": 5, "session_id": bob.session_id})
    assert bob.status("rated")["rating"] == 5


def test_while_an_agent_owns_the_chat_the_bot_hears_nothing(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    ann, _ = agent()
    carol = customer()
    carol.start()
    carol.say("agent please")
    queued_for(ann)
    before = user_turns(stack, carol.session_id)
    carol.say("reset my password")
    carol.say("what's my balance")
    ann.wait_for("message", lambda m: m["text"] == "what's my balance")
    assert user_turns(stack, carol.session_id) == before


def test_hand_back_resumes_the_interrupted_payment(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    reset_customers(stack.settings.database_url)
    ann, _ = agent()
    dana = customer()
    dana.start()
    dana.say("I want to pay my bill")
    dana.bot_says("confirm who you are")
    dana.say("dana@example.com")
    dana.bot_says("last 4 digits")
    dana.say("4821")
    dana.bot_says("How much would you like to pay?")
    dana.say("agent please")
    chat = queued_for(ann)
    assert chat["conversation"]["packet"]["active_form"] == "payment_form"
    assert chat["conversation"]["packet"]["requested_slot"] == "payment_amount"
    ann.act("hand_back", conversation_id=dana.session_id, resume=True)
    dana.bot_says("finish where we left off")
    dana.bot_says("How much would you like to pay?")
    dana.say("50")
    dana.bot_says("I'll pay $50.00")
    dana.say("yes")
    dana.bot_says("Payment of $50.00 made")


def test_a_customer_who_reconnects_gets_exactly_what_they_missed(
    customer: NewCustomer, agent: NewAgent
) -> None:
    ann, _ = agent()
    erin = customer()
    erin.start()
    erin.say("human please")
    queued_for(ann)
    seen = erin.status("assigned")["metadata"]["seq"]
    erin.close()
    for n in range(3):
        text = f"message {n}"
        ann.act("send", conversation_id=erin.session_id, text=text)
        ann.wait_for("message", has_text(text))
    again = customer()
    history = again.start(
        session_id=erin.session_id, last_seq=seen, resume_secret=erin.resume_secret
    )
    assert history["mode"] == "assigned"
    assert [m["text"] for m in history["messages"]] == ["message 0", "message 1", "message 2"]
    seqs = [m["metadata"]["seq"] for m in history["messages"]]
    assert seqs == list(range(seen + 1, seen + 4))


def test_an_agent_who_reconnects_within_the_grace_period_loses_nothing(
    stack: Stack, customer: NewCustomer, agent: NewAgent
) -> None:
    ann, login = agent()
    fred = customer()
    fred.start()
    fred.say("real person please")
    chat = queued_for(ann)
    last = chat["transcript"][-1]["seq"]
    ann.close()
    fred.say("are you still there?")
    fred.say("hello?")
    back = AgentClient(stack)
    state = back.login(login, "correct horse battery")
    try:
        assert [c["conversation"]["id"] for c in state["chats"]] == [fred.session_id]
        back.act("resume", conversation_id=fred.session_id, last_seq=last)
        missed = back.wait_for("missed")
        texts = [m["text"] for m in missed["messages"] if m["kind"] == "customer"]
        assert texts == ["are you still there?", "hello?"]
    finally:
        back.close()


def test_after_the_grace_period_the_chat_goes_back_to_the_front_of_the_queue(
    customer: NewCustomer, agent: NewAgent
) -> None:
    ann, _ = agent()
    gina = customer()
    gina.start()
    gina.say("talk to an agent")
    queued_for(ann)
    ann.close()
    gina.status("requeued", timeout=15)
    assert gina.status("queued")["position"] == 1


def test_an_unclaimed_chat_is_raised_to_supervisors(customer: NewCustomer, agent: NewAgent) -> None:
    boss, _ = agent(role="supervisor")
    boss.set_status("away")
    hal = customer()
    hal.start()
    hal.say("I need a person")
    hal.status("queued")
    breach = boss.wait_for("sla_breach", timeout=15)
    assert breach["conversation_id"] == hal.session_id


def test_nobody_available_lets_the_customer_leave_an_email(
    stack: Stack, customer: NewCustomer
) -> None:
    ivy = customer()
    ivy.start()
    ivy.say("can I talk to someone")
    ivy.status("offline")
    ivy.emit("leave_email", {"email": "ivy@example.com", "session_id": ivy.session_id})
    ticket = ivy.status("ticket")
    assert ticket["ticket"].startswith("TKT-")
    outbox = Outbox.from_settings(stack.settings).newest(limit=5)
    assert any(mail.to == "ivy@example.com" for mail in outbox)


def test_a_signed_customer_skips_verification(customer: NewCustomer) -> None:
    token = sign_customer_token("ACC-1001", "Dana Whitfield", CUSTOMER_TOKEN_SECRET)
    dana = customer()
    dana.start(customer_token=token)
    dana.say("what's my balance?")
    dana.bot_says("Your balance is")


def test_a_bad_customer_token_is_refused_and_the_chat_goes_on(customer: NewCustomer) -> None:
    jo = customer()
    jo.start(customer_token="not-a-token")
    errors = [data for name, data in jo.seen if name == "error"]
    assert [e["code"] for e in errors] == ["invalid_customer_token"]
    assert "Continuing as a guest" in errors[0]["message"]
    jo.say("hello")
    jo.bot_says("I can reset your password")
