"""The soak's mixed load: customers talking to the bot (a task included), customers who ask for
a person and chat with the agents' consoles, and customers whose socket drops mid-chat.

Every line is counted with the fault tests' Tally, by what each side sent and the other side
holds once the load has stopped: a line that never arrived is lost, one held at two places of a
transcript is duplicated.
"""

from __future__ import annotations

import functools
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

from bench.soak.people import PACE, Console, Widget
from bot.stack import Stack
from tests.faults.lines import Tally

# The bot's part: a greeting, the balance after the in-chat identity check, a password reset.
BOT_SCRIPT = (
    "hello",
    "what's my balance",
    "dana@example.com",
    "4821",
    "I forgot my password",
    "dana@example.com",
    "thanks",
)
LINES_PER_CHAT = 4
# A line waits this long for its answer before it counts as unanswered: a Rasa server that
# restarts under load takes a minute.
ANSWER_WITHIN = 90.0
# Of the customers chatting with an agent, this share drop their socket once mid-chat.
DROPPING = 0.3
# After a conversation that failed outright, the next customer comes this much later.
RETRY_PAUSE = 5.0


@dataclass
class Counts:
    """Every line of the soak, sent and received, and the conversations behind them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stored: Tally = field(default_factory=lambda: Tally("customer lines stored"))
    turns: Tally = field(default_factory=lambda: Tally("customer turns answered by the bot"))
    to_agent: Tally = field(default_factory=lambda: Tally("customer to agent"))
    to_customer: Tally = field(default_factory=lambda: Tally("agent to customer"))
    bot_conversations: int = 0
    human_conversations: int = 0
    reconnects: int = 0
    refusals: int = 0
    # Conversations that did not go as they should: what happened, for the report and the logs.
    problems: list[dict] = field(default_factory=list)

    def tallies(self) -> list[Tally]:
        return [self.stored, self.turns, self.to_agent, self.to_customer]

    def finish(self, widget: Widget, turns: dict[str, int | None]) -> None:
        """Count a widget's conversation once it is over."""
        held = [line["metadata"].get("message_id") for line in widget.lines_from("customer")]
        agents = [line["text"] for line in widget.lines_from("agent")]
        with self.lock:
            self.stored.sent += list(widget.acknowledged) + list(widget.unanswered)
            self.stored.received += [message_id for message_id in held if message_id]
            self.turns.sent += list(turns)
            self.turns.received += [turn for turn, after in turns.items() if after is not None]
            self.to_customer.received += agents
            self.reconnects += widget.reconnects
            self.refusals += widget.refusals

    def problem(self, widget: Widget, what: str) -> None:
        """Note (and say at once) a conversation that went wrong, with what it saw."""
        seen = {
            "conversation": widget.client.session_id,
            "what": what,
            "at": time.strftime("%H:%M:%S"),
            "unanswered": list(widget.unanswered.values()),
            "last lines": [
                f"{seq} {line['metadata'].get('sender')}: {line['text'][:60]}"
                for seq, line in sorted(widget.lines.items())[-6:]
            ],
        }
        print(f"soak: conversation {seen['conversation']}: {what}", flush=True)
        with self.lock:
            self.problems.append(seen)


def bot_conversation(stack: Stack, counts: Counts) -> None:
    """A customer does a task with the bot: each line must get an answer (the bot's, or the
    offer of a person when Rasa is down)."""
    widget = Widget(stack)
    widget.open()
    turns: dict[str, int | None] = {}
    for text in BOT_SCRIPT:
        message_id = widget.say(text)
        turns[message_id] = None

        def answered(message_id: str = message_id) -> bool:
            seq = widget.acknowledged.get(message_id)
            if seq is None:
                return False
            return bool(widget.lines_from("bot", seq) or widget.lines_from("system", seq))

        if widget.wait(answered, ANSWER_WITHIN):
            turns[message_id] = widget.acknowledged[message_id]
        else:
            counts.problem(widget, f"no answer to {text!r}")
        time.sleep(PACE)
    widget.close()
    counts.finish(widget, turns)
    with counts.lock:
        counts.bot_conversations += 1


def human_conversation(stack: Stack, counts: Counts) -> None:
    """A customer asks for a person, exchanges lines with whichever console takes the chat
    (dropping the socket once, for some), and waits until the agent closes it or hands it
    back to the bot."""
    widget = Widget(stack)
    widget.open()
    widget.say("I want to talk to a person")
    widget.wait(lambda: widget.status() in ("assigned", "bot_unavailable"), ANSWER_WITHIN)
    if widget.status() == "bot_unavailable":  # Rasa was down: the offer's button
        widget.say("/request_human")
    if not widget.wait(lambda: widget.status() == "assigned", ANSWER_WITHIN * 2):
        counts.problem(widget, f"never assigned (status {widget.status()})")
        drop_at, lines = -1, 0
    else:
        drop_at = random.randrange(LINES_PER_CHAT) if random.random() < DROPPING else -1
        lines = LINES_PER_CHAT
    for n in range(lines):
        last = Console.LAST if n == LINES_PER_CHAT - 1 else ""
        text = f"line {n} {uuid.uuid4().hex[:8]} {last}".strip()
        widget.say(text)
        with counts.lock:
            counts.to_agent.sent.append(text)
        if n == drop_at:
            widget.reconnect()
        if not widget.wait(functools.partial(widget.has, "agent", f"re: {text}"), ANSWER_WITHIN):
            counts.problem(widget, f"no reply to {text!r}")
        time.sleep(PACE)
    ended = ("closed", "returned_to_bot")
    if lines and not widget.wait(lambda: widget.status() in ended, ANSWER_WITHIN):
        counts.problem(widget, f"not ended by the agent (status {widget.status()})")
    widget.close()
    counts.finish(widget, {})
    with counts.lock:
        counts.human_conversations += 1


def customers(stack: Stack, counts: Counts, stop: threading.Event, human: bool) -> None:
    """One customer after another until ``stop``; the conversation under way is finished."""
    while not stop.is_set():
        try:
            (human_conversation if human else bot_conversation)(stack, counts)
        except Exception as error:  # counted, and the next customer comes
            print(f"soak: a customer's conversation failed: {error!r}", flush=True)
            with counts.lock:
                counts.problems.append({"what": f"failed: {error!r}"})
            time.sleep(RETRY_PAUSE)


def count_consoles(consoles: list[Console], counts: Counts) -> None:
    """What the consoles sent and received, once they have stopped."""
    sent = {data["text"] for console in consoles for event, data in console.sent if event == "send"}
    held: dict[tuple[str, int], str] = {}
    for console in consoles:
        for line in console.customer_lines():
            held[(line["conversation_id"], line["seq"])] = line["text"]
    counts.to_customer.sent = sorted(sent)
    counts.to_agent.received = [text for text in held.values() if text.startswith("line ")]
    counts.reconnects += sum(console.reconnects for console in consoles)
    counts.refusals += sum(console.refusals for console in consoles)
