"""Scenarios: customers with real tasks, to measure how often the bot gets them done.

Unlike the conversation tests, a scenario does not say what the bot answers: it
says who the customer is, what they want done (each task with an outcome the
account backend or the gateway can show), what they say first, and what they
answer when asked. ``tests/scenarios/README.md`` describes the format;
``bot/scenario_play.py`` plays scenarios, ``bot/scenario_report.py`` sums them up.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from bot.content import Problem, read_yaml

TASK_KINDS = ("password_reset", "address_change", "bill_payment", "balance", "person")
ADDRESS_PARTS = ("street", "city", "postal_code")
# The turns a customer gives each task before giving up.
TURNS_PER_TASK = 12
# What the bot's question asks for, by the words it uses; tried in this order, and the first
# the customer has an answer for wins ("to confirm it's you, the last 4 digits?" asks for
# the phone digits, not a yes).
QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("phone", ("last 4", "last four", "digits", "phone")),
    ("identifier", ("email", "e-mail", "username", "user name", "account number", "account id")),
    (
        "confirm",
        (
            "confirm",
            "correct",
            "is that right",
            "right?",
            "shall i",
            "should i",
            "go ahead",
            "proceed",
            "yes or no",
            "ok?",
            "okay?",
        ),
    ),  # fmt: skip
    ("amount", ("amount", "how much")),
    ("street", ("street",)),
    ("city", ("city", "town")),
    ("postal_code", ("zip", "postal code", "postcode")),
    ("address", ("address",)),
    ("street", ("address",)),  # a customer who gives the parts starts with the street
)
ANSWER_NAMES = tuple(dict.fromkeys(name for name, _ in QUESTIONS))
# The answer key for what a customer says when nothing they know of is asked.
OTHERWISE = "otherwise"
DEFAULT_ANSWERS = {"confirm": "yes"}


class ScenarioError(ValueError):
    """A scenario file cannot be read; the message says where and how to fix it."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class Task:
    """Something the customer wants done, and what shows it was: ``expected`` by kind.

    ``address_change``: the street, city and postal code the account must hold;
    ``bill_payment``: the amount a payment must be recorded for; others: nothing.
    """

    kind: str
    expected: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    file: str
    line: int
    customer: str  # a demo account's id
    tasks: tuple[Task, ...]
    says: tuple[str, ...]
    answers: Mapping[str, str]
    # What the customer says when the bot asks nothing they know: by the first task still to
    # do, or under "" whatever is still to do.
    otherwise: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def turn_limit(self) -> int:
        return TURNS_PER_TASK * len(self.tasks)

    def answer(self, bot_said: str, to_do: Sequence[str] = ()) -> str | None:
        """What this customer says to the bot's last reply, ``to_do`` the kinds not yet done."""
        answer = answer_for(bot_said, {**DEFAULT_ANSWERS, **self.answers})
        if answer is not None:
            return answer
        return next((self.otherwise[k] for k in to_do if k in self.otherwise), None) or (
            self.otherwise.get("")
        )


def question_of(bot_said: str) -> str:
    """The part of the bot's reply that asks something: its last sentence with a question mark.

    A reply may first say what was done ("Your address is changed.") and then ask; the
    question is what the customer answers. Without a question mark, the last sentence
    ("Please type just the last 4 digits."), so that "Done! Your address is now…" is not
    taken for a question about the address.
    """
    sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", bot_said.strip()) if s]
    asking = [sentence for sentence in sentences if "?" in sentence]
    return asking[-1] if asking else (sentences[-1] if sentences else "")


def answer_for(bot_said: str, answers: Mapping[str, str]) -> str | None:
    """The answer to the bot's reply: a phrase of the customer's own, else a known kind.

    Keys of ``answers`` that are not answer names (``ANSWER_NAMES``) are phrases looked
    for first, anywhere in the reply, so a scenario can answer what the built-in words do
    not know ("anything else": "no thats all") or refuse a wrong confirmation ("651 gold":
    "no, 615"). Answer names are looked for in the reply's question only.
    """
    reply = " ".join(bot_said.lower().split())
    for phrase, answer in answers.items():
        if phrase not in ANSWER_NAMES and phrase.lower() in reply:
            return answer
    asked = " ".join(question_of(bot_said).lower().split())
    for name, words in QUESTIONS:
        if name in answers and any(word in asked for word in words):
            return answers[name]
    return None


