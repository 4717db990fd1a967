"""`python -m bot check` and `validate`: content problems, as `file:line: problem — fix`.

Three kinds of checks run, all without training, in this order:

- Files YAML cannot read, or not shaped as Rasa expects (bot/yaml_problems.py):
  each at its line and column with a caret. When there is one, nothing else runs,
  since every other check needs the files read.
- Tandem's rules, in `RULES`: every name a rule, story or form uses exists (with
  "did you mean" for a near miss), enough examples per intent, no example under
  two intents, every response used and every used response defined, each FAQ
  question with its answer, no HTML or non-https link in a response, nothing like
  a card number or a password in a training example. `check` adds
  `COVERAGE_RULES`: every task (form) has story tests of its happy path, a
  digression and a handoff, the conversation tests in tests/conversations/ and
  the scenarios in tests/scenarios/ are well formed, and every `bot:` turn quotes
  what a response says now (bot/quotes.py).
- Rasa's own checks that need its machinery (bot/rasa_validation.py): the
  content loads as training loads it, and no two stories disagree. When the
  stories changed, that second one starts first and runs beside the others.

Training refuses content with `problems()`; `check()` also asks for the story
tests, which an editor trying a change in `python -m bot shell` need not have yet.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

from bot.content import (
    RETRIEVAL_SEPARATOR,
    Content,
    Located,
    Problem,
    did_you_mean,
    line_of,
    relative,
)
from bot.conversation_tests import ConversationTestError, load
from bot.demo import CustomerFileError, load_customers
from bot.quotes import quotes_current
from bot.rasa_validation import RasaChecks
from bot.scenarios import ScenarioError
from bot.scenarios import load_all as load_scenarios
from bot.yaml_problems import problems as unreadable
from core.redaction import mask_card_numbers
from core.settings import ROOT

# Fewer examples than this and an intent is easily confused with its neighbours;
# Tandem's intents have 50 or more, which is what its held-out F1 of 0.9+ rests on.
MIN_EXAMPLES = 20
# An FAQ question is one of many under one intent (`faq`), told apart by the ResponseSelector.
MIN_FAQ_EXAMPLES = 10
DEMO_CUSTOMERS = Path("data/demo/customers.yml")
HANDOFF_ACTION = "action_handoff"
# Leaving a form this way is not a digression: the task ends.
TASK_ENDERS = {HANDOFF_ACTION, "action_deactivate_loop", "action_cancel_task"}

_NAMED = re.compile(r"""["'](utter_\w*)(\{?)""")
# The checks' own code quotes response names in patterns, not as responses; so does the FAQ
# module, which names each answer after its question.
_CHECKERS = {Path(__file__).name, "rasa_validation.py", "faq.py"}
# Quoted in code but not a response: Rasa's key for the response a bot message came from.
_NOT_RESPONSES = {"utter_action"}
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_HTML_TAG = re.compile(r"<\s*/?\s*[A-Za-z][^<>]*>")
_LINK = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"')]+|\bjavascript:\S*", re.IGNORECASE)
# "my password is hunter2", "pw: Tr0ub4dor": a password word followed by something password-like.
_SAID_PASSWORD = re.compile(
    r"\b(?:password|passcode|passwd|pwd|pw)\s*(?:is|was|=|:)?\s*(\S+)", re.IGNORECASE
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.\w+")
_WORD = re.compile(r"\S+")


def names_exist(content: Content) -> Iterator[Problem]:
    """Every intent, action, form and slot that rules, stories, forms and tests name exists.

    Rasa's validator says this too, but names no line, calls a rule a story and
    suggests adding a misspelt name to the domain; these say where and what is near.
    """
    from rasa.shared.core.constants import (
        DEFAULT_ACTION_NAMES,
        DEFAULT_INTENTS,
        DEFAULT_SLOT_NAMES,
    )

    intents = {i.value for i in content.intents} | set(DEFAULT_INTENTS)
    actions = {a.value for a in content.actions} | set(DEFAULT_ACTION_NAMES)
    forms, slots = set(content.forms), set(content.slots) | set(DEFAULT_SLOT_NAMES)
    steps = content.data_steps + [s for _, story in content.test_stories for s in story]
    for key, value in steps:
        if value is None or value.value in ("null", ""):
            continue
        name = value.value
        if key.value == "intent" and name.split(RETRIEVAL_SEPARATOR)[0] not in intents:
            yield _unknown(value, "intent", intents, "under `intents:` in domain.yml")
        elif key.value == "action" and not name.startswith("utter_"):
            if name not in actions | forms:
                yield _unknown(
                    value,
                    "action",
                    actions | forms,
                    "under `actions:` in domain.yml (a developer writes its code)",
                )
        elif key.value == "active_loop" and name not in forms:
            yield _unknown(value, "form", forms, "under `forms:` in domain.yml")
    for slot in [*(s for ss in content.form_slots.values() for s in ss), *content.slots_set]:
        if slot.value not in slots:
            yield _unknown(slot, "slot", slots, "under `slots:` in domain.yml")
    for intent in content.mapping_intents:
        if intent.value not in intents:
            yield _unknown(intent, "intent", intents, "under `intents:` in domain.yml")
    for name, where in content.intent_blocks.items():
        if name.split(RETRIEVAL_SEPARATOR)[0] not in intents:
            yield Problem(
                where.file,
                where.line,
                f"the intent '{name}' has examples but is not in domain.yml",
                f"{did_you_mean(name, intents)}correct the name, or add it under `intents:` in "
                "domain.yml",
            )


def _unknown(where: Located, kind: str, known: set[str], listed: str) -> Problem:
    return Problem(
        where.file,
        where.line,
        f"the {kind} '{where.value}' does not exist",
        f"{did_you_mean(where.value, known)}correct the spelling, or add it {listed}",
    )


def enough_examples(content: Content) -> Iterator[Problem]:
    """Every intent customers type has at least MIN_EXAMPLES examples; an FAQ question fewer."""
    for intent in content.intents:
        if intent.value.startswith("EXTERNAL_") or content.faq_examples(intent.value):
            continue
        count = len(content.examples.get(intent.value, []))
        if count < MIN_EXAMPLES:
            where = content.intent_blocks.get(intent.value, intent)
            yield Problem(
                where.file,
                where.line,
                f"the intent '{intent.value}' has {count} training examples",
                f"add at least {MIN_EXAMPLES - count} more under `- intent: {intent.value}` in "
                f"data/nlu/ (every intent needs {MIN_EXAMPLES})",
            )


def examples_start_with_a_dash(content: Content) -> Iterator[Problem]:
    """Rasa skips an example line that does not start with `- ` where the others do."""
    for line in content.stray_lines:
        yield Problem(
            line.file,
            line.line,
            f'the line "{line.value.strip()}" is not read as an example',
            "start it with `- `, lined up with the `- ` of the examples above it (Rasa skips "
            "it as it is)",
        )


def normalised(example: str) -> str:
    """An example as the model compares it: annotations removed, lower case, single spaces."""
    return " ".join(_ANNOTATION.sub(r"\1", example).lower().split())


def examples_under_one_intent(content: Content) -> Iterator[Problem]:
    """The same example under two intents teaches the model both; the second one is reported."""
    first: dict[str, tuple[str, Located]] = {}
    ordered = sorted(
        ((intent, ex) for intent, exs in content.examples.items() for ex in exs),
        key=lambda pair: (pair[1].file, pair[1].line),
    )
    for intent, example in ordered:
        key = normalised(example.value)
        seen = first.setdefault(key, (intent, example))
        if seen[0] != intent:
            other, where = seen
            yield Problem(
                example.file,
                example.line,
                f"the example \"{key}\" is under the intent '{intent}' and also under "
                f"'{other}' ({where.file}:{where.line})",
                "keep it under the one intent it means and delete the other",
            )


def responses_used_and_defined(content: Content) -> Iterator[Problem]:
    """Every response is said somewhere, and every response named anywhere exists.

    `utter_faq` names every `utter_faq/<question>` at once: a rule for the
    retrieval intent uses all of its answers.
    """
    root = content.root
    named, prefixes = responses_named_in_code(root)
    asked = form_questions(content.form_slots)
    in_steps = [
        value
        for key, value in content.data_steps + [s for _, ss in content.test_stories for s in ss]
        if key.value == "action" and value is not None and value.value.startswith("utter_")
    ]
    used = {v.value for v in in_steps if v.file.startswith("data/")} | set(named) | asked
    retrieval = {name + RETRIEVAL_SEPARATOR for name in used}
    for name, where in content.response_places.items():
        base = name.split(RETRIEVAL_SEPARATOR)[0] + RETRIEVAL_SEPARATOR
        if name in used or base in retrieval or any(name.startswith(p) for p in prefixes):
            continue
        yield Problem(
            where.file,
            where.line,
            f"the response '{name}' is never used",
            "use it in a rule or story, utter it from an action, or delete it",
        )
    defined = set(content.responses) | {
        name.split(RETRIEVAL_SEPARATOR)[0] for name in content.responses
    }
    for value in in_steps:
        if value.value not in defined:
            yield _undefined(value, defined)
    for name, places in named.items():
        if name not in defined:
            yield from (_undefined(place, defined) for place in places)


def _undefined(where: Located, defined: set[str]) -> Problem:
    return Problem(
        where.file,
        where.line,
        f"the response '{where.value}' does not exist",
        f"{did_you_mean(where.value, defined)}correct the name, or add it under `responses:` "
        "in domain.yml",
    )


def faqs_answered(content: Content) -> Iterator[Problem]:
    """Each FAQ question (`faq/hours`) has its answer (`utter_faq/hours`) and enough examples."""
    questions = {n: w for n, w in content.intent_blocks.items() if RETRIEVAL_SEPARATOR in n}
    for name, where in questions.items():
        answer = f"utter_{name}"
        variants = content.responses.get(answer)
        if variants is None:
            yield Problem(
                where.file,
                where.line,
                f"the question '{name}' has no answer",
                f"add `{answer}:` under `responses:` in {where.file}",
            )
        elif not isinstance(variants, yaml.SequenceNode) or len(variants.value) != 1:
            place = content.response_places[answer]
            yield Problem(
                place.file,
                place.line,
                f"the answer '{answer}' is not one text",
                "give it exactly one `- text:`: an FAQ's answer is always the same, and its "
                "test (made by test-bot) expects it word for word",
            )
        count = len(content.examples.get(name, []))
        if count < MIN_FAQ_EXAMPLES:
            yield Problem(
                where.file,
                where.line,
                f"the question '{name}' has {count} examples",
                f"add at least {MIN_FAQ_EXAMPLES - count} more ways customers ask it (every "
                f"question needs {MIN_FAQ_EXAMPLES})",
            )
    for name, where in content.response_places.items():
        question = name.removeprefix("utter_")
        if RETRIEVAL_SEPARATOR in question and question not in questions:
            yield Problem(
                where.file,
                where.line,
                f"the answer '{name}' has no question",
                f"{did_you_mean(question, questions)}name its question `- intent: {question}` "
                "with its examples under `nlu:` in the same file",
            )


def plain_text_and_https(content: Content) -> Iterator[Problem]:
    """Responses are shown as text, so HTML would appear as tags; links must be https."""
    for name, variants in content.responses.items():
        file = content.response_places[name].file
        for scalar in _scalars(variants):
            tag = _HTML_TAG.search(scalar.value)
            if tag:
                yield Problem(
                    file,
                    line_of(scalar),
                    f"the response '{name}' contains HTML ({tag.group()})",
                    "write plain text: the chat shows tags as they are typed",
                )
            for link in _LINK.findall(scalar.value):
                if not link.lower().startswith("https://"):
                    yield Problem(
                        file,
                        line_of(scalar),
                        f"the response '{name}' links to {link}",
                        "use an https:// link",
                    )


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            yield from _scalars(value)


def no_secrets_in_examples(content: Content) -> Iterator[Problem]:
    """Training data ends up in the model file: no card numbers or passwords, even test ones.

    The messages never repeat what was found, so the check's own output is safe to share.
    """
    for intent, examples in content.examples.items():
        for example in examples:
            masked, has_card = mask_card_numbers(example.value)
            if has_card:
                ending = re.findall(r"\[card ending \d{4}\]", masked)[0]
                yield Problem(
                    example.file,
                    example.line,
                    f"an example of '{intent}' contains what looks like a real card number "
                    f"({ending})",
                    "write the sentence without the number (the chat masks card numbers "
                    "before the bot sees them)",
                )
            if _looks_like_password(example.value):
                yield Problem(
                    example.file,
                    example.line,
                    f"an example of '{intent}' contains what looks like a password",
                    "write the sentence without it (the bot never asks for passwords)",
                )


def _looks_like_password(text: str) -> bool:
    """A password given after the word ("password is hunter2"), or a word like Tr0ub4dor&3."""
    plain = _ANNOTATION.sub(r"\1", text)
    for said in _SAID_PASSWORD.findall(plain):
        value = said.strip(".,!?;:\"'()")
        if len(value) >= 4 and not value.isalpha() and not _EMAIL.fullmatch(value):
            return True
    for word in _WORD.findall(plain):
        word = word.strip(".,!?;:\"'()")
        if len(word) < 8 or _EMAIL.fullmatch(word):
            continue
        symbols = [c for c in word if not c.isalnum() and c not in "-_.'"]
        lower, upper = any(c.islower() for c in word), any(c.isupper() for c in word)
        if lower and upper and symbols and any(c.isdigit() for c in word):
            return True
    return False


RULES: list[Callable[[Content], Iterator[Problem]]] = [
    names_exist,
    examples_start_with_a_dash,
    enough_examples,
    examples_under_one_intent,
    responses_used_and_defined,
    faqs_answered,
    plain_text_and_https,
    no_secrets_in_examples,
]


def tasks_have_story_tests(content: Content) -> Iterator[Problem]:
    """Each form has story tests of its happy path, a digression and a handoff."""
    for form, line in content.forms.items():
        found: set[str] = set()
        for _, steps in content.test_stories:
            found |= _task_paths(form, steps)
        for kind, example in (
            ("happy path", "the task completes"),
            ("digression", "the customer asks something else in the middle and the task goes on"),
            ("handoff", "the customer asks for a person in the middle"),
        ):
            if kind not in found:
                yield Problem(
                    "domain.yml",
                    line,
                    f"the task '{form}' has no story test of a {kind}",
                    f"add a story to tests/stories/ in which {example} (see docs/editing.md)",
                )


def _task_paths(form: str, steps: list[tuple[Located, Located | None]]) -> set[str]:
    """Which of happy path, digression and handoff a story test shows for ``form``."""
    names = [(key.value, value.value if value else None) for key, value in steps]
    found: set[str] = set()
    active = digressed = False
    for (key, value), (next_key, next_value) in zip(names, names[1:] + [("", None)], strict=True):
        if key == "active_loop":
            active = value == form
        elif key == "action" and active:
            if value == form and next_key == "active_loop" and next_value in (None, "null"):
                found.add("happy path")
            elif value == form and digressed:
                found.add("digression")
            elif value == HANDOFF_ACTION:
                found.add("handoff")
            elif value != form and value not in TASK_ENDERS:
                digressed = True
    return found


def conversation_tests_readable(content: Content) -> Iterator[Problem]:
    """Every file in tests/conversations/ reads as conversation tests; test-bot plays them."""
    for path in sorted((content.root / "tests" / "conversations").glob("*.yml")):
        try:
            load(path, content.root)
        except ConversationTestError as error:
            yield error.problem


def scenarios_readable(content: Content) -> Iterator[Problem]:
    """Every file in tests/scenarios/ reads as scenarios of demo customers; test-bot plays them.

    Without a readable demo customers file (its own error), any customer id passes here.
    """
    try:
        customers = {row["id"] for row in load_customers(content.root / DEMO_CUSTOMERS)}
    except CustomerFileError:
        customers = set()
    try:
        load_scenarios(content.root / "tests" / "scenarios", content.root, customers)
    except ScenarioError as error:
        yield error.problem


COVERAGE_RULES: list[Callable[[Content], Iterator[Problem]]] = [
    tasks_have_story_tests,
    conversation_tests_readable,
    quotes_current,
    scenarios_readable,
]


# --- Rasa's checks -----------------------------------------------------------------


def responses_named_in_code(root: Path) -> tuple[dict[str, list[Located]], set[str]]:
    """Response names the Python code utters, where; and prefixes completed at run time."""
    names: dict[str, list[Located]] = {}
    prefixes: set[str] = set()
    sources = [*(root / "actions").glob("*.py"), *(root / "bot").glob("*.py")]
    for source in sorted(s for s in sources if s.name not in _CHECKERS):
        for number, text in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            for match in _NAMED.finditer(text):
                name, templated = match.groups()
                if name in _NOT_RESPONSES:
                    continue
                if templated:
                    prefixes.add(name)
                else:
                    place = Located(name, relative(root, source), number)
                    names.setdefault(name, []).append(place)
    return names, prefixes


def form_questions(form_slots: dict[str, list[Located]]) -> set[str]:
    """The `utter_ask_<slot>` responses forms use for their required slots."""
    return {f"utter_ask_{slot.value}" for slots in form_slots.values() for slot in slots}


# --- entry points ------------------------------------------------------------------


def problems(root: Path = ROOT) -> list[Problem]:
    """What training refuses: Rasa's checks and Tandem's content rules; empty when all is well."""
    return _run(root, RULES)


def check(root: Path = ROOT) -> list[Problem]:
    """Everything `python -m bot check` reports: ``problems`` and the story tests' coverage."""
    return _run(root, RULES + COVERAGE_RULES)


def _run(root: Path, rules: list[Callable[[Content], Iterator[Problem]]]) -> list[Problem]:
    with RasaChecks(root) as rasa:
        found = unreadable(root)
        if found:
            return found
        content = Content.read(root)
        return sorted(p for rule in rules for p in rule(content)) + rasa.problems()


def main(root: Path = ROOT) -> int:
    """`python -m bot check`: print each problem as `file:line: problem — fix`; 1 if any."""
    started = time.perf_counter()
    os.environ["LOG_LEVEL"] = "WARNING"  # Rasa hides its progress bars below INFO
    found = check(root)
    for problem in found:
        print(problem)
    took = f"{time.perf_counter() - started:.1f} s"
    if found:
        many = "problem" if len(found) == 1 else "problems"
        print(f"{len(found)} {many} in domain.yml, data/ and tests/ ({took}).")
        return 1
    print(f"No problems in domain.yml, data/ and tests/ ({took}).")
    return 0
