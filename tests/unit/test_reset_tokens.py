"""Password reset links against a real SQLite file: hashed, single use, expiring, rate-limited."""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from actions.accounts import AccountClient
from actions.reset_tokens import InvalidResetToken, ResetRateLimited, ResetTokens
from bot.demo import seed_customers
from core.mail import Outbox, SmtpMailer
from tests.unit.helpers import LINK, LINK_BASE, SmtpSink, dump, reset_links, rows

# --- password reset -----------------------------------------------------------------


# --- password reset -----------------------------------------------------------------


def test_reset_for_known_and_unknown_returns_the_same_and_mails_only_the_known(
    resets: ResetTokens, outbox: Outbox, accounts: AccountClient, database_path: Path
) -> None:
    # Typed as returning nothing; check at run time that it really gives None.
    request: Callable[[str, str], object] = resets.request
    assert request("nobody@example.com", "conv-a") is None
    assert outbox.newest() == []
    assert request("DANA", "conv-b") is None
    [message] = outbox.newest()
    assert message.to == "dana@example.com"
    assert LINK.search(message.body)
    # Both requests were recorded, so both did the same writes up to the token.
    assert rows(
        database_path,
        "SELECT conversation_id, account_id FROM reset_requests ORDER BY id",
    ) == [("conv-a", None), ("conv-b", "ACC-1001")]


def test_reset_token_is_stored_only_as_its_hash(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient, database_path: Path
) -> None:
    resets.request("dana@example.com", "conv-1")
    [token] = reset_links(outbox)
    assert len(token) >= 43  # 32 random bytes
    everything_but_the_mail = dump(database_path, skip="outbox")
    assert token not in everything_but_the_mail
    assert hashlib.sha256(token.encode()).hexdigest() in everything_but_the_mail


def test_reset_token_works_once(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient
) -> None:
    resets.request("dana@example.com", "conv-1")
    [token] = reset_links(outbox)
    assert resets.redeem(token) == "ACC-1001"
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)


def test_redeeming_one_link_voids_the_others(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient
) -> None:
    resets.request("dana@example.com", "conv-1")
    resets.request("dana@example.com", "conv-1")
    first, second = reset_links(outbox)
    assert resets.redeem(second) == "ACC-1001"
    with pytest.raises(InvalidResetToken):
        resets.redeem(first)


@pytest.mark.parametrize("token", ["", "made-up-token", LINK_BASE])
def test_unknown_reset_token_is_rejected(
    resets: ResetTokens, accounts: AccountClient, token: str
) -> None:
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)


def test_reset_token_expires_after_15_minutes(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient, clock
) -> None:
    resets.request("dana@example.com", "conv-1")
    resets.request("luis@example.com", "conv-2")
    dana, luis = reset_links(outbox)
    clock.advance(minutes=14, seconds=59)
    assert resets.redeem(dana) == "ACC-1001"
    clock.advance(seconds=2)
    with pytest.raises(InvalidResetToken):
        resets.redeem(luis)


def test_one_conversation_gets_three_requests_an_hour(
    resets: ResetTokens, outbox: Outbox, accounts: AccountClient, clock
) -> None:
    for identifier in ["nobody@example.com", "dana", "luis@example.com"]:
        resets.request(identifier, "conv-busy")
        clock.advance(minutes=1)
    # The limit does not depend on the account existing: no enumeration through it.
    for identifier in ["nobody@example.com", "priya.n"]:
        with pytest.raises(ResetRateLimited):
            resets.request(identifier, "conv-busy")
    assert len(outbox.newest()) == 2
    resets.request("dana", "conv-other")
    clock.advance(hours=1)
    resets.request("priya.n", "conv-busy")
    assert len(outbox.newest()) == 4


def test_one_account_gets_three_links_an_hour_then_silently_none(
    resets: ResetTokens, outbox: Outbox, accounts: AccountClient, clock
) -> None:
    for number in range(5):
        resets.request("dana", f"conv-{number}")
        clock.advance(minutes=5)
    assert len(outbox.newest()) == 3
    clock.advance(minutes=40)
    resets.request("dana", "conv-later")
    assert len(outbox.newest()) == 4


def test_logs_never_contain_the_reset_token(
    outbox: Outbox,
    resets: ResetTokens,
    accounts: AccountClient,
    database_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    resets.request("dana@example.com", "conv-1")
    [(stored,)] = rows(database_path, "SELECT body FROM outbox")
    [message] = outbox.newest()
    token = LINK.findall(message.body)[0]
    assert token not in str(stored)  # the table keeps the body encrypted
    resets.redeem(token)
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)
    assert "INSERT INTO reset_tokens" in caplog.text  # SQL was logged too
    assert token not in caplog.text
    assert hashlib.sha256(token.encode()).hexdigest() not in caplog.text


def test_reset_mail_goes_over_smtp_when_configured(
    outbox: Outbox, tmp_path: Path, smtp_sink: SmtpSink, clock
) -> None:
    database_path = tmp_path / "smtp.db"
    port = smtp_sink.server_address[1]
    url = f"sqlite:///{database_path}"
    seed_customers(url)
    mail = Outbox(url, SmtpMailer("127.0.0.1", port, "support@tandem.example"), now=clock)
    mail.create_schema()
    client = ResetTokens(url, mail, LINK_BASE, now=clock)
    client.request("nobody@example.com", "conv-1")
    client.request("luis@example.com", "conv-1")
    client.close()  # waits for the background delivery

    [raw] = smtp_sink.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["To"] == "luis@example.com"
    assert message["From"] == "support@tandem.example"
    text = message.get_body()
    assert text is not None
    token = LINK.findall(text.get_content())[0]
    assert rows(database_path, "SELECT * FROM outbox") == []
    assert token not in dump(database_path)
