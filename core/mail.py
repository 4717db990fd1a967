"""Outgoing email: over SMTP when a server is configured, else kept in an outbox table.

Sending happens on a background thread so that a caller's response time never
depends on the mail server (a password reset must take as long for an unknown
account as for a real one). Without SMTP settings mail is kept in the outbox
table, which the operator reads with ``python -m bot accounts outbox``.

Outbox bodies hold reset links, so they are stored encrypted (Fernet): a copy of
the database (a backup, a dump, SQL access) shows no link. The key is
``OUTBOX_KEY``, else a file made once beside the SQLite database, readable by its
owner only; a database that is not SQLite needs ``OUTBOX_KEY``. Only the processes
that keep mail (action server, gateway) and the operator's CLI read it.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select
from sqlalchemy.engine import Connection, make_url

from core.settings import Settings
from core.sql import SqlStore, utc_naive

log = logging.getLogger(__name__)

UNREADABLE = "(not readable with this OUTBOX_KEY)"


class OutboxKeyMissing(RuntimeError):
    """No key to encrypt the outbox: set OUTBOX_KEY (needed unless the database is SQLite)."""


def outbox_key(database_url: str, configured: str = "") -> bytes:
    """The outbox's Fernet key: ``configured``, else the key file beside the SQLite database."""
    if configured:
        return configured.encode()
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise OutboxKeyMissing(
            "Set OUTBOX_KEY to keep mail in this database's outbox; make one with: "
            "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
        )
    path = Path(url.database).with_name(Path(url.database).name + ".outbox-key")
    try:
        # O_EXCL: of two processes starting at once, one writes the key, both read it.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(handle, "wb") as file:
        file.write(Fernet.generate_key())
    return path.read_bytes().strip()


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


@dataclass(frozen=True)
class OutboxMessage:
    """A mail kept in the outbox because no SMTP server is configured."""

    id: int
    to: str
    subject: str
    body: str
    created_at: datetime


metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)


class Outbox(SqlStore):
    """Sends Tandem's mail: hands it to SMTP when configured, else keeps it in the outbox."""

    metadata = metadata

    def __init__(
        self,
        database_url: str,
        mailer: SmtpMailer | None = None,
        now: Callable[[], datetime] | None = None,
        key: str = "",
    ) -> None:
        """``key`` is OUTBOX_KEY; unset, the key file beside a SQLite database is used."""
        super().__init__(database_url)
        self._mailer = mailer
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._database_url = database_url
        self._key = key
        self._fernet: Fernet | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbox:
        """The outbox of a Tandem process: its database, and SMTP if configured."""
        mailer = None
        if settings.smtp_host:
            mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from)
        return cls(settings.database_url, mailer, key=settings.outbox_key)

    def close(self) -> None:
        """Let queued mail go out and release the database connections."""
        if self._mailer is not None:
            self._mailer.close()
        super().close()

    def send(self, to: str, subject: str, body: str) -> None:
        """Send a plain-text mail now: SMTP in the background, or the outbox.

        Raises ``ValueError`` for a recipient or subject that could not be a mail header.
        """
        mail = Mail(to=to.strip(), subject=subject.strip(), body=body)
        for name, value, column in (
            ("recipient", mail.to, outbox.c.recipient),
            ("subject", mail.subject, outbox.c.subject),
        ):
            limit = column.type.length
            if not value or len(value) > limit or "\r" in value or "\n" in value:
                raise ValueError(f"a mail {name} must be one line of 1 to {limit} characters")
        with self._engine.begin() as conn:
            self.keep(conn, mail)
        self.deliver(mail)

    def keep(self, conn: Connection, mail: Mail) -> None:
        """Without SMTP, keep ``mail`` in the outbox, inside the caller's transaction."""
        if self._mailer is None:
            conn.execute(
                insert(outbox).values(
                    recipient=mail.to,
                    subject=mail.subject,
                    body=self._cipher().encrypt(mail.body.encode()).decode(),
                    created_at=utc_naive(self._now()),
                )
            )

    def deliver(self, mail: Mail) -> None:
        """With SMTP, deliver ``mail`` in the background; call after the transaction commits."""
        if self._mailer is not None:
            self._mailer.send_later(mail)

    def newest(self, limit: int = 20) -> list[OutboxMessage]:
        """The newest mails kept in the outbox, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.id.desc()).limit(limit)).all()
        return [
            OutboxMessage(
                id=row.id,
                to=row.recipient,
                subject=row.subject,
                body=self._decrypt(row.body),
                created_at=row.created_at.replace(tzinfo=timezone.utc),
            )
            for row in rows
        ]

    def _cipher(self) -> Fernet:
        if self._fernet is None:
            self._fernet = Fernet(outbox_key(self._database_url, self._key))
        return self._fernet

    def _decrypt(self, body: str) -> str:
        try:
            return self._cipher().decrypt(body.encode()).decode()
        except InvalidToken:
            return UNREADABLE
