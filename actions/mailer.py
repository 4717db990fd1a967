"""Outgoing email over SMTP.

Sending happens on a background thread so that a caller's response time never
depends on the mail server (a password reset must take as long for an unknown
account as for a real one). Without SMTP settings the account backend keeps
mail in its outbox table instead and never builds a mailer.
"""

from __future__ import annotations

import logging
import smtplib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """One plain-text email."""

    to: str
    subject: str
    body: str


class SmtpMailer:
    """Delivers mail through an SMTP relay, one message at a time, in the background."""

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailer")

    def send(self, mail: Mail) -> None:
        """Deliver ``mail`` now; raises ``smtplib.SMTPException`` or ``OSError``."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)

    def send_later(self, mail: Mail) -> None:
        """Queue ``mail`` and return at once; failures are logged, never raised."""
        self._worker.submit(self._send_logged, mail)

    def close(self) -> None:
        """Wait for queued mail to go out."""
        self._worker.shutdown(wait=True)

    def _send_logged(self, mail: Mail) -> None:
        try:
            self.send(mail)
        except (smtplib.SMTPException, OSError) as exc:
            # Only the error's type: its text or the body may carry a secret link.
            log.error(
                "could not deliver mail via %s:%s (%s)",
                self.host,
                self.port,
                type(exc).__name__,
            )
