"""`python -m bot shell`: chat with the bot in a terminal, as an editor trying a change.

It talks to Rasa's REST channel of a private stack, like a customer's widget
talks to the gateway: text, buttons as a numbered list to pick from, and a
handoff as one line saying where the chat would go (the shell has no agents, so
the bot carries on). It ends on /stop, Ctrl-C or the end of its input, so
`echo hi | python -m bot shell` works too.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

import requests

from core.settings import Settings

STOP = "/stop"
# Rasa answers within the action server's timeout; a turn longer than this is a fault.
TURN_TIMEOUT = 30.0


def describe(message: dict[str, Any]) -> list[str]:
    """The lines one message of the bot shows as in the terminal."""
    lines = []
    if message.get("text"):
        lines.append(f"Bot: {message['text']}")
    for number, button in enumerate(message.get("buttons") or [], 1):
        lines.append(f"  {number}. {button.get('title')}")
    handoff = (message.get("custom") or {}).get("handoff")
    if isinstance(handoff, dict):
        form = f", in the middle of {handoff['active_form']}" if handoff.get("active_form") else ""
        lines.append(
            f"[Handed to a person: reason {handoff.get('reason')}, skill {handoff.get('skill')}, "
            f"priority {handoff.get('priority')}{form}. The shell has no agents: the bot "
            "carries on.]"
        )
    elif message.get("custom") is not None:
        lines.append(f"[A custom message the chat widget handles: {sorted(message['custom'])}]")
    if message.get("image"):
        lines.append(f"[Image: {message['image']}]")
    return lines


def chat(
    send: Callable[[str], list[dict[str, Any]]],
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Read a line, send it, show the answers; a button's number sends its payload."""
    buttons: list[dict[str, Any]] = []
    write(f"Type a message and press Enter; {STOP} or Ctrl-D ends the chat.")
    while True:
        try:
            line = read("You: ").strip()
        except EOFError:
            write("")
            break
        if line == STOP:
            break
        if not line:
            continue
        if line.isdigit() and 0 < int(line) <= len(buttons):
            line = str(buttons[int(line) - 1].get("payload") or line)
        buttons = []
        for message in send(line):
            for shown in describe(message):
                write(shown)
            buttons = list(message.get("buttons") or buttons)
    write("Chat ended.")


def rest_sender(rasa_url: str, token: str) -> Callable[[str], list[dict[str, Any]]]:
    """Send a line to Rasa's REST channel as one conversation; its messages back."""
    sender = f"shell-{uuid.uuid4().hex[:8]}"

    def send(text: str) -> list[dict[str, Any]]:
        response = requests.post(
            f"{rasa_url}/webhooks/rest/webhook",
            params={"token": token},
            json={"sender": sender, "message": text},
            timeout=TURN_TIMEOUT,
        )
        response.raise_for_status()
        answers: list[dict[str, Any]] = response.json()
        return answers

    return send


def shell(settings: Settings) -> None:
    """Train if needed, start a private stack on free ports (beside ``run``), and chat."""
    from bot.process import free_port
    from bot.stack import Stack
    from bot.training import train_if_needed

    settings = dataclasses.replace(
        settings, rasa_port=free_port(), actions_port=free_port(), gateway_port=free_port()
    )
    model = train_if_needed(settings)
    print("Starting a private stack for this shell (logs in var/shell/logs/)...", flush=True)
    with Stack(settings, model, var_dir=settings.root / "var" / "shell") as stack:
        chat(rest_sender(stack.rasa_url, settings.rasa_token))
