"""Editors' conversation tests: whole chats through the gateway, across the handoff and back.

Rasa's story tests stop at the bot. These tests, written in YAML in
``tests/conversations/``, play a customer and an agent over real sockets against
a running stack (gateway, Redis, Rasa, action server) and check every turn:

    conversations:
      - name: a person finishes a payment the customer started
        steps:
          - customer: I want to pay my bill
          - bot: confirm who you are              # the bot's next message contains this
          - customer: agent please
          - bot: connecting you to a person
          - handoff: {reason: explicit_request, skill: billing}
          - agent: Hi, I'm Ann. Let's carry on.   # the customer must receive it
          - customer: thanks                      # the agent must receive it
          - hand_back: resume                     # or `welcome`, or {resume: true, slots: {...}}
          - bot: finish where we left off

``agents: away`` makes the test's agent unavailable, so a handoff waits in the queue
(``status: waiting``) until ``agents: available``.

Every message the bot sends must be listed, in order; a test fails at the first
turn that went otherwise, and says which turn, on which line, and what happened.
docs/editing.md explains the format for editors.
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import yaml

from bot.content import Problem
from bot.differences import first_difference, normal
from bot.gateway_client import AgentClient, Customer, NoReply, sender
from bot.stack import Stack
from core.vocabulary import SKILLS
from handoff.protocol import ProtocolViolation

KINDS = ("customer", "bot", "agent", "handoff", "hand_back", "close", "agents", "status")
# `agents: away` keeps a handed-off chat waiting in the queue; `agents: available` ends that.
AGENT_STATUSES = ("away", "available")
# `status: waiting` and the like: a change the customer is told of (docs/protocol.md).
STATUSES = ("waiting", "queued", "returned_to_bot", "offline", "closed")
# How long a turn may take before the test says nothing came.
TURN_TIMEOUT = 20.0
# After the last turn, how long the bot must stay quiet for the test to pass.
SETTLE_SECONDS = 0.5
AGENT_NAME = "Ann Lee"
AGENT_SKILLS = SKILLS


class ConversationTestError(ValueError):
    """A conversation test file cannot be read; the message says where and how to fix it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class TurnFailed(AssertionError):
    """A turn of a conversation test did not go as written."""


@dataclasses.dataclass(frozen=True)
class Step:
    """One turn: who acts or what is expected, and where the editor wrote it."""

    number: int  # 1-based, as the failure message counts turns
    line: int
    kind: str
    text: str = ""
    expected: dict[str, str] = dataclasses.field(default_factory=dict)  # handoff: reason, skill
    resume: bool = False
    slots: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ConversationTest:
    name: str
    file: str
    line: int
    steps: list[Step]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclasses.dataclass
class Outcome:
    """What running a test showed: its failure, if any, and what Rasa understood and said."""

    test: ConversationTest
    failure: str | None
    intents: set[str]
    responses: set[str]


def load(path: Path, root: Path) -> list[ConversationTest]:
    """The conversation tests of one YAML file; raises ConversationTestError when malformed."""
    file = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ConversationTestError(
            Problem(file, line, "this is not valid YAML", "check the indentation and quotes")
        ) from error
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict) or not isinstance(data.get("conversations"), list):
        raise ConversationTestError(
            Problem(file, 1, "no `conversations:` list", "start the file with `conversations:`")
        )
    assert isinstance(node, yaml.MappingNode)
    listed = next(v for k, v in node.value if k.value == "conversations")
    return [
        _conversation(item, item_node, file)
        for item, item_node in zip(data["conversations"], listed.value, strict=True)
    ]


def load_all(folder: Path, root: Path) -> list[ConversationTest]:
    return [test for path in sorted(folder.glob("*.yml")) for test in load(path, root)]


def _conversation(item: Any, node: yaml.Node, file: str) -> ConversationTest:
    line = node.start_mark.line + 1
    if not isinstance(item, dict) or not item.get("name") or not item.get("steps"):
        raise ConversationTestError(
            Problem(
                file, line, "a conversation without a name or steps", "give it `name:` and `steps:`"
            )
        )
    step_nodes = next(v for k, v in node.value if k.value == "steps").value
    steps = [
        _step(number, raw, step_node.start_mark.line + 1, file)
        for number, (raw, step_node) in enumerate(zip(item["steps"], step_nodes, strict=True), 1)
    ]
    return ConversationTest(str(item["name"]), file, line, steps)


def _step(number: int, raw: Any, line: int, file: str) -> Step:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in KINDS:
        raise ConversationTestError(
            Problem(
                file,
                line,
                f"turn {number} is not one of {', '.join(KINDS)}",
                "write e.g. `- customer: hello`",
            )
        )
    ((kind, value),) = raw.items()
    if kind in ("customer", "bot", "agent"):
        if not isinstance(value, str) or not value.strip():
            raise ConversationTestError(
                Problem(file, line, f"turn {number} has no text", f"write it after `{kind}:`")
            )
        return Step(number, line, kind, text=value.strip())
    if kind == "handoff":
        if not isinstance(value, dict) or not {"reason", "skill"} <= set(value):
            raise ConversationTestError(
                Problem(
                    file,
                    line,
                    f"turn {number} does not say the handoff's reason and skill",
                    "write e.g. `- handoff: {reason: explicit_request, skill: billing}`",
                )
            )
        return Step(number, line, kind, expected={k: str(v) for k, v in value.items()})
    if kind in ("agents", "status"):
        allowed = AGENT_STATUSES if kind == "agents" else STATUSES
        if value not in allowed:
            raise ConversationTestError(
                Problem(
                    file,
                    line,
                    f"turn {number} says `{kind}: {value}`, which there is not",
                    f"write one of {', '.join(allowed)} after `{kind}:`",
                )
            )
        return Step(number, line, kind, text=value)
    if kind == "hand_back":
        if value in ("resume", "welcome"):
            return Step(number, line, kind, resume=value == "resume")
        if isinstance(value, dict) and isinstance(value.get("slots", {}), dict):
            return Step(
                number, line, kind, resume=bool(value.get("resume")), slots=value.get("slots", {})
            )
        raise ConversationTestError(
            Problem(
                file,
                line,
                f"turn {number} hands back in a way there is not",
                "write `resume`, `welcome`, or `{resume: true, slots: {...}}` after `hand_back:`",
            )
        )
    return Step(number, line, kind, text=str(value or "resolved"))


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
