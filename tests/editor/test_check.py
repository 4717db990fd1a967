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
from bot.quotes import update
from bot.validate import MIN_EXAMPLES, check
from core.settings import ROOT

FAULTS = Path(__file__).parent / "faults"
# Left out of a whole copy of the project: environments, the model, outputs, browser files.
NOT_NEEDED_TO_TEST = (
    ".venv",
    ".venv-bench",
    ".git",
    ".rasa",
    "models",
    "var",
    "results",
    "reports",
    "node_modules",
    "widget",
    "__pycache__",
    ".*_cache",
)


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


def break_at(path: Path, old: str, new: str) -> int:
    """Replace the only ``old`` in ``path`` with ``new``; the line ``old`` started on."""
    text = path.read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    replace_once(path, old, new)
    return line


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
        f"{path}:8: the response 'utter_see_you_soon' does not exist — correct the name, or "
        "add it under `responses:` in domain.yml"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "Goodbye, and thanks for getting in touch. <b>Bye</b>",
            "the response 'utter_goodbye' contains HTML (<b>) — write plain text: the chat "
            "shows tags as they are typed",
        ),
        (
            "Goodbye, and thanks for getting in touch. Help: http://example.com/help",
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


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "data/rules/general.yml",
            "      - intent: greet\n",
            "      - intent: greeet\n",
            "the intent 'greeet' does not exist — did you mean 'greet'? correct the spelling, or "
            "add it under `intents:` in domain.yml",
        ),
        (
            "data/rules/general.yml",
            "      - action: utter_goodbye\n",
            "      - action: utter_goodby\n",
            "the response 'utter_goodby' does not exist — did you mean 'utter_goodbye'? correct "
            "the name, or add it under `responses:` in domain.yml",
        ),
        (
            "data/rules/general.yml",
            "      - action: action_fallback\n",
            "      - action: action_falback\n",
            "the action 'action_falback' does not exist — did you mean 'action_fallback'? correct "
            "the spelling, or add it under `actions:` in domain.yml (a developer writes its code)",
        ),
        (
            "data/stories/tasks.yml",
            "          - requested_slot: null\n      - action: action_reset_password\n",
            "          - requested_slots: null\n      - action: action_reset_password\n",
            "the slot 'requested_slots' does not exist — did you mean 'requested_slot'? correct "
            "the spelling, or add it under `slots:` in domain.yml",
        ),
    ],
    ids=["intent", "response", "action", "slot"],
)
def test_a_misspelt_name_says_which_name_is_near(
    project: Path, file: str, old: str, new: str, problem: str
) -> None:
    """Rasa says "add it to your domain file!" and "stories" for a rule; check says what is near."""
    line = break_at(project / file, old, new)
    assert messages(project) == [f"{file}:{line}: {problem}"]


def test_a_misspelt_form_in_a_rule_says_which_form_is_near(project: Path) -> None:
    rules = project / "data" / "rules" / "payment.yml"
    text = rules.read_text(encoding="utf-8")
    first = text.index("active_loop: payment_form")
    rules.write_text(text.replace("active_loop: payment_form", "active_loop: payment_from", 1))
    line = text[:first].count("\n") + 1
    assert messages(project) == [
        f"data/rules/payment.yml:{line}: the form 'payment_from' does not exist — did you mean "
        "'payment_form'? correct the spelling, or add it under `forms:` in domain.yml"
    ]


def test_a_conflict_rasa_finds_is_placed_on_a_line(project: Path) -> None:
    """Rasa's own messages name no line; check places them at the story or rule they name."""
    add_fault(project, "conflicting_story.yml", "data/stories")
    line = line_of(
        ROOT / "data" / "stories" / "tasks.yml", "  - story: greeting, then an address change"
    )
    (problem,) = check(project)
    assert (problem.file, problem.line) == ("data/stories/tasks.yml", line)
    assert problem.what == (
        "Story structure conflict after intent 'greet': utter_greet predicted in 'greeting, then "
        "an address change' and 'greeting, then a password reset' utter_goodbye predicted in "
        "'greeting answered with goodbye'"
    )
    assert problem.fix == (
        "two rules or stories go on differently after the same steps: make them agree, or tell "
        "them apart with an earlier step"
    )


def test_an_example_rasa_cannot_load_is_found_after_a_clean_check(project: Path) -> None:
    """Rasa's answer is kept between checks, but not past an edit of the examples it read."""
    assert check(project) == []
    break_at(
        project / "data" / "nlu" / "general.yml", "    - hiya\n", '    - hiya [x]{"entity": 3}\n'
    )
    (problem,) = check(project)
    assert problem.what == (
        "Rasa cannot load the content: 3 is not of type 'string'. Failed to validate data, make "
        "sure your data is valid. For more information about the format visit "
        "https://rasa.com/docs/rasa/training-data-format. Failed validating 'type' in "
        "schema['properties']['entity']: {'type': 'string'} On instance['entity']: 3"
    )
    assert problem.fix == "Rasa's own check; docs/editing.md explains its usual causes"


