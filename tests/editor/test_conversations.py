"""The editors' conversation tests, played through the real gateway, Redis, Rasa and actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation_play import run
from bot.conversation_tests import ConversationTest, ConversationTestError, load, load_all
from bot.faq import conversation_tests as faq_tests
from bot.stack import Stack
from core.settings import ROOT

FAULTS = Path(__file__).parent / "faults"
CONVERSATIONS = load_all(ROOT / "tests" / "conversations", ROOT) + faq_tests(ROOT)


def test_each_task_has_a_conversation_test_across_the_handoff_and_back() -> None:
    handed_back = {
        test.file
        for test in CONVERSATIONS
        if {"handoff", "hand_back"} <= {step.kind for step in test.steps}
    }
    assert {
        "tests/conversations/password_reset.yml",
        "tests/conversations/address.yml",
        "tests/conversations/payment.yml",
    } <= handed_back


@pytest.mark.parametrize("test", CONVERSATIONS, ids=lambda test: test.name)
def test_the_conversation_tests_pass(
    stack: Stack, empty_redis: None, test: ConversationTest
) -> None:
    outcome = run(test, stack)
    assert outcome.failure is None


def test_each_faq_has_a_test_asking_it_the_first_way_it_is_written() -> None:
    faq = ROOT / "data" / "faq" / "payment_time.yml"
    lines = faq.read_text(encoding="utf-8").splitlines()
    (test,) = [t for t in faq_tests(ROOT) if t.file == "data/faq/payment_time.yml"]
    asked = lines.index("      - how long does a payment take to reach my account") + 1
    answer = next(n for n, line in enumerate(lines, 1) if line.startswith("    - text: "))
    question = lines.index("  - intent: faq/payment_time") + 1
    assert (test.name, test.line) == ("FAQ faq/payment_time", question)
    assert [(s.kind, s.line, s.text) for s in test.steps] == [
        ("customer", asked, "how long does a payment take to reach my account"),
        ("bot", answer, lines[answer - 1].removeprefix('    - text: "').removesuffix('"')),
    ]


def test_a_broken_copy_fails_and_names_the_turn(stack: Stack, empty_redis: None) -> None:
    (test,) = load(FAULTS / "broken_conversation.yml", ROOT)
    outcome = run(test, stack)
    assert outcome.failure == (
        "tests/editor/faults/broken_conversation.yml:9: conversation “a person is asked for in "
        "the middle of a password reset”, turn 4 (bot): expected the bot to say “Sorry, I'm not "
        "understanding.”, but it said “Sure, I'm connecting you to a person. They'll see our "
        "conversation so far, so you won't need to repeat yourself.”"
    )


def test_a_bot_message_the_test_does_not_list_fails(stack: Stack, empty_redis: None) -> None:
    (test,) = load(FAULTS / "unlisted_message.yml", ROOT)
    outcome = run(test, stack)
    assert outcome.failure is not None
    assert outcome.failure.startswith(
        "tests/editor/faults/unlisted_message.yml:5: conversation “the bot's handoff notice is "
        "missing”, turn 2 (handoff): expected assigned, but first the bot said “Sure, I'm "
        "connecting you to a person."
    )


def test_a_malformed_turn_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tests" / "conversations" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "conversations:\n  - name: typo\n    steps:\n      - customr: hello\n", encoding="utf-8"
    )
    with pytest.raises(ConversationTestError) as error:
        load(path, tmp_path)
    assert str(error.value) == (
        "tests/conversations/bad.yml:4: turn 1 is not one of customer, bot, agent, handoff, "
        "hand_back, close, agents, status — write e.g. `- customer: hello`"
    )


def test_an_agent_status_there_is_not_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "tests" / "conversations" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "conversations:\n  - name: typo\n    steps:\n      - agents: busy\n", encoding="utf-8"
    )
    with pytest.raises(ConversationTestError) as error:
        load(path, tmp_path)
    assert str(error.value) == (
        "tests/conversations/bad.yml:4: turn 1 says `agents: busy`, which there is not — write "
        "one of away, available after `agents:`"
    )


def test_a_look_alike_character_is_named(stack: Stack, empty_redis: None) -> None:
    (test,) = load(FAULTS / "curly_quote.yml", ROOT)
    outcome = run(test, stack)
    assert outcome.failure is not None
    assert outcome.failure.startswith(
        "tests/editor/faults/curly_quote.yml:7: conversation “the greeting quoted with curly "
        "apostrophes”, turn 2 (bot): expected the bot to say “I’m Tandem’s assistant.”, but it "
        "said “Hi! I'm Tandem's assistant."
    )
    assert outcome.failure.endswith(
        "; they differ after “i”, in “i’m tandem’s ”: the test has a curly apostrophe “’” "
        "(U+2019) where the bot has a straight apostrophe “'” (U+0027)"
    )
