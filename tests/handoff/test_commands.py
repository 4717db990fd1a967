"""Exactly once: every command sent with a client message id is applied once per conversation.

An agent's line, note, accept, transfer, hand-back and close, and a customer's rating and
ticket, each sent twice with one id (a resend after a reconnect, or the same event reaching
two gateway processes): applied once, and the repeat answered with the first answer. Two
``Gateway`` objects on their own Redis clients stand for two gateway processes.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from handoff.records.archive import Archive
from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway
from handoff.stores.commands import CommandLog
from handoff.stores.conversations import ConversationStore
from handoff.stores.keys import commands_key
from handoff.stores.lifetime import Retention
from tests.handoff.conftest import Connect, MakeGateway
from tests.handoff.service_doubles import EmitRecorder, ScriptedRasa
from tests.handoff.test_service import (
    ANN,
    BOB,
    ask_for_person,
    assigned_chat,
    come_online,
    open_chat,
    queued_chat,
    to_agent,
    to_customer,
)


def kinds(gateway: Gateway, conversation_id: str, kind: str) -> list[str]:
    """The texts of the transcript's lines of one kind."""
    return [m.text for m in gateway.stores.transcripts.all(conversation_id) if m.kind == kind]


# --- The agent's actions --------------------------------------------------------------------


