"""Playing the editors' conversation tests against a running stack (bot/conversation_tests.py
reads them): a customer and an agent over real sockets, every turn checked.

Apart from the reading, so that `python -m bot check`, which reads the tests,
imports none of the sockets, SQL and HTTP clients the playing needs.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import requests

from bot.conversation_tests import ConversationTest, Step
from bot.differences import first_difference, normal
from bot.gateway_client import AgentClient, Customer, NoReply, sender
from bot.stack import Stack
from core.vocabulary import SKILLS
from handoff.protocol import ProtocolViolation

# How long a turn may take before the test says nothing came.
TURN_TIMEOUT = 20.0
# After the last turn, how long the bot must stay quiet for the test to pass.
SETTLE_SECONDS = 0.5
AGENT_NAME = "Ann Lee"
AGENT_SKILLS = SKILLS


class TurnFailed(AssertionError):
    """A turn of a conversation test did not go as written."""


@dataclasses.dataclass
class Outcome:
    """What running a test showed: its failure, if any, and what Rasa understood and said."""

    test: ConversationTest
    failure: str | None
    intents: set[str]
    responses: set[str]


def matches(expected: str, said: str) -> bool:
    """The bot's message contains what the test expects, ignoring case and extra spaces."""
    return normal(expected) in normal(said)


class Run:
    """One conversation test being played: a customer, an agent, and the turn they are at."""

    def __init__(self, customer: Customer, agent: AgentClient) -> None:
        self.customer = customer
        self.agent = agent
        self.with_agent = False

    @property
    def conversation_id(self) -> str:
        return str(self.customer.session_id)

    def play(self, step: Step) -> None:
        """Do or check one turn; raises TurnFailed saying what happened instead."""
        actions: dict[str, Callable[[Step], None]] = {
            "customer": self._customer,
            "bot": self._bot,
            "agent": self._agent,
            "handoff": self._handoff,
            "hand_back": self._hand_back,
            "close": self._close,
            "agents": lambda step: self.agent.set_status(step.text),
            "status": lambda step: self._status(step.text),
        }
        try:
            actions[step.kind](step)
        except ProtocolViolation as error:  # e.g. `close: fixed`, a resolution there is not
            raise TurnFailed(str(error)) from error

    def _customer(self, step: Step) -> None:
        self.customer.say(step.text)
        if self.with_agent:
            try:
                self.agent.wait_for(
                    "message",
                    lambda m: m.get("kind") == "customer" and m.get("text") == step.text,
                    TURN_TIMEOUT,
                )
            except NoReply:
                raise TurnFailed("the agent never received the customer's message") from None

    def _bot(self, step: Step) -> None:
        said = self._next_message()
        if sender(said) != "bot":
            raise TurnFailed(
                f"expected the bot to say “{step.text}”, but the agent said “{said['text']}”"
            )
        if not matches(step.text, said["text"]):
            where = first_difference(step.text, said["text"])
            raise TurnFailed(
                f"expected the bot to say “{step.text}”, but it said “{said['text']}”"
                + (f"; {where}" if where else "")
            )

    def _agent(self, step: Step) -> None:
        self.agent.act("send", conversation_id=self.conversation_id, text=step.text)
        said = self._next_message()
        if sender(said) != "agent" or said.get("text") != step.text:
            raise TurnFailed(
                f"expected the customer to receive the agent's “{step.text}”, but the "
                f"{sender(said)} said “{said.get('text')}”"
            )

    def _handoff(self, step: Step) -> None:
        self._status("assigned")
        try:
            chat = self.agent.wait_for(
                "assigned",
                lambda d: d["conversation"]["id"] == self.conversation_id,
                TURN_TIMEOUT,
            )
        except NoReply:
            raise TurnFailed("the agent was never given the chat") from None
        packet = chat["conversation"].get("packet") or {}
        for field, value in step.expected.items():
            if str(packet.get(field)) != value:
                raise TurnFailed(
                    f"expected a handoff with {field} {value}, but the {field} was "
                    f"{packet.get(field)}"
                )
        self.with_agent = True

    def _hand_back(self, step: Step) -> None:
        self.agent.act(
            "hand_back", conversation_id=self.conversation_id, resume=step.resume, slots=step.slots
        )
        self._status("returned_to_bot")
        self.with_agent = False

    def _close(self, step: Step) -> None:
        self.agent.act("close", conversation_id=self.conversation_id, resolution=step.text)
        self._status("closed")
        self.with_agent = False

    def _next_message(self) -> dict[str, Any]:
        """The next message the customer receives from the bot or the agent."""
        try:
            message: dict[str, Any] = self.customer.wait_for("bot_uttered", timeout=TURN_TIMEOUT)
        except NoReply:
            raise TurnFailed(f"nothing was said within {TURN_TIMEOUT:.0f} s") from None
        return message

    def _status(self, status: str) -> None:
        """Wait for a handoff status, failing on any message the test did not list before it."""
        try:
            while True:
                event, data = self.customer.next_event(
                    ("bot_uttered", "handoff"), timeout=TURN_TIMEOUT
                )
                if event == "bot_uttered":
                    raise TurnFailed(
                        f"expected {status.replace('_', ' ')}, but first the {sender(data)} "
                        f"said “{data.get('text')}”, which the test does not list"
                    )
                if data.get("status") == status:
                    return
                if data.get("status") == "offline":
                    raise TurnFailed(f"expected {status}, but no one could take the chat")
        except NoReply:
            raise TurnFailed(
                f"expected {status.replace('_', ' ')} within {TURN_TIMEOUT:.0f} s, but it "
                "did not happen"
            ) from None

    def extra_messages(self) -> list[str]:
        """Messages the customer received after the last turn, which the test does not list."""
        return [
            f"{sender(data)}: “{data.get('text')}”"
            for event, data in self.customer.drain(SETTLE_SECONDS)
            if event == "bot_uttered"
        ]


