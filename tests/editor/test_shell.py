"""`python -m bot shell`: a chat that ends cleanly on end of input, a handoff on one line."""

from __future__ import annotations

from typing import Any

from bot.shell import chat, describe, rest_sender
from bot.stack import Stack

HANDOFF_LINE = (
    "[Handed to a person: reason explicit_request, skill general, priority normal. The shell "
    "has no agents: the bot carries on.]"
)


def play(send: Any, *typed: str) -> list[str]:
    """What the shell writes when ``typed`` is its whole input."""
    said = iter(typed)
    shown: list[str] = []

    def read(prompt: str) -> str:
        try:
            return next(said)
        except StopIteration:
            raise EOFError from None

    chat(send, read=read, write=shown.append)
    return shown


def test_end_of_input_ends_the_chat_without_a_traceback() -> None:
    shown = play(lambda text: [{"text": f"you said {text}"}], "hello")
    assert shown == [
        "Type a message and press Enter; /stop or Ctrl-D ends the chat.",
        "Bot: you said hello",
        "",
        "Chat ended.",
    ]


def test_a_button_is_picked_by_its_number() -> None:
    sent: list[str] = []

    def send(text: str) -> list[dict[str, Any]]:
        sent.append(text)
        return [{"text": "Shall I?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}]

    shown = play(send, "pay my bill", "1", "/stop")
    assert sent == ["pay my bill", "/affirm"]
    assert shown[1:3] == ["Bot: Shall I?", "  1. Yes"]
    assert shown[-1] == "Chat ended."


def test_a_handoff_is_one_readable_line() -> None:
    packet = {
        "reason": "failed_task",
        "skill": "billing",
        "priority": "high",
        "active_form": "payment_form",
        "transcript": [{"customer": "x"}] * 30,
    }
    assert describe({"custom": {"handoff": packet}}) == [
        "[Handed to a person: reason failed_task, skill billing, priority high, in the middle of "
        "payment_form. The shell has no agents: the bot carries on.]"
    ]


def test_asking_for_a_person_through_the_real_bot(stack: Stack, empty_redis: None) -> None:
    shown = play(rest_sender(stack.rasa_url, stack.settings.rasa_token), "I want a human")
    assert shown[1].startswith("Bot: Sure, I'm connecting you to a person.")
    assert shown[2:] == [HANDOFF_LINE, "", "Chat ended."]