INDENT_FIX = (
    "give it the same number of spaces as the other entries at its level: two more than the "
    "key it is under (spaces only)"
)


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        (
            "domain.yml",
            '  utter_goodbye:\n    - text: "Goodbye,',
            '  utter_goodbye:\n\t- text: "Goodbye,',
            "{line+1}:1: a tab in the indentation — YAML indents with spaces only: replace the tab "
            "with spaces (two for each level)\n"
            '    →- text: "Goodbye, and thanks for getting in touch."\n'
            "    ^",
        ),
        (
            "domain.yml",
            "  utter_goodbye:\n",
            "   utter_goodbye:\n",
            "{line}:4: this line is indented differently from the lines it belongs with — "
            f"{INDENT_FIX}\n"
            "       utter_goodbye:\n"
            "       ^",
        ),
        (
            "data/nlu/general.yml",
            "    - hello\n",
            "  - hello\n",
            "{line}:3: this line is indented differently from the lines it belongs with — "
            f"{INDENT_FIX}\n"
            "      - hello\n"
            "      ^",
        ),
        (
            "domain.yml",
            '"Goodbye, and thanks for getting in touch."',
            '"Goodbye, and thanks for getting in touch.',
            "{line}:13: this quote is never closed — end the text with the same quote; write a "
            'double quote inside it as \\"\n'
            '        - text: "Goodbye, and thanks for getting in touch.\n'
            "                ^",
        ),
        (
            "domain.yml",
            '"Goodbye, and thanks for getting in touch."',
            "Goodbye: thanks for getting in touch.",
            "{line}:20: YAML reads this colon as the start of a key — if the colon is part of the "
            "text, put the whole text in double quotes\n"
            "        - text: Goodbye: thanks for getting in touch.\n"
            "                       ^",
        ),
        (
            "data/rules/general.yml",
            "      - intent: goodbye\n      - action: utter_goodbye",
            "      - intent: goodbye\n        action: utter_goodbye",
            "{line+1}:9: two steps are written as one: `intent:` and `action:` are in the same "
            "item — start each step with its own `- `: write `- action: …` on its own line, "
            "lined up with the other steps\n"
            "            action: utter_goodbye\n"
            "            ^",
        ),
        (
            "data/rules/general.yml",
            "      - action: utter_goodbye",
            "      - actoin: utter_goodbye",
            "{line}:9: Rasa does not know the key 'actoin' here — did you mean 'action'? check its "
            "spelling and its indentation (docs/editing.md shows each kind of block)\n"
            "          - actoin: utter_goodbye\n"
            "            ^",
        ),
        (
            "domain.yml",
            "  utter_goodbye:\n",
            '  utter_goodbye:\n    - text: "Bye."\n  utter_goodbye:\n',
            "{line+2}:3: 'utter_goodbye' is written twice at the same level (first at line "
            "{line}) — keep one: merge the two, or rename one of them\n"
            "      utter_goodbye:\n"
            "      ^",
        ),
        (
            "data/nlu/general.yml",
            "    - hello\n",
            "     - hello\n",
            '{line}: the line "- hello" is not read as an example — start it with `- `, lined up '
            "with the `- ` of the examples above it (Rasa skips it as it is)",
        ),
    ],
    ids=[
        "tab",
        "key indented too far",
        "example indented too little",
        "quote left open",
        "colon in plain text",
        "two steps in one",
        "misspelt key",
        "key twice",
        "example indented too far",
    ],
)
def test_yaml_an_editor_breaks_is_shown_at_its_line_and_column(
    project: Path, file: str, old: str, new: str, problem: str
) -> None:
    """The mistakes editors make most, each one message with the line and a caret."""
    line = break_at(project / file, old, new)
    where = problem.format_map({"line": line, "line+1": line + 1, "line+2": line + 2})
    assert messages(project) == [f"{file}:{where}"]


