"""`python -m bot check`: each rule on a copy of the project with one fault, and the real content.

Each test breaks one thing in a copy and asserts the one message `check` gives,
with its file and line, exactly as an editor reads it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.process import QUIET_ENV
from bot.validate import MIN_EXAMPLES, check
from core.settings import ROOT

FAULTS = Path(__file__).parent / "faults"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's content, story tests and code, which a test may break."""
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("data", "actions", "bot", "tests/stories", "tests/conversations"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of the only line of ``path`` that is exactly ``text``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines.count(text) == 1, f"{text!r} is not on exactly one line of {path}"
    return lines.index(text) + 1


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_fault(project: Path, fault: str, where: str) -> str:
    """Copy ``faults/<fault>`` into the project's ``where`` folder; its path in the project."""
    target = project / where / fault
    shutil.copy(FAULTS / fault, target)
    return target.relative_to(project).as_posix()


def messages(project: Path) -> list[str]:
    return [str(problem) for problem in check(project)]


def test_the_real_content_passes_clean() -> None:
    assert check(ROOT) == []


def test_an_intent_with_too_few_examples(project: Path) -> None:
    nlu = project / "data" / "nlu" / "general.yml"
    text = nlu.read_text(encoding="utf-8")
    block = re.search(r"- intent: thank\n  examples: \|\n((?:    - .*\n)+)", text)
    assert block is not None
    kept = "".join(block.group(1).splitlines(keepends=True)[:5])
    nlu.write_text(text.replace(block.group(1), kept), encoding="utf-8")
    line = line_of(nlu, "- intent: thank")
    assert messages(project) == [
        f"data/nlu/general.yml:{line}: the intent 'thank' has 5 training examples — add at "
        f"least {MIN_EXAMPLES - 5} more under `- intent: thank` in data/nlu/ (every intent "
        f"needs {MIN_EXAMPLES})"
    ]


def test_an_example_under_two_intents(project: Path) -> None:
    path = add_fault(project, "thank_more.yml", "data/nlu")
    greet = line_of(ROOT / "data" / "nlu" / "general.yml", "    - hello")
    assert messages(project) == [
        f"{path}:6: the example \"hello\" is under the intent 'thank' and also under 'greet' "
        f"(data/nlu/general.yml:{greet}) — keep it under the one intent it means and delete "
        "the other"
    ]


def test_a_response_nothing_uses(project: Path) -> None:
    domain = project / "domain.yml"
    end = len(domain.read_text(encoding="utf-8").splitlines())
    with domain.open("a", encoding="utf-8") as file:
        file.write('  utter_forgotten:\n    - text: "Nobody says this."\n')
    assert messages(project) == [
        f"domain.yml:{end + 1}: the response 'utter_forgotten' is never used — use it in a "
        "rule or story, utter it from an action, or delete it"
    ]


def test_a_response_used_but_not_defined(project: Path) -> None:
    path = add_fault(project, "undefined_response.yml", "data/rules")
    assert messages(project) == [
        f"{path}:8: the response 'utter_see_you_soon' does not exist — add it under "
        "`responses:` in domain.yml, or correct the name"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "<b>Goodbye</b>, and thanks for getting in touch.",
            "the response 'utter_goodbye' contains HTML (<b>) — write plain text: the chat "
            "shows tags as they are typed",
        ),
        (
            "Goodbye! Our help pages: http://example.com/help",
            "the response 'utter_goodbye' links to http://example.com/help — use an https:// link",
        ),
    ],
    ids=["html", "http link"],
)
def test_a_response_that_is_not_plain_text_with_https_links(
    project: Path, text: str, problem: str
) -> None:
    domain = project / "domain.yml"
    old = '    - text: "Goodbye, and thanks for getting in touch."'
    line = line_of(domain, old)
    replace_once(domain, old, f'    - text: "{text}"')
    assert messages(project) == [f"domain.yml:{line}: {problem}"]


