"""`python -m bot validate`: the real content passes; an unused response is reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import ROOT
from bot.validate import form_questions, problems, responses_named_in_code


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's content and code that a test may break."""
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("data", "actions", "bot"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def test_the_real_content_is_valid() -> None:
    assert problems(ROOT) == []


def test_an_unused_response_is_reported(project: Path) -> None:
    domain = project / "domain.yml"
    domain.write_text(domain.read_text() + '  utter_forgotten:\n    - text: "Nobody says this."\n')
    found = problems(project)
    assert found == [
        "The utterance 'utter_forgotten' is not used in any story or rule. "
        "Use it in a rule or story, utter it from an action, or delete it."
    ]


def test_responses_used_by_code_and_forms_are_known() -> None:
    names, prefixes = responses_named_in_code(ROOT)
    assert "utter_payment_done" in names
    assert "utter_card_number_masked" in names
    assert {"utter_explain_", "utter_handoff_"} <= prefixes
    assert "utter_ask_street" in form_questions({"forms": {"f": {"required_slots": ["street"]}}})
