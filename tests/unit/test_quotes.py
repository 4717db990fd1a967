"""Whether a conversation test's `bot:` turn quotes a response, placeholders filled in."""

from __future__ import annotations

from bot.quotes import quotes


def test_long_values_in_placeholders_still_quote_their_response() -> None:
    template = "Done! Your address is now {address}. Your reference is {reference}."
    assert quotes("Done! Your address is now 45 Maple Ave Apt 3, Shelbyville, IL 62566.", template)
    assert quotes(
        "I'll pay $10.00 with your American Express", "I'll pay {amount} with your {card}."
    )


def test_a_turn_that_is_mostly_someone_elses_words_does_not() -> None:
    assert not quotes("Your bill is $89.99, paid by card", "Your balance is {balance}.")
    assert not quotes("Goodbye and thanks", "Hello {name}, how are you?")
