"""The test-bot report (reports/test-bot.md): what failed and where, confusion, coverage.

It reads what `rasa test` wrote (failed_test_stories.yml, whose `# predicted:`
comments mark the step that went wrong; intent_report.json and
intent_errors.json for the held-out lines), the outcomes of the conversation
tests and the scenarios' figures, and writes Markdown an editor can read without
knowing Rasa's files. Card numbers are masked in everything written.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from bot.content import Content
from bot.conversation_play import Outcome
from bot.scenario_play import Played
from bot.scenario_report import section
from core.redaction import mask_card_numbers

_STORY = re.compile(r"^- story: (?P<name>.*) \((?P<file>[^()]+\.yml)\)$")
_STEP = re.compile(r"^  - ")
_WRONG = re.compile(r"^  - (?P<kind>intent|action): (?P<expected>\S+)\s+# predicted: (?P<got>.*)$")


@dataclasses.dataclass(frozen=True)
class StoryFailure:
    """A story test that failed, at the first step where the model did otherwise."""

    name: str
    file: str
    line: int
    step: int  # 0 when Rasa marks no step
    kind: str  # "intent", "action", or "" when Rasa marks no step
    expected: str
    predicted: str
    said: str | None  # the customer's message, for a wrong intent

    def __str__(self) -> str:
        if not self.step:
            return (
                f"{self.file}:{self.line}: story “{self.name}”: Rasa marks no step; most often "
                "an entity of a customer's line differs from what the model extracted — compare "
                "the story with results/test-bot/failed_test_stories.yml"
            )
        where = f"{self.file}:{self.line}: story “{self.name}”, step {self.step}"
        if self.kind == "intent":
            return (
                f"{where}: the customer said “{self.said}”; the test expects the intent "
                f"{self.expected}, the model understood {self.predicted}"
            )
        return (
            f"{where}: the test expects {self.expected} next, the model predicted {self.predicted}"
        )


def story_failures(root: Path, out: Path) -> list[StoryFailure]:
    """The first wrong step of each failed story in ``out/failed_test_stories.yml``."""
    path = out / "failed_test_stories.yml"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    starts = [n for n, text in enumerate(lines) if _STORY.match(text)]
    ends = [*starts[1:], len(lines)] if starts else []
    return [
        _first_wrong_step(root, lines[start:end]) for start, end in zip(starts, ends, strict=True)
    ]


def _first_wrong_step(root: Path, lines: list[str]) -> StoryFailure:
    """One failed story's lines, from its `- story:` header, read up to its first wrong step."""
    header = _STORY.match(lines[0])
    assert header is not None
    name, file = header["name"], header["file"]
    step = 0
    for text in lines[1:]:
        if not _STEP.match(text):
            continue
        step += 1
        wrong = _WRONG.match(text)
        if wrong:
            got, said = wrong["got"], None
            if wrong["kind"] == "intent":
                got, _, said = got.partition(": ")
            line = _step_line(root / file, name, step)
            return StoryFailure(
                name, file, line, step, wrong["kind"], wrong["expected"], got.strip(), said
            )
    return StoryFailure(name, file, _step_line(root / file, name, 0), 0, "", "", "", None)


def _step_line(path: Path, name: str, step: int) -> int:
    """The line of step ``step`` of the story ``name`` in a test file (the story's, at worst)."""
    node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    stories = next((v for k, v in node.value if k.value == "stories"), None) if node else None
    for story in stories.value if stories else []:
        fields = {k.value: v for k, v in story.value}
        if fields.get("story") is not None and fields["story"].value == name:
            steps = fields["steps"].value if "steps" in fields else []
            chosen = steps[step - 1] if 0 < step <= len(steps) else story
            return int(chosen.start_mark.line) + 1
    return 1


@dataclasses.dataclass
class Results:
    root: Path
    out: Path  # rasa test's results
    stories: list[StoryFailure]
    conversations: list[Outcome]
    scenarios: list[Played] = dataclasses.field(default_factory=list)

    def failures(self) -> list[str]:
        failed = [str(f) for f in self.stories]
        return failed + [o.failure for o in self.conversations if o.failure]

    @functools.cached_property
    def content(self) -> Content:
        """The project's content, read once for the summary and the coverage."""
        return Content.read(self.root)

    def summary(self) -> str:
        stories, failed = len(self.content.test_stories), len(self.stories)
        chats = len(self.conversations)
        chats_failed = sum(1 for o in self.conversations if o.failure)
        return (
            f"Story tests: {stories - failed} of {stories} passed. "
            f"Conversation tests: {chats - chats_failed} of {chats} passed."
        )

    def uncovered(self) -> tuple[list[str], list[str]]:
        """Intents and responses that no story test or conversation test shows."""
        content = self.content
        steps = [s for _, story in content.test_stories for s in story]
        tested = {v.value for k, v in steps if v is not None and k.value in ("intent", "action")}
        for outcome in self.conversations:
            tested |= outcome.intents | outcome.responses
        intents = [i.value for i in content.intents if i.value not in tested]
        responses = [r for r in content.responses if r not in tested]
        return intents, responses