def run(test: ConversationTest, stack: Stack) -> Outcome:
    """Play ``test`` against the running ``stack`` with a fresh agent; never raises on failure."""
    from bot.demo import reset_customers

    # Every test starts from the demo customers of data/demo/customers.yml as written.
    reset_customers(stack.settings.database_url)
    customer, agent = Customer(stack), signed_in_agent(stack)
    failure = None
    try:
        customer.start()
        game = Run(customer, agent)
        for step in test.steps:
            try:
                game.play(step)
            except TurnFailed as error:
                failure = failed(test, step, str(error))
                break
        else:
            extra = game.extra_messages()
            if extra:
                failure = (
                    f"{test.where}: conversation “{test.name}”, after the last turn: the test "
                    f"does not list {'; '.join(extra)} — add a `bot:` turn for it"
                )
        intents, responses = understood(stack, customer.session_id)
    finally:
        customer.close()
        agent.close()
    return Outcome(test, failure, intents, responses)


def signed_in_agent(stack: Stack) -> AgentClient:
    """A new agent with every skill, logged in to the console, to take the chats handed over."""
    from handoff.records.agents import AgentDirectory

    login, password = f"editor-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    directory = AgentDirectory(stack.settings.database_url)
    try:
        directory.add(login, AGENT_NAME, password, skills=AGENT_SKILLS)
    finally:
        directory.close()
    agent = AgentClient(stack)
    try:
        agent.login(login, password)
    except BaseException:
        agent.close()
        raise
    return agent


def failed(test: ConversationTest, step: Step, what: str) -> str:
    """The failure message: the conversation, the turn and its line, and what happened."""
    return (
        f"{test.file}:{step.line}: conversation “{test.name}”, turn {step.number} "
        f"({step.kind}): {what}"
    )


def understood(stack: Stack, conversation_id: str) -> tuple[set[str], set[str]]:
    """The intents Rasa recognised and the responses it uttered in one conversation."""
    response = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.settings.rasa_token},
        timeout=10,
    )
    response.raise_for_status()
    events = response.json().get("events") or []
    intents = {
        e["parse_data"]["intent"]["name"]
        for e in events
        if e.get("event") == "user" and (e.get("parse_data") or {}).get("intent")
    }
    responses = {
        e["metadata"]["utter_action"]
        for e in events
        if e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action")
    }
    return intents, responses