@pytest.mark.parametrize(
    ("fault", "problem", "secret"),
    [
        (
            "card_number.yml",
            "an example of 'pay_bill' contains what looks like a real card number ([card ending "
            "1111]) — write the sentence without the number (the chat masks card numbers before "
            "the bot sees them)",
            "4111",
        ),
        (
            "password.yml",
            "an example of 'reset_password' contains what looks like a password — write the "
            "sentence without it (the bot never asks for passwords)",
            "hunter2",
        ),
    ],
    ids=["card number", "password"],
)
def test_a_secret_in_an_example_is_reported_without_repeating_it(
    project: Path, fault: str, problem: str, secret: str
) -> None:
    path = add_fault(project, fault, "data/nlu")
    found = messages(project)
    assert found == [f"{path}:6: {problem}"]
    assert secret not in found[0]


def test_a_task_without_a_handoff_story_test(project: Path) -> None:
    tests = project / "tests" / "stories" / "test_payment.yml"
    text = tests.read_text(encoding="utf-8")
    tests.write_text(text[: text.index("  - story: handoff - ")], encoding="utf-8")
    line = line_of(ROOT / "domain.yml", "  payment_form:")
    assert messages(project) == [
        f"domain.yml:{line}: the task 'payment_form' has no story test of a handoff — add a "
        "story to tests/stories/ in which the customer asks for a person in the middle (see "
        "docs/editing.md)"
    ]


def test_a_conversation_test_that_cannot_be_read(project: Path) -> None:
    broken = project / "tests" / "conversations" / "broken.yml"
    broken.write_text(
        "conversations:\n"
        "  - name: forgot the skill\n"
        "    steps:\n"
        "      - customer: agent please\n"
        "      - handoff: {reason: explicit_request}\n",
        encoding="utf-8",
    )
    assert messages(project) == [
        "tests/conversations/broken.yml:5: turn 2 does not say the handoff's reason and skill — "
        "write e.g. `- handoff: {reason: explicit_request, skill: billing}`"
    ]


def test_a_scenario_that_cannot_be_read(project: Path) -> None:
    folder = project / "tests" / "scenarios"
    folder.mkdir()
    (folder / "broken.yml").write_text(
        "scenarios:\n"
        "  - name: plays a stranger\n"
        "    customer: ACC-9999\n"
        "    tasks: [balance]\n"
        "    says: [whats my balance]\n",
        encoding="utf-8",
    )
    assert messages(project) == [
        "tests/scenarios/broken.yml:2: scenario “plays a stranger” plays no demo customer — "
        "write `customer:` and one of ACC-1001, ACC-1002, ACC-1003, ACC-1004, ACC-1005"
    ]


def test_a_fault_rasa_finds_is_placed_on_a_line(project: Path) -> None:
    """Rasa's own messages name no line; check places them where the name first appears."""
    rules = project / "data" / "rules" / "general.yml"
    text = rules.read_text(encoding="utf-8")
    first = re.search(r"      - intent: (\w+)\n", text)
    assert first is not None
    rules.write_text(text.replace(first.group(0), "      - intent: greeet\n", 1))
    line = text[: first.start()].count("\n") + 1
    found = messages(project)
    fix = "Rasa's own check; docs/editing.md explains its usual causes"
    assert found == [
        f"data/rules/general.yml:{line}: Issue found in 'data/rules/general.yml': Found intent "
        f"'greeet' in stories which is not part of the domain. — {fix}",
        f"data/rules/general.yml:{line}: The intent 'greeet' is used in your stories, but it "
        f"is not listed in the domain file. You should add it to your domain file! — {fix}",
    ]


def test_the_command_prints_file_line_problem_fix_and_fails(project: Path) -> None:
    """`python -m bot check --root COPY` on a broken copy exits 1 with the message."""
    add_fault(project, "password.yml", "data/nlu")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--root", str(project)],
        cwd=ROOT,
        env={**os.environ, **QUIET_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("data/nlu/password.yml:6: an example of 'reset_password'")
    assert lines[-1].startswith("1 problem in ")
