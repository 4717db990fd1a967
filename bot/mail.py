"""``python -m bot mail fetch``: customers' replies read from the support mailbox (IMAP).

For a mail provider that cannot post to the gateway's webhook: each unseen mail in
IMAP_FOLDER is threaded onto the ticket its subject (or body) names, exactly as a
webhook post is (``TicketService.receive_mail``), then marked seen. A mail fetched
twice (the marking failed) is kept once: its Message-ID is the ticket message's id.
Run it from cron, e.g. every minute. docs/tickets.md.
"""

from __future__ import annotations

import argparse
import email
import imaplib
import ssl
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from email.message import EmailMessage
from email.policy import default as default_policy

from core.settings import Settings
from handoff.records.archive import Archive
from handoff.records.tickets import Tickets
from handoff.service.tickets import TicketService

SETTINGS_HINT = (
    "set IMAP_HOST, IMAP_USER and IMAP_PASSWORD (and IMAP_PORT, default 993; IMAP_FOLDER, "
    "default INBOX; IMAP_TLS: ssl, starttls or none)"
)


class MailboxError(Exception):
    """The mailbox could not be read; the message says what to change."""


def add_mail_arguments(command: argparse.ArgumentParser) -> None:
    """``mail fetch``; ``run_mail`` runs it."""
    actions = command.add_subparsers(dest="mail_command", required=True, metavar="action")
    actions.add_parser(
        "fetch",
        help="thread the unseen mail of the IMAP mailbox onto its tickets",
        description=f"Thread each unseen mail of the support mailbox onto the ticket it names "
        f"and mark it seen; {SETTINGS_HINT}.",
    )


def run_mail(args: argparse.Namespace, settings: Settings) -> int:
    """Run ``mail fetch``: 0 when the mailbox was read, 1 with what to fix when not."""
    if not (settings.imap_host and settings.imap_user and settings.imap_password):
        print(f"error: No mailbox is configured: {SETTINGS_HINT}.", file=sys.stderr)
        return 1
    archive = Archive.from_settings(settings)
    try:
        archive.create_schema()
        tickets = Tickets(settings.database_url, archive.mail, settings.ticket_sla_hours)
        fetch(settings, TicketService(tickets, archive), print)
    except MailboxError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        archive.close()
    return 0


def fetch(settings: Settings, service: TicketService, say: Callable[[str], None]) -> int:
    """Thread every unseen mail and mark it seen, saying what became of each; how many
    were threaded. Raises ``MailboxError``."""
    threaded = 0
    with _mailbox(settings) as box:
        status, found = box.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise MailboxError(f"The server would not search {settings.imap_folder}.")
        uids = found[0].split() if found and found[0] else []
        for uid in uids:
            status, parts = box.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
            if status != "OK" or raw is None:
                say(f"mail {uid.decode()}: could not be read; left unseen")
                continue
            message = email.message_from_bytes(raw, policy=default_policy)
            assert isinstance(message, EmailMessage)
            ticket = service.receive_mail(
                str(message.get("From", "")),
                str(message.get("Subject", "")),
                _text_of(message),
                str(message.get("Message-ID", "")) or f"imap:{uid.decode()}",
            )
            box.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            if ticket is None:
                say(f"mail {uid.decode()}: names no ticket of its sender's; dropped")
            else:
                threaded += 1
                say(f"mail {uid.decode()}: threaded onto {ticket}")
    say(f"{len(uids)} unseen mail(s) read, {threaded} threaded onto tickets.")
    return threaded


def _text_of(message: EmailMessage) -> str:
    """The mail's plain text (a HTML-only mail is kept as its source text, never rendered)."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        return str(body.get_content())
    except (LookupError, ValueError):  # an unknown charset or a broken part
        return ""


@contextmanager
def _mailbox(settings: Settings) -> Iterator[imaplib.IMAP4]:
    """The logged-in mailbox with IMAP_FOLDER selected (read-write, to mark mail seen)."""
    where = f"{settings.imap_host}:{settings.imap_port}"
    try:
        if settings.imap_tls == "ssl":
            box: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                settings.imap_host, settings.imap_port, ssl_context=ssl.create_default_context()
            )
        else:
            box = imaplib.IMAP4(settings.imap_host, settings.imap_port)
            if settings.imap_tls == "starttls":
                box.starttls(ssl.create_default_context())
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(
            f"Could not reach the mailbox at {where} ({type(error).__name__}: {error}); "
            "check IMAP_HOST, IMAP_PORT and IMAP_TLS."
        ) from None
    try:
        try:
            box.login(settings.imap_user, settings.imap_password)
        except imaplib.IMAP4.error:
            raise MailboxError(
                f"The mailbox at {where} refused the login of {settings.imap_user!r}; "
                "check IMAP_USER and IMAP_PASSWORD."
            ) from None
        status, _ = box.select(settings.imap_folder)
        if status != "OK":
            raise MailboxError(
                f"The mailbox has no folder {settings.imap_folder!r}; check IMAP_FOLDER."
            )
        yield box
    finally:
        with suppress(OSError, imaplib.IMAP4.error):
            box.logout()
