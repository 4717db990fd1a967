"""Agent accounts: who may log in to the agent console, with which role, skills and capacity.

Accounts live in the SQL database of the customer accounts (``DATABASE_URL``);
whether an agent is online, and how busy, is in Redis (``handoff.stores.presence``).
Passwords are stored only as werkzeug scrypt hashes. Operators manage accounts
with ``python -m bot agents add | list | set-role``; ``make run`` adds the demo agents of
data/demo/agents.yml with fresh random passwords.

Each account has a session generation, carried by its cookie and socket tokens:
logging out or changing the role moves it on, so every earlier session stops working.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from core.settings import Settings
from core.sql import SqlStore
from core.vocabulary import ROLES, SKILLS

MIN_CAPACITY, MAX_CAPACITY = 1, 10
PASSWORD_METHOD = "scrypt"
# Long enough that guessing online (throttled) or offline (scrypt) is hopeless.
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class AgentError(Exception):
    """Base of every error about agent accounts."""


class InvalidAgent(AgentError):
    """An account field is not acceptable; the message says which and why."""


class AgentExists(AgentError):
    """An agent with this login exists already."""


class UnknownAgent(AgentError):
    """No agent has this login."""


class BadLogin(AgentError):
    """Wrong login or password; deliberately does not say which."""


class SessionEnded(AgentError):
    """The agent logged out or their role changed since this session was issued."""


@dataclass(frozen=True)
class Agent:
    """An agent account as the gateway sees it (never the password hash)."""

    id: str
    name: str
    role: str
    skills: tuple[str, ...]
    capacity: int


metadata = MetaData()

agents = Table(
    "agents",
    metadata,
    Column("login", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("skills", String(200), nullable=False),  # comma-separated, in SKILLS order
    Column("capacity", Integer, nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime, nullable=False),
    # Moved on by logout and role changes: sessions of an older generation are void.
    Column("session_generation", Integer, nullable=False, server_default="0"),
)


def run_inline(work: Callable[[], bool]) -> bool:
    """Check a password on the calling thread (tools and tests)."""
    return work()


class AgentDirectory(SqlStore):
    """Creates agent accounts and checks their passwords."""

    metadata = metadata
    # Where a password check runs. A hash takes a tenth of a second of CPU: the gevent server
    # sends it to a native thread (it releases the GIL) instead of stalling every connection.
    offload: Callable[[Callable[[], bool]], bool] = staticmethod(run_inline)

    @classmethod
    def from_settings(cls, settings: Settings) -> AgentDirectory:
        return cls(settings.database_url)

    def upgrade(self, conn: Connection) -> None:
        """Add the session generation to a table made before it existed."""
        columns = {column["name"] for column in inspect(conn).get_columns("agents")}
        if "session_generation" not in columns:
            conn.execute(
                text("ALTER TABLE agents ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0")
            )

    def add(
        self,
        login: str,
        name: str,
        password: str,
        role: str = "agent",
        skills: Iterable[str] = ("general",),
        capacity: int = 3,
    ) -> Agent:
        """Create an account; raises ``InvalidAgent`` for a bad field, ``AgentExists``."""
        agent = Agent(
            id=_normal_login(login),
            name=_valid_name(name),
            role=_valid_role(role),
            skills=valid_skills(skills),
            capacity=_valid_capacity(capacity),
        )
        _check_password(password)
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(agents).values(
                        login=agent.id,
                        name=agent.name,
                        role=agent.role,
                        skills=",".join(agent.skills),
                        capacity=agent.capacity,
                        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
                        created_at=datetime.now(timezone.utc).replace(tzinfo=None),
                    )
                )
        except IntegrityError as exc:
            raise AgentExists(f"an agent with login {agent.id!r} exists already") from exc
        return agent

    def authenticate(self, login: str, password: str) -> Agent:
        """The agent whose password this is; raises ``BadLogin`` otherwise.

        An unknown or malformed login is checked against a dummy hash, so the
        answer takes as long as a wrong password and does not reveal logins.
        """
        key = login.strip().lower()
        row = None
        if _LOGIN.fullmatch(key):
            with self._engine.connect() as conn:
                row = conn.execute(select(agents).where(agents.c.login == key)).first()
        stored = row.password_hash if row is not None else _dummy_hash()
        matches = self.offload(lambda: check_password_hash(stored, password))
        if row is None or not matches:
            raise BadLogin("wrong login or password")
        return _agent(row)

    def get(self, login: str) -> Agent:
        """The agent with this login (any case); raises ``UnknownAgent``."""
        key = login.strip().lower()
        with self._engine.connect() as conn:
            row = conn.execute(select(agents).where(agents.c.login == key)).first()
        if row is None:
            raise UnknownAgent(f"no agent has login {key!r}")
        return _agent(row)

    def generation(self, login: str) -> int:
        """The current session generation of the agent; raises ``UnknownAgent``."""
        key = login.strip().lower()
        with self._engine.connect() as conn:
            found = conn.execute(
                select(agents.c.session_generation).where(agents.c.login == key)
            ).scalar()
        if found is None:
            raise UnknownAgent(f"no agent has login {key!r}")
        return int(found)

    def in_session(self, login: str, generation: int) -> Agent:
        """The agent of a session issued at ``generation``; raises ``SessionEnded`` or
        ``UnknownAgent`` when it was revoked or the account is gone."""
        key = login.strip().lower()
        with self._engine.connect() as conn:
            row = conn.execute(select(agents).where(agents.c.login == key)).first()
        if row is None:
            raise UnknownAgent(f"no agent has login {key!r}")
        if row.session_generation != generation:
            raise SessionEnded(f"the sessions of {key!r} before this one have ended")
        return _agent(row)

    def generations(self, logins: Iterable[str]) -> dict[str, int]:
        """The current session generation of each of these agents that still exists."""
        wanted = sorted(set(logins))
        if not wanted:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(agents.c.login, agents.c.session_generation).where(
                    agents.c.login.in_(wanted)
                )
            ).all()
        return {row.login: row.session_generation for row in rows}

    def end_sessions(self, login: str) -> None:
        """Void every cookie and token the agent holds (logout); raises ``UnknownAgent``."""
        self._bump(login.strip().lower())

    def set_role(self, login: str, role: str) -> Agent:
        """Change the agent's role and end their sessions, so no console keeps the old rights."""
        key, role = login.strip().lower(), _valid_role(role)
        self._bump(key, role=role)
        return self.get(key)

    def _bump(self, key: str, **values: Any) -> None:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(agents)
                .where(agents.c.login == key)
                .values(session_generation=agents.c.session_generation + 1, **values)
            ).rowcount
        if changed != 1:
            raise UnknownAgent(f"no agent has login {key!r}")

    def remove(self, login: str) -> None:
        """Delete the account with this login, if there is one."""
        with self._engine.begin() as conn:
            conn.execute(delete(agents).where(agents.c.login == login.strip().lower()))

    def all(self) -> list[Agent]:
        """Every agent, by login."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(agents).order_by(agents.c.login)).all()
        return [_agent(row) for row in rows]


def _normal_login(login: str) -> str:
    """A login as stored: trimmed, lower-case; raises ``InvalidAgent`` if malformed."""
    key = login.strip().lower()
    if not _LOGIN.fullmatch(key):
        raise InvalidAgent(
            f"login {login!r} must be 1 to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return key


def valid_skills(skills: Iterable[str]) -> tuple[str, ...]:
    """Known skills without repeats, in ``SKILLS`` order; raises ``InvalidAgent``."""
    chosen = {skill.strip().lower() for skill in skills}
    unknown = sorted(chosen - set(SKILLS))
    if unknown:
        raise InvalidAgent(f"unknown skill(s) {', '.join(unknown)}; use {', '.join(SKILLS)}")
    if not chosen:
        raise InvalidAgent(f"give at least one skill of {', '.join(SKILLS)}")
    return tuple(skill for skill in SKILLS if skill in chosen)


def _check_password(password: str) -> None:
    if not password.strip():
        raise InvalidAgent("the password must not be empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidAgent(
            f"the password must be at least {MIN_PASSWORD_CHARS} characters "
            "(a few unrelated words are easy to remember)"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidAgent(f"the password is longer than {MAX_PASSWORD_CHARS} characters")


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise InvalidAgent("the display name must be 1 to 200 printable characters")
    return name


def _valid_role(role: str) -> str:
    role = role.strip().lower()
    if role not in ROLES:
        raise InvalidAgent(f"unknown role {role!r}; use {' or '.join(ROLES)}")
    return role


def _valid_capacity(capacity: int) -> int:
    if (
        isinstance(capacity, bool)
        or not isinstance(capacity, int)
        or not MIN_CAPACITY <= capacity <= MAX_CAPACITY
    ):
        raise InvalidAgent(
            f"capacity {capacity!r} must be a whole number of chats "
            f"from {MIN_CAPACITY} to {MAX_CAPACITY}"
        )
    return capacity


@cache
def _dummy_hash() -> str:
    """A hash of a random password, made once on first use with the real method."""
    return generate_password_hash(secrets.token_urlsafe(32), method=PASSWORD_METHOD)


def _agent(row: Any) -> Agent:
    return Agent(
        id=row.login,
        name=row.name,
        role=row.role,
        skills=tuple(row.skills.split(",")),
        capacity=row.capacity,
    )
