"""reports/test-bot.md from `rasa test` output (faults/rasa_results/) and conversation outcomes."""

from __future__ import annotations

from pathlib import Path

from bot.content import Content
from bot.conversation_play import Outcome
from bot.conversation_tests import ConversationTest
from bot.report import Results, render, story_failures, takeovers
from core.settings import ROOT

RESULTS = Path(__file__).parent / "faults" / "rasa_results"
STORIES = "tests/editor/faults/failed_stories.yml"


def test_each_failed_story_is_reported_at_the_step_that_went_wrong() -> None:
    assert [str(failure) for failure in story_failures(ROOT, RESULTS)] == [
        f"{STORIES}:8: story “two misunderstandings in a row go to a person”, step 1: the "
        "customer said “blorp fizzle wuggawugga”; the test expects the intent nlu_fallback, the "
        "model understood out_of_scope",
        f"{STORIES}:13: story “digression - stop halfway”: Rasa marks no step; most often an "
        "entity of a customer's line differs from what the model extracted — compare the story "
        "with results/test-bot/failed_test_stories.yml",
    ]


def test_the_report_shows_failures_confusion_and_what_no_test_covers() -> None:
    chat = ConversationTest("pays after a dispute", "tests/conversations/payment.yml", 3, [])
    failed = Outcome(
        chat,
        "tests/conversations/payment.yml:20: conversation “pays after a dispute”, turn 9 (bot): "
        "expected the bot to say “Payment of $50.00 made”, but it said nothing within 20 s",
        intents={"EXTERNAL_welcome_back"},
        responses={"utter_default", "utter_welcome_back"},
    )
    report = render(Results(ROOT, RESULTS, story_failures(ROOT, RESULTS), [failed]))
    stories = len(Content.read(ROOT).test_stories)
    assert f"Story tests: {stories - 2} of {stories} passed. Conversation tests: 0 of 1" in report
    assert f"- {STORIES}:8: story “two misunderstandings" in report
    assert "- tests/conversations/payment.yml:20: conversation “pays after a dispute”" in report
    assert "| affirm | 2 | 0.50 | request_human (1) |" in report
    assert "| uh huh | affirm | request_human | 0.16 |" in report
    uncovered = report.split("## Not covered by any test")[1]
    # Covered by the conversation test's tracker, so not listed.
    assert "`EXTERNAL_welcome_back`" not in uncovered
    assert "`utter_default`" not in uncovered
    assert "`utter_welcome_back`" not in uncovered
    # Shown by no story test and no conversation test here.
    assert "`utter_reset_rate_limited`" in uncovered


def test_no_failed_stories_means_no_failures(tmp_path: Path) -> None:
    (tmp_path / "failed_test_stories.yml").write_text(
        "# None of the test stories failed - all good!"
    )
    assert story_failures(ROOT, tmp_path) == []


def test_an_intent_taking_another_s_lines_is_said_plainly() -> None:
    expected = (
        "the intent 'request_human' takes 1 held-out line of 'affirm' (tests/nlu/heldout.yml): "
        "“uh huh” — add examples like it under 'affirm'; if you just added or changed examples "
        "of 'request_human', make them less like it"
    )
    assert takeovers(RESULTS) == [expected]
    report = render(Results(ROOT, RESULTS, [], []))
    assert f"## Intents taking over others' lines (tests/nlu/heldout.yml)\n\n- {expected}" in report