def load(path: Path, root: Path, customers: Collection[str] = ()) -> list[Scenario]:
    """The scenarios of one YAML file; raises ScenarioError when malformed.

    ``customers``: the demo accounts' ids a scenario may play (any when empty).
    """
    file = path.relative_to(root).as_posix()
    text = path.read_text(encoding="utf-8")
    try:
        node, data = read_yaml(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise ScenarioError(
            Problem(file, line, "this is not valid YAML", "check the indentation and quotes")
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list):
        raise ScenarioError(
            Problem(file, 1, "no `scenarios:` list", "start the file with `scenarios:`")
        )
    assert isinstance(node, yaml.MappingNode)
    listed = next(v for k, v in node.value if k.value == "scenarios")
    return [
        _scenario(item, Problem(file, item_node.start_mark.line + 1, "", ""), customers)
        for item, item_node in zip(data["scenarios"], listed.value, strict=True)
    ]


def load_all(folder: Path, root: Path, customers: Collection[str] = ()) -> list[Scenario]:
    """Every scenario of ``folder``'s YAML files; names must be unique."""
    scenarios = [s for path in sorted(folder.glob("*.yml")) for s in load(path, root, customers)]
    seen: dict[str, Scenario] = {}
    for scenario in scenarios:
        if scenario.name in seen:
            raise ScenarioError(
                Problem(
                    scenario.file,
                    scenario.line,
                    f"the name “{scenario.name}” is taken at {seen[scenario.name].where}",
                    "give each scenario its own name",
                )
            )
        seen[scenario.name] = scenario
    return scenarios


def _scenario(item: Any, at: Problem, customers: Collection[str]) -> Scenario:
    """One scenario; ``at`` is where it starts, for the errors."""

    def fail(problem: str, fix: str) -> ScenarioError:
        return ScenarioError(dataclasses.replace(at, what=problem, fix=fix))

    if not isinstance(item, dict) or not item.get("name"):
        raise fail("a scenario without a name", "give it `name:`")
    name = str(item["name"])
    customer = str(item.get("customer") or "").upper()
    if not customer or (customers and customer not in customers):
        raise fail(
            f"scenario “{name}” plays no demo customer",
            f"write `customer:` and one of {', '.join(sorted(customers)) or 'the demo ids'}",
        )
    raw_tasks = item.get("tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise fail(f"scenario “{name}” wants no task", f"list `tasks:` among {TASK_KINDS}")
    tasks = tuple(_task(raw, name, fail) for raw in raw_tasks)
    says = item.get("says")
    if not isinstance(says, list) or not says or not all(_line(s) for s in says):
        raise fail(f"scenario “{name}” says nothing", "list the customer's lines under `says:`")
    answers = item.get("answers") or {}
    if not isinstance(answers, dict):
        raise fail(f"scenario “{name}” has no answers", "write `answers:` as `key: line` pairs")
    answers = dict(answers)
    otherwise = answers.pop(OTHERWISE, None)
    if isinstance(otherwise, dict) and set(otherwise) <= set(TASK_KINDS):
        otherwise = {str(k): v for k, v in otherwise.items()}
    elif otherwise is not None:
        otherwise = {"": otherwise}
    if not all(_line(v) for v in [*answers.values(), *(otherwise or {}).values()]):
        raise fail(
            f"scenario “{name}” has answers that are not lines",
            'write e.g. `answers: {identifier: dana, phone: "4821", otherwise: {balance: '
            '"and my balance?"}}`',
        )
    scenario = Scenario(
        name,
        at.file,
        at.line,
        customer,
        tasks,
        tuple(str(s).strip() for s in says),
        {str(k).lower(): str(v).strip() for k, v in answers.items()},
        {k: str(v).strip() for k, v in (otherwise or {}).items()},
    )
    if len(scenario.says) > scenario.turn_limit:
        raise fail(
            f"scenario “{name}” says more lines than its {scenario.turn_limit} turns",
            "shorten `says:`",
        )
    return scenario


def _line(value: Any) -> bool:
    return isinstance(value, str | int | float) and bool(str(value).strip())


def _task(raw: Any, name: str, fail: Callable[[str, str], ScenarioError]) -> Task:
    """``balance``, ``bill_payment: 50``, ``address_change: {street:, city:, postal_code:}``."""
    kind, value = (raw, None) if isinstance(raw, str) else _single(raw)
    if kind not in TASK_KINDS:
        raise fail(f"scenario “{name}” wants a task there is not: {raw!r}", f"use {TASK_KINDS}")
    if kind == "bill_payment":
        try:
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
        except InvalidOperation:
            amount = Decimal(0)
        if amount <= 0:
            raise fail(f"scenario “{name}” pays no amount", "write e.g. `- bill_payment: 50`")
        return Task(kind, {"amount": str(amount)})
    if kind == "address_change":
        if not isinstance(value, dict) or not all(_line(value.get(p)) for p in ADDRESS_PARTS):
            raise fail(
                f"scenario “{name}” changes the address to nothing",
                "write `- address_change: {street: 22 Maple St, city: Springfield, "
                'postal_code: "62704"}`',
            )
        return Task(kind, {part: str(value[part]).strip() for part in ADDRESS_PARTS})
    if value is not None:
        raise fail(f"scenario “{name}”: `{kind}` takes no value", f"write `- {kind}`")
    return Task(kind)


def _single(raw: Any) -> tuple[Any, Any]:
    if isinstance(raw, dict) and len(raw) == 1:
        ((kind, value),) = raw.items()
        return kind, value
    return raw, None
