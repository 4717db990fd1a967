"""The editor's fast loop: a few tests by name (`python -m bot test-bot NAME`), the warm stack.

Playing tests through the warm stack is what tests/editor/test_conversations.py does
with the session's stack; these cover choosing the tests, finding the stack, and
story tests run by the session stack's Rasa, as a warm stack's runs them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from bot.report import story_failures
from bot.stack import Stack
from bot.testing import only_stories, run_only, stories_on_warm_stack
from bot.training import model_path
from bot.warm import STATE, attach
from core.settings import ROOT, Settings

STORIES = ROOT / "tests" / "stories" / "test_general.yml"
TITLE = "  - story: two misunderstandings in a row go to a person"


def test_one_story_is_run_from_a_copy_with_the_same_line_numbers() -> None:
    text = STORIES.read_text(encoding="utf-8")
    lines = text.splitlines()
    line = lines.index(TITLE) + 1
    copy = only_stories(text, {line}).splitlines()
    assert len(copy) == len(lines)
    stories = yaml.safe_load("\n".join(copy))["stories"]
    assert [story["story"] for story in stories] == [TITLE.removeprefix("  - story: ")]
    assert copy[line - 1] == TITLE
    assert copy[line] == lines[line]


def test_a_name_that_picks_no_test_says_which_is_near(capsys: pytest.CaptureFixture[str]) -> None:
    misspelt = "two misunderstandings in a row go to a persn"
    assert run_only(Settings.from_env({}), model_path(ROOT), [misspelt]) == 2
    assert capsys.readouterr().err == (
        "error: no test file or test is named “two misunderstandings in a row go to a persn” — "
        "did you mean 'two misunderstandings in a row go to a person'? give a file of "
        "tests/conversations/, tests/stories/ or data/faq/, or a test's name in quotes\n"
    )


def test_without_a_warm_stack_test_bot_starts_its_own(tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings.from_env({}), root=tmp_path)
    assert attach(settings, model_path(tmp_path)) is None
    # A warm stack that died without cleaning up is forgotten.
    state = tmp_path / STATE
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"pid": 2**22 + 1, "model": "", "env": {}}), encoding="utf-8")
    assert attach(settings, model_path(tmp_path)) is None
    assert not state.exists()


def test_stories_by_name_run_on_the_running_rasa_and_fail_at_their_step(
    stack: Stack, tmp_path: Path
) -> None:
    """The running Rasa tests a broken copy with the model it has loaded, no `rasa test core`."""
    text = STORIES.read_text(encoding="utf-8")
    lines = text.splitlines()
    asks = lines.index("  - story: asks for a person straight away") + 1
    step = lines.index("      - action: action_handoff", asks) + 1
    broken = tmp_path / "tests" / "stories" / "test_general.yml"
    broken.parent.mkdir(parents=True)
    lines[step - 1] = "      - action: utter_goodbye"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    name = "tests/stories/test_general.yml"
    copy = only_stories(broken.read_text(encoding="utf-8"), {lines.index(TITLE) + 1, asks})
    out = stories_on_warm_stack(stack, {name: copy}, tmp_path / "out")
    assert [str(failure) for failure in story_failures(tmp_path, out)] == [
        f"{name}:{step}: story “asks for a person straight away”, step 2: the test expects "
        "utter_goodbye next, the model predicted action_handoff"
    ]
