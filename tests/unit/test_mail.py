"""Tandem's mail: kept in the outbox without SMTP, handed to SMTP with it, headers checked."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from actions.accounts import AccountClient
from core.mail import Outbox, SmtpMailer
from tests.unit.helpers import SmtpSink, rows


def test_send_mail_goes_to_the_outbox_without_smtp(outbox: Outbox, accounts: AccountClient) -> None:
    outbox.send(" dana@example.com ", " Your request TKT-1 ", "Hello,\n\nThe transcript.\n")
    [message] = outbox.newest()
    assert (message.to, message.subject) == ("dana@example.com", "Your request TKT-1")
    assert message.body == "Hello,\n\nThe transcript.\n"


def test_send_mail_goes_over_smtp_when_configured(
    outbox: Outbox, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    database_path = tmp_path / "smtp.db"
    client = Outbox(
        f"sqlite:///{database_path}",
        SmtpMailer("127.0.0.1", smtp_sink.server_address[1], "support@tandem.example"),
    )
    client.create_schema()
    client.send("dana@example.com", "Your request TKT-1", "The transcript.")
    client.close()  # waits for the background delivery

    [raw] = smtp_sink.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert (message["To"], message["Subject"]) == ("dana@example.com", "Your request TKT-1")
    assert rows(database_path, "SELECT * FROM outbox") == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("", "Hello"),
        ("dana@example.com\r\nBcc: all@example.com", "Hello"),
        ("dana@example.com", "Hello\nBcc: all@example.com"),
        ("dana@example.com", ""),
        ("dana@example.com", "x" * 201),
    ],
)
def test_send_mail_refuses_what_cannot_be_a_header(
    outbox: Outbox, accounts: AccountClient, to: str, subject: str
) -> None:
    with pytest.raises(ValueError, match="must be one line"):
        outbox.send(to, subject, "body")
    assert outbox.newest() == []
