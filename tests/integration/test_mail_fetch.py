"""``python -m bot mail fetch`` against a real IMAP server: Debian's Dovecot, run by the test
from a temporary configuration, with a mailbox the test fills over IMAP itself."""

from __future__ import annotations

import dataclasses
import getpass
import imaplib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.mail import fetch
from core.settings import ROOT, Settings
from handoff.records.archive import Archive
from handoff.records.tickets import Tickets
from handoff.service.tickets import TicketService

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "support", "a-mailbox-password"
DANA = "dana@example.com"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def dovecot_config(folder: Path, port: int) -> str:
    """IMAP only, on 127.0.0.1, plain logins from a file; every path in ``folder``. Run as root,
    its processes take the package's unprivileged users; otherwise the test's own user."""
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
    else:
        internal = login = getpass.getuser()
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {folder}/run
state_dir = {folder}/state
instance_name = tandem-test-{port}
log_path = {folder}/dovecot.log
ssl = no
first_valid_uid = 1
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid={internal} gid={internal} home={folder}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@pytest.fixture(scope="module")
def imap_server() -> Iterator[tuple[str, int]]:
    """A private Dovecot on a free port with one mailbox, ``USER``; stopped at the end."""
    if not DOVECOT.exists():
        pytest.fail(
            "The IMAP test needs Debian's Dovecot: sudo apt-get install -y dovecot-imapd "
            "(.ci/run installs it)."
        )
    # Its own processes read this folder as another user: outside pytest's private temp dir.
    folder = Path(tempfile.mkdtemp(prefix="tandem-dovecot-"))
    folder.chmod(0o755)
    (folder / "mail").mkdir(mode=0o777)
    (folder / "mail").chmod(0o777)
    (folder / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (folder / "dovecot.conf").write_text(dovecot_config(folder, port))
    server = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(folder / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (folder / "dovecot.log").read_text() if (folder / "run").exists() else ""
                    pytest.fail(f"Dovecot did not start: {server.stderr!r} {log}")
                time.sleep(0.05)
        yield "127.0.0.1", port
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def settings(imap_server: tuple[str, int], tmp_path: Path) -> Settings:
    host, port = imap_server
    return dataclasses.replace(
        Settings.from_env({}),
        database_url=f"sqlite:///{tmp_path / 'tandem.db'}",
        imap_host=host,
        imap_port=port,
        imap_user=USER,
        imap_password=PASSWORD,
        imap_tls="none",
    )


@pytest.fixture
def mailbox(settings: Settings) -> Iterator[imaplib.IMAP4]:
    """The mailbox as a mail server would fill it, emptied first."""
    box = imaplib.IMAP4(settings.imap_host, settings.imap_port)
    box.login(USER, PASSWORD)
    _, count = box.select("INBOX")
    if count[0] != b"0":
        box.store("1:*", "+FLAGS", "(\\Deleted)")
        box.expunge()
    yield box
    box.logout()


def deliver(box: imaplib.IMAP4, sender: str, subject: str, body: str, message_id: str) -> None:
    raw = (
        f"From: {sender}\r\nTo: support@tandem.example\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    status, _ = box.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw.encode())
    assert status == "OK"


def unseen(box: imaplib.IMAP4) -> list[bytes]:
    box.select("INBOX")
    _, found = box.search(None, "UNSEEN")
    return found[0].split()


def test_fetch_threads_unseen_replies_marks_them_seen_and_drops_the_rest(
    settings: Settings, mailbox: imaplib.IMAP4
) -> None:
    archive = Archive(settings.database_url)
    archive.create_schema()
    tickets = Tickets(archive.database_url, archive.mail)
    ticket = tickets.create("conv-1", DANA, time.time(), skill="billing")
    subject = f"Re: Your request {ticket} [{ticket}]"
    deliver(mailbox, f"Dana <{DANA}>", subject, "Still broken.\r\n> quoted", "<1@mail.example>")
    deliver(mailbox, "eve@example.com", subject, "I am Dana, honest.", "<2@mail.example>")
    deliver(mailbox, DANA, "Hello", "No reference here.", "<3@mail.example>")
    assert len(unseen(mailbox)) == 3

    lines: list[str] = []
    threaded = fetch(settings, TicketService(tickets, archive), lines.append)

    assert threaded == 1
    assert lines[-1] == "3 unseen mail(s) read, 1 threaded onto tickets."
    assert any(line.endswith(f"threaded onto {ticket}") for line in lines)
    assert sum("dropped" in line for line in lines) == 2
    assert unseen(mailbox) == []
    [reply] = tickets.messages(ticket)
    assert (reply["direction"], reply["author"], reply["text"]) == ("in", DANA, "Still broken.")
    # A mail fetched again (its Seen flag lost) is kept once.
    mailbox.store("1:*", "-FLAGS", "(\\Seen)")
    assert fetch(settings, TicketService(tickets, archive), lines.append) == 1
    assert len(tickets.messages(ticket)) == 1
    archive.close()


def test_the_command_reads_the_mailbox_and_says_what_to_fix(
    settings: Settings, mailbox: imaplib.IMAP4
) -> None:
    def mail_fetch(
        port: int = settings.imap_port, password: str = PASSWORD, folder: str = "INBOX"
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **settings.as_env(),
            "IMAP_HOST": settings.imap_host,
            "IMAP_PORT": str(port),
            "IMAP_USER": USER,
            "IMAP_PASSWORD": password,
            "IMAP_FOLDER": folder,
            "IMAP_TLS": "none",
        }
        return subprocess.run(
            [sys.executable, "-m", "bot", "mail", "fetch"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    done = mail_fetch()
    assert (done.returncode, done.stdout.strip()) == (
        0,
        "0 unseen mail(s) read, 0 threaded onto tickets.",
    )
    refused = mail_fetch(password="wrong")
    assert refused.returncode == 1 and "check IMAP_USER and IMAP_PASSWORD" in refused.stderr
    assert "wrong" not in refused.stderr
    missing = mail_fetch(folder="Nowhere")
    assert missing.returncode == 1 and "check IMAP_FOLDER" in missing.stderr
    closed = mail_fetch(port=free_port())
    assert closed.returncode == 1 and "check IMAP_HOST, IMAP_PORT and IMAP_TLS" in closed.stderr