def run_check(project: Path) -> subprocess.CompletedProcess[str]:
    """`python -m bot check --root COPY`, as an editor runs it, with its output."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--root", str(project)],
        cwd=ROOT,
        env={**os.environ, **QUIET_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_yaml_mistake_gives_no_traceback(project: Path) -> None:
    """`python -m bot check` on a file YAML cannot read prints the problem, never a traceback."""
    replace_once(project / "domain.yml", "  utter_goodbye:\n", "   utter_goodbye:\n")
    result = run_check(project)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith("domain.yml:")
    assert result.stdout.splitlines()[-1].startswith("1 problem in ")


def test_test_bot_on_a_yaml_mistake_says_where_without_a_traceback(tmp_path: Path) -> None:
    """`python -m bot test-bot` checks before it trains: the same message, never a traceback."""
    copy = tmp_path / "tandem"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_NEEDED_TO_TEST))
    line = break_at(copy / "domain.yml", "  utter_goodbye:\n", "   utter_goodbye:\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "test-bot"],
        cwd=copy,
        env={**os.environ, **QUIET_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.splitlines()[:2] == [
        "error: The content has problems; fix them and train again:",
        f"- domain.yml:{line}:4: this line is indented differently from the lines it belongs "
        f"with — {INDENT_FIX}",
    ]


def test_the_command_prints_file_line_problem_fix_and_fails(project: Path) -> None:
    """`python -m bot check --root COPY` on a broken copy exits 1 with the message."""
    add_fault(project, "password.yml", "data/nlu")
    result = run_check(project)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("data/nlu/password.yml:6: an example of 'reset_password'")
    assert lines[-1].startswith("1 problem in ")


def test_a_reworded_response_a_conversation_test_quotes_is_found_and_updated(
    project: Path,
) -> None:
    """A response reworded with curly quotes: check names both places and the characters;
    update-quotes, answered yes, rewrites the turn, and check is clean again."""
    domain = project / "domain.yml"
    old = "\"Hi! I'm Tandem's assistant. I can reset"
    line = domain.read_text(encoding="utf-8").splitlines().index("  utter_greet:") + 1
    replace_once(domain, old, "\"Hi! I’m Tandem’s assistant. I can reset")
    test = project / "tests" / "conversations" / "general.yml"
    turn = line_of(test, "      - bot: I'm Tandem's assistant.")
    said = (
        "Hi! I’m Tandem’s assistant. I can reset your password, change your address, take a "
        "bill payment or tell you your balance. What can I do for you?"
    )
    assert messages(project) == [
        f"tests/conversations/general.yml:{turn}: the test expects the bot to say “I'm Tandem's "
        f"assistant.”, which no response says; the closest is 'utter_greet' (domain.yml:{line}): "
        f"“{said}” (they differ after “i”, in “i'm tandem's ”: the test has a straight "
        "apostrophe “'” (U+0027) where the bot has a curly apostrophe “’” (U+2019)) — if you "
        "reworded that response, `python -m bot update-quotes` updates the test (it asks first); "
        "otherwise correct the turn"
    ]
    assert update(project, ask=lambda question: "y") == 0
    assert test.read_text(encoding="utf-8").splitlines()[turn - 1] == (
        "      - bot: I’m Tandem’s assistant."
    )
    assert messages(project) == []


def test_update_quotes_changes_nothing_unless_told_yes(project: Path) -> None:
    domain = project / "domain.yml"
    replace_once(domain, "\"Hi! I'm Tandem's", "\"Hi! I’m Tandem’s")
    test = project / "tests" / "conversations" / "general.yml"
    before = test.read_text(encoding="utf-8")
    assert update(project, ask=lambda question: "") == 1
    assert test.read_text(encoding="utf-8") == before


def test_an_faq_question_without_its_answer(project: Path) -> None:
    faq = project / "data" / "faq" / "payment_time.yml"
    text = faq.read_text(encoding="utf-8")
    faq.write_text(text[: text.index("responses:")], encoding="utf-8")
    line = line_of(faq, "  - intent: faq/payment_time")
    assert messages(project) == [
        f"data/faq/payment_time.yml:{line}: the question 'faq/payment_time' has no answer — add "
        "`utter_faq/payment_time:` under `responses:` in data/faq/payment_time.yml"
    ]


def test_an_faq_answer_whose_question_is_misspelt(project: Path) -> None:
    faq = project / "data" / "faq" / "payment_time.yml"
    replace_once(faq, "  utter_faq/payment_time:", "  utter_faq/payment_tme:")
    question = line_of(faq, "  - intent: faq/payment_time")
    answer = line_of(faq, "  utter_faq/payment_tme:")
    assert messages(project) == [
        f"data/faq/payment_time.yml:{question}: the question 'faq/payment_time' has no answer — "
        "add `utter_faq/payment_time:` under `responses:` in data/faq/payment_time.yml",
        f"data/faq/payment_time.yml:{answer}: the answer 'utter_faq/payment_tme' has no question "
        "— did you mean 'faq/payment_time'? name its question `- intent: faq/payment_tme` with "
        "its examples under `nlu:` in the same file",
    ]


def test_an_faq_with_too_few_examples_or_two_answers(project: Path) -> None:
    faq = project / "data" / "faq" / "chat_security.yml"
    text = faq.read_text(encoding="utf-8")
    examples = re.search(r"    examples: \|\n((?:      - .*\n)+)", text)
    assert examples is not None
    kept = "".join(examples.group(1).splitlines(keepends=True)[:4])
    text = text.replace(examples.group(1), kept)
    faq.write_text(text + '    - text: "Or another answer."\n', encoding="utf-8")
    question = line_of(faq, "  - intent: faq/chat_security")
    answer = line_of(faq, "  utter_faq/chat_security:")
    assert messages(project) == [
        f"data/faq/chat_security.yml:{question}: the question 'faq/chat_security' has 4 examples "
        "— add at least 6 more ways customers ask it (every question needs 10)",
        f"data/faq/chat_security.yml:{answer}: the answer 'utter_faq/chat_security' is not one "
        "text — give it exactly one `- text:`: an FAQ's answer is always the same, and its test "
        "(made by test-bot) expects it word for word",
    ]
