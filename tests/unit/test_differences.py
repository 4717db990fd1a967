"""The first differing character of two texts that look alike, named (bot/differences.py)."""

from __future__ import annotations

import pytest

from bot.differences import first_difference


@pytest.mark.parametrize(
    ("expected", "said", "named"),
    [
        (
            "open 8am-6pm",
            "We're open 8am–6pm, Monday to Friday.",
            "they differ after “open 8am”, in “open 8am-6pm”: the test has a hyphen “-” (U+002D) "
            "where the bot has an en dash “–” (U+2013)",
        ),
        (
            'say "the full balance"',
            "You can say “the full balance” or an amount.",
            "they differ after “say ”, in “say \"the full ba”: the test has a straight double "
            "quote “\"” (U+0022) where the bot has a curly opening double quote ““” (U+201C)",
        ),
        (
            "8am-6pm",
            "Open 8am\u20116pm.",
            "they differ after “8am”, in “8am-6pm”: the test has a hyphen “-” (U+002D) where the "
            "bot has a non-breaking hyphen “\u2011” (U+2011)",
        ),
    ],
    ids=["en dash", "curly quotes", "non-breaking hyphen"],
)
def test_look_alike_characters_are_named(expected: str, said: str, named: str) -> None:
    assert first_difference(expected, said) == named


def test_a_non_breaking_space_counts_as_a_space() -> None:
    """Tests compare with runs of whitespace as one space, so this never fails a test."""
    assert first_difference("open 8am to 6pm", "open 8am\u00a0to 6pm") is None


def test_texts_that_differ_in_words_need_no_naming() -> None:
    assert first_difference("the last 4 digits", "the last four digits") is None
    assert first_difference("hello", "goodbye") is None
