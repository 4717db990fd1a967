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
docs/editing.md explains the format for editors. This module reads the tests;
bot/conversation_play.py plays them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from bot.content import Problem, read_yaml

KINDS = ("customer", "bot", "agent", "handoff", "hand_back", "close", "agents", "status")
# `agents: away` keeps a handed-off chat waiting in the queue; `agents: available` ends that.
AGENT_STATUSES = ("away", "available")
# `status: waiting` and the like: a change the customer is told of (docs/protocol.md).
STATUSES = ("waiting", "queued", "returned_to_bot", "offline", "closed")


class ConversationTestError(ValueError):
    """A conversation test file cannot be read; the message says where and how to fix it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


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


def load(path: Path, root: Path) -> list[ConversationTest]:
    """The conversation tests of one YAML file; raises ConversationTestError when malformed."""
    file = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    try:
        node, data = read_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ConversationTestError(
            Problem(file, line, "this is not valid YAML", "check the indentation and quotes")
        ) from error
    data = data or {}
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