def write_report(results: Results, path: Path) -> None:
    """Write the Markdown report to ``path``, card numbers masked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text, _ = mask_card_numbers(render(results))
    path.write_text(text, encoding="utf-8")


def render(results: Results) -> str:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    stories = [str(f) for f in results.stories]
    chats = [o.failure for o in results.conversations if o.failure]
    intents, responses = results.uncovered()
    parts = [
        "# Bot test report",
        f"Written by `make test-bot` on {now}. {results.summary()}",
        "## Failed story tests (tests/stories/)",
        "Each line names the story and the step where the model did something else than the "
        "test says, as `file:line` to open. A wrong intent usually needs more examples like the "
        "customer's line in data/nlu/; a wrong next step, a rule or story in data/.",
        _bullets(stories, "None: every story test passed."),
        "## Failed conversation tests (tests/conversations/)",
        "Each line names the conversation and the turn that went otherwise, as `file:line`.",
        _bullets(chats, "None: every conversation test passed."),
        "## Intents taking over others' lines (tests/nlu/heldout.yml)",
        _bullets(takeovers(results.out), "None: no intent took another's held-out lines."),
        "## Intent confusion (held-out lines, tests/nlu/heldout.yml)",
        *_confusion(results.out),
        "## Not covered by any test",
        "Intents no story test or conversation test uses:",
        _bullets([f"`{i}`" for i in intents], "None."),
        "Responses no story test or conversation test shows the bot saying (story tests see "
        "only responses their steps name; what forms and actions say shows in conversation "
        "tests):",
        _bullets([f"`{r}`" for r in responses], "None."),
        *(section(results.scenarios) if results.scenarios else []),
    ]
    return "\n\n".join(parts) + "\n"


def takeovers(out: Path) -> list[str]:
    """Plainly, which intent took which other intent's held-out lines, with the lines.

    A new or changed intent whose examples are too broad shows here first: it takes
    lines customers meant for another. (Lines the model fell back on are not taken.)
    """
    errors: list[dict[str, Any]] = json.loads((out / "intent_errors.json").read_text("utf-8"))
    taken: dict[tuple[str, str], list[str]] = {}
    for error in errors:
        got = error["intent_prediction"]["name"]
        if got and got != "nlu_fallback":
            taken.setdefault((got, error["intent"]), []).append(error["text"])
    return [_taken(got, meant, texts) for (got, meant), texts in sorted(taken.items())]


def _taken(got: str, meant: str, texts: list[str]) -> str:
    one = len(texts) == 1
    lines = ", ".join(f"“{text}”" for text in texts)
    return (
        f"the intent '{got}' takes {len(texts)} held-out {'line' if one else 'lines'} of "
        f"'{meant}' (tests/nlu/heldout.yml): {lines} — add examples like {'it' if one else 'them'} "
        f"under '{meant}'; if you just added or changed examples of '{got}', make them less "
        f"like {'it' if one else 'them'}"
    )


def _bullets(lines: Iterable[str], empty: str) -> str:
    items = [f"- {line}" for line in lines]
    return "\n".join(items) if items else empty


def _confusion(out: Path) -> list[str]:
    report: dict[str, Any] = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    errors: list[dict[str, Any]] = json.loads((out / "intent_errors.json").read_text("utf-8"))
    rows = [
        f"| {name} | {int(s['support'])} | {s['recall']:.2f} | "
        + ", ".join(f"{other} ({n})" for other, n in sorted(s["confused_with"].items()))
        + " |"
        for name, s in sorted(report.items())
        if isinstance(s, dict) and s.get("confused_with")
    ]
    if not rows:
        return ["The model understood every held-out line."]
    table = ["| intent | lines | recall | taken for |", "|---|---|---|---|", *rows]
    wrong = ["| customer's line | expected | understood | confidence |", "|---|---|---|---|"]
    wrong += [
        f"| {e['text']} | {e['intent']} | {e['intent_prediction']['name']} "
        f"| {e['intent_prediction']['confidence']:.2f} |"
        for e in errors
    ]
    weighted = report.get("weighted avg", {}).get("f1-score")
    lead = f"Weighted intent F1: {weighted:.3f}." if weighted is not None else ""
    return [
        f"{lead} Intents whose held-out lines the model took for another:",
        "\n".join(table),
        "The lines it got wrong (add examples like them to data/nlu/ under the expected intent):",
        "\n".join(wrong),
    ]
