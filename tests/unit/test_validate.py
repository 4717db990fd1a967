"""The pure parts of the content checks; tests/editor/test_check.py runs each rule on a project."""

from __future__ import annotations

from bot.content import Located, Problem
from bot.validate import (
    _looks_like_password,
    _task_paths,
    form_questions,
    normalised,
    responses_named_in_code,
)
from core.settings import ROOT


def test_a_problem_reads_file_line_problem_fix() -> None:
    problem = Problem("domain.yml", 12, "the response 'utter_x' is never used", "delete it")
    assert str(problem) == "domain.yml:12: the response 'utter_x' is never used — delete it"
    assert str(Problem("data/", 0, "Rasa failed", "see why")) == "data/: Rasa failed — see why"


def test_a_problem_with_a_column_shows_the_line_and_a_caret() -> None:
    problem = Problem("domain.yml", 3, "a tab", "use spaces", 5, "  a:\tb")
    assert str(problem) == "domain.yml:3:5: a tab — use spaces\n      a:→b\n        ^"


def test_examples_compare_without_annotations_case_or_spacing() -> None:
    assert normalised("Reset  the password for [Dana@Example.com](email)") == (
        "reset the password for dana@example.com"
    )


def test_passwords_are_told_from_talk_about_passwords() -> None:
    assert _looks_like_password("my password is hunter2")
    assert _looks_like_password("pw: Tr0ub4dor")
    assert _looks_like_password("try Tr0ub4dor&3 please")
    assert not _looks_like_password("it says my password is wrong")
    assert not _looks_like_password("the password for [ACC-1002](account_number)")
    assert not _looks_like_password("[Acc-1003](account_number)")
    assert not _looks_like_password("reset it for dana@example.com")


def steps(*pairs: tuple[str, str]) -> list[tuple[Located, Located | None]]:
    return [(Located(k, "t.yml", n), Located(v, "t.yml", n)) for n, (k, v) in enumerate(pairs)]


def test_a_story_test_shows_which_paths_of_a_task() -> None:
    start = [("action", "payment_form"), ("active_loop", "payment_form")]
    happy = steps(*start, ("action", "payment_form"), ("active_loop", "null"))
    digression = steps(*start, ("action", "utter_help"), ("action", "payment_form"))
    handoff = steps(*start, ("action", "action_handoff"), ("active_loop", "null"))
    stopped = steps(*start, ("action", "action_deactivate_loop"), ("active_loop", "null"))
    assert _task_paths("payment_form", happy) == {"happy path"}
    assert _task_paths("payment_form", digression) == {"digression"}
    assert _task_paths("payment_form", handoff) == {"handoff"}
    assert _task_paths("payment_form", stopped) == set()
    assert _task_paths("address_form", happy) == set()


def test_responses_used_by_code_and_forms_are_known() -> None:
    names, prefixes = responses_named_in_code(ROOT)
    assert "utter_payment_done" in names
    assert "utter_card_number_masked" in names
    assert "utter_action" not in names
    assert {"utter_explain_", "utter_handoff_"} <= prefixes
    street = Located("street", "domain.yml", 1)
    assert form_questions({"address_form": [street]}) == {"utter_ask_street"}