def test_an_agents_line_sent_twice_reaches_the_customer_once(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()

    gateway.agents.says(ANN, conversation_id, "Your refund is on its way.", "line-1")
    gateway.agents.says(ANN, conversation_id, "Your refund is on its way.", "line-1")

    [line] = to_customer(emitted, conversation_id, "bot_uttered")
    assert line["text"] == "Your refund is on its way."
    assert kinds(gateway, conversation_id, "agent") == ["Your refund is on its way."]
    first, again = to_agent(emitted, "ann", "message")
    assert first == again  # the repeat is answered with the line as first stored
    assert first["data"] == {"message_id": "line-1"}
    gateway.agents.says(ANN, conversation_id, "Your refund is on its way.", "line-2")
    assert len(kinds(gateway, conversation_id, "agent")) == 2  # a new id is a new line


def test_a_note_sent_twice_is_kept_once(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)

    for _ in range(2):
        gateway.agents.note(ANN, conversation_id, "Offer a refund", "note-1")

    assert kinds(gateway, conversation_id, "note") == ["Offer a refund"]
    first, again = to_agent(emitted, "ann", "message")
    assert first == again


def test_a_close_sent_twice_closes_once_and_the_repeat_is_told_it_closed(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    emitted.clear()

    gateway.agents.close(ANN, conversation_id, "resolved", "close-1")
    # Today's code refuses the repeat: "not_your_conversation", though it was closed as asked.
    gateway.agents.close(ANN, conversation_id, "resolved", "close-1")

    released = {
        "conversation_id": conversation_id,
        "why": "closed",
        "resolution": "resolved",
        "message_id": "close-1",
    }
    assert to_agent(emitted, "ann", "released") == [released, released]
    assert [h["status"] for h in to_customer(emitted, conversation_id, "handoff")] == ["closed"]
    assert kinds(gateway, conversation_id, "system")[-1].startswith("This chat has ended.")
    assert len([s for s in kinds(gateway, conversation_id, "system") if "ended" in s]) == 1


def test_a_hand_back_sent_twice_asks_the_bot_once(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    rasa.script_intent("EXTERNAL_welcome_back", {"text": "Welcome back!"})
    emitted.clear()

    for _ in range(2):
        gateway.agents.hand_back(ANN, conversation_id, False, {}, "back-1")

    assert rasa.triggered == [(conversation_id, "EXTERNAL_welcome_back")]
    assert [b["text"] for b in to_customer(emitted, conversation_id, "bot_uttered")] == [
        "Welcome back!"
    ]
    first, again = to_agent(emitted, "ann", "released")
    assert (
        first
        == again
        == {
            "conversation_id": conversation_id,
            "why": "returned_to_bot",
            "message_id": "back-1",
        }
    )


def test_a_transfer_sent_twice_moves_the_chat_once(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    come_online(gateway, BOB)
    emitted.clear()

    for _ in range(2):
        gateway.agents.transfer(ANN, conversation_id, "bob", None, "move-1")

    assert gateway.stores.conversations.get(conversation_id).agent_id == "bob"
    assert len(to_agent(emitted, "bob", "assigned")) == 1
    assert [h["status"] for h in to_customer(emitted, conversation_id, "handoff")] == [
        "transferred",
        "assigned",
    ]
    first, again = to_agent(emitted, "ann", "released")
    assert first == again


def test_an_accept_sent_twice_is_answered_with_the_chat_not_someone_else_has_it(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = queued_chat(gateway, rasa, "conv-0001")
    emitted.clear()

    gateway.agents.accept(ANN, conversation_id, "take-1")
    # Today's code refuses the repeat with "not_queued": "Someone else has taken this chat."
    gateway.agents.accept(ANN, conversation_id, "take-1")

    first, again = to_agent(emitted, "ann", "assigned")
    assert first == again
    assert (first["conversation"]["id"], first["message_id"]) == (conversation_id, "take-1")
    assert [h["status"] for h in to_customer(emitted, conversation_id, "handoff")] == ["assigned"]


def test_a_refused_command_may_be_retried_with_its_id(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    conversation_id = assigned_chat(gateway, rasa)

    with pytest.raises(GatewayError) as refused:
        gateway.agents.transfer(ANN, conversation_id, "bob", None, "move-1")
    assert refused.value.code == "agent_unavailable"
    come_online(gateway, BOB)  # now Bob can take it: the same action, tried again
    gateway.agents.transfer(ANN, conversation_id, "bob", None, "move-1")

    assert gateway.stores.conversations.get(conversation_id).agent_id == "bob"


def test_ids_are_each_senders_own(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder
) -> None:
    """Another agent's, or the customer's, same id is another command, never its answer."""
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.note(ANN, conversation_id, "Ann's note", "same-id")
    emitted.clear()

    with pytest.raises(GatewayError) as refused:
        gateway.agents.note(BOB, conversation_id, "Bob's note", "same-id")

    assert refused.value.code == "not_your_conversation"
    assert to_agent(emitted, "bob", "message") == []


def test_without_an_id_a_command_is_applied_each_time_as_before(
    gateway: Gateway, rasa: ScriptedRasa
) -> None:
    conversation_id = assigned_chat(gateway, rasa)

    for _ in range(2):
        gateway.agents.note(ANN, conversation_id, "no id")

    assert kinds(gateway, conversation_id, "note") == ["no id", "no id"]


# --- The customer's rating and ticket -------------------------------------------------------


def test_a_rating_sent_twice_is_kept_and_thanked_once(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = assigned_chat(gateway, rasa)
    gateway.agents.close(ANN, conversation_id, "resolved")
    emitted.clear()

    for _ in range(2):
        gateway.customers.rate(conversation_id, 4, "rate-1")

    first, again = to_customer(emitted, conversation_id, "handoff")
    assert first == again
    assert (first["status"], first["rating"], first["message_id"]) == ("rated", 4, "rate-1")
    assert kinds(gateway, conversation_id, "system").count("Thanks for your feedback!") == 1
    archived = archive.conversation(conversation_id)
    assert archived is not None and archived[0]["csat"] == 4


def test_a_ticket_asked_for_twice_is_one_ticket_and_the_repeat_gets_its_reference(
    gateway: Gateway, rasa: ScriptedRasa, emitted: EmitRecorder, archive: Archive
) -> None:
    conversation_id = open_chat(gateway)
    ask_for_person(gateway, rasa, conversation_id)  # nobody online: offered email
    emitted.clear()

    ticket = gateway.customers.leave_email(conversation_id, "dana@example.com", "ip", "mail-1")
    # Today's code refuses the repeat with "email_not_offered".
    again = gateway.customers.leave_email(conversation_id, "dana@example.com", "ip", "mail-1")

    assert again == ticket
    first, repeated = to_customer(emitted, conversation_id, "handoff")
    assert first == repeated and first["ticket"] == ticket
    archived = archive.conversation(conversation_id)
    assert archived is not None and archived[0]["tickets"] == [ticket]


# --- Two gateway processes, one Redis -------------------------------------------------------


class SlowEmit(EmitRecorder):
    """A process's emit that takes its time over the customer's line: a repeat arrives at
    another process while the first is still being applied."""

    def __call__(
        self, event: str, data: Any, to: str | None = None, namespace: str | None = None
    ) -> None:
        if event == "bot_uttered":
            time.sleep(0.3)
        super().__call__(event, data, to, namespace)


@pytest.mark.parametrize("slow", [False, True])
def test_two_processes_given_one_line_at_once_apply_it_once_and_answer_alike(
    make_gateway: MakeGateway, connect: Connect, rasa: ScriptedRasa, slow: bool
) -> None:
    first_emit, second_emit = (SlowEmit() if slow else EmitRecorder()), EmitRecorder()
    first = make_gateway(client=connect(), emit=first_emit)
    second = make_gateway(client=connect(), emit=second_emit)
    conversation_id = assigned_chat(first, rasa)
    first_emit.clear()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def send(gateway: Gateway, delay: float) -> None:
        start.wait()
        time.sleep(delay)
        try:
            gateway.agents.says(ANN, conversation_id, "One line", "line-1")
        except BaseException as error:  # reported below, from the test's own thread
            failures.append(error)

    run_together([lambda: send(first, 0.0), lambda: send(second, 0.1 if slow else 0.0)])

    assert failures == []
    assert kinds(first, conversation_id, "agent") == ["One line"]
    said = to_customer(first_emit, conversation_id, "bot_uttered") + to_customer(
        second_emit, conversation_id, "bot_uttered"
    )
    assert [line["text"] for line in said] == ["One line"]
    answers = to_agent(first_emit, "ann", "message") + to_agent(second_emit, "ann", "message")
    assert len(answers) == 2 and answers[0] == answers[1]


def test_two_processes_given_one_close_at_once_close_once(
    make_gateway: MakeGateway, connect: Connect, rasa: ScriptedRasa, archive: Archive
) -> None:
    emits = [EmitRecorder() for _ in range(4)]
    gateways = [make_gateway(client=connect(), emit=emit) for emit in emits]
    conversation_id = assigned_chat(gateways[0], rasa)
    for emit in emits:
        emit.clear()
    start = threading.Barrier(len(gateways))
    failures: list[BaseException] = []

    def close(gateway: Gateway) -> None:
        start.wait()
        try:
            gateway.agents.close(ANN, conversation_id, "resolved", "close-1")
        except BaseException as error:
            failures.append(error)

    run_together([functools.partial(close, g) for g in gateways])

    assert failures == []
    answers = [a for emit in emits for a in to_agent(emit, "ann", "released")]
    assert len(answers) == len(gateways) and all(a == answers[0] for a in answers)
    notices = [h for emit in emits for h in to_customer(emit, conversation_id, "handoff")]
    assert [h["status"] for h in notices] == ["closed"]


def run_together(actions: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=action) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)


# --- The record -----------------------------------------------------------------------------


def test_a_claim_held_by_a_process_that_died_is_taken_over_after_its_lease(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    conversations = ConversationStore(redis_client)
    conversations.open("conv-0001")
    log = CommandLog(redis_client)
    assert log.claim("conv-0001", "agent:ann", "x", "token-a").mine
    assert not log.claim("conv-0001", "agent:ann", "x", "token-b").mine  # being applied

    later = time.time() + 31
    monkeypatch.setattr(time, "time", lambda: later)

    assert log.claim("conv-0001", "agent:ann", "x", "token-b").mine
    log.release("conv-0001", "agent:ann", "x", "token-a")  # not theirs any more: kept
    assert not log.claim("conv-0001", "agent:ann", "x", "token-c").mine


def test_the_record_lives_as_long_as_its_conversation(redis_client: redis.Redis) -> None:
    conversations = ConversationStore(redis_client, Retention(bot_seconds=600, closed_seconds=60))
    conversations.open("conv-0001")
    log = CommandLog(redis_client)
    log.claim("conv-0001", "customer", "x", "token")
    log.complete("conv-0001", "customer", "x", ("handoff", {"status": "rated"}))
    key = commands_key("conv-0001")
    assert 590_000 < redis_client.pttl(key) <= 600_000

    conversations.transition("conv-0001", "closed")

    assert 50_000 < redis_client.pttl(key) <= 60_000
    claim = log.claim("conv-0001", "customer", "x", "other")
    assert claim.answer == ("handoff", {"status": "rated"})
    assert log.claim("conv-unknown", "customer", "x", "token").mine  # nothing kept for it
    assert not redis_client.exists(commands_key("conv-unknown"))
