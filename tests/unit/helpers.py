"""What the account, reset-link and mail tests share: reading the SQLite file, reset links in
mail, and an SMTP server that keeps what it is sent."""

from __future__ import annotations

import re
import socketserver
import sqlite3
from pathlib import Path

from core.mail import Outbox
from core.settings import Settings

LINK_BASE = Settings.from_env({}).reset_link_base
LINK = re.compile(re.escape(LINK_BASE) + r"([A-Za-z0-9_-]+)")


def reset_links(outbox: Outbox) -> list[str]:
    """The tokens of the reset links in the outbox, oldest first."""
    tokens = [LINK.findall(message.body) for message in outbox.newest(limit=100)]
    return [found[0] for found in reversed(tokens) if found]


def dump(database_path: Path, *, skip: str | None = None) -> str:
    """The whole database as SQL text, without the rows of table ``skip``."""
    with sqlite3.connect(database_path) as db:
        lines = list(db.iterdump())
    return "\n".join(
        line for line in lines if not (skip and line.startswith(f'INSERT INTO "{skip}"'))
    )


def rows(database_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database_path) as db:
        return db.execute(sql).fetchall()


class SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every command is accepted, each DATA kept."""

    server: SmtpSink

    def handle(self) -> None:
        self.reply("220 sink ready")
        data: list[str] | None = None
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if data is not None:
                if line == ".":
                    self.server.messages.append("\r\n".join(data) + "\r\n")
                    data = None
                    self.reply("250 kept")
                else:
                    data.append(line)
            elif line.upper().startswith("DATA"):
                data = []
                self.reply("354 go on")
            elif line.upper().startswith("QUIT"):
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.messages: list[str] = []
