"""Canned responses: short replies agents insert, filled in with the customer's details.

They are Jinja2 templates such as ``Hello {{ customer.name | default('there') }}``,
kept in the SQL database of the agent directory (``DATABASE_URL``); supervisors
edit them, agents use them. Supervisors are trusted less than the code, so a
template may only print variables, pick attributes, use a few text filters and
``if`` blocks (no calls, loops or arithmetic: nothing can run code or grow the
output), and it renders in Jinja2's immutable sandbox with only a plain dict of
the conversation's customer, slots and agent. Every refusal says why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from core.settings import Settings
from core.sql import SqlStore
from handoff.stores.conversations import Conversation

MAX_TITLE_CHARS = 80
# Ids are SQL integers: anything larger cannot be one (and would overflow the driver).
MAX_ID = 2**63 - 1
MAX_BODY_CHARS = 2000
# The longest text a rendered response may be: what an agent may send in one message.
MAX_RENDERED_CHARS = 5000
FILTERS = ("default", "d", "upper", "lower", "title", "capitalize", "trim", "truncate")
TESTS = ("defined", "undefined", "none")
# The syntax a template may use; anything else (calls, loops, maths, macros) is refused.
ALLOWED_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Getattr,
    nodes.Getitem,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
)
VARIABLES = ("customer", "slots", "agent")
DEFAULTS = (
    (
        "Greeting",
        "Hello {{ customer.name | default('there') }}, I'm {{ agent.name }} and I'll take "
        "it from here. I can see your conversation with our assistant.",
    ),
    ("One moment", "Thanks for waiting. I'm looking into this now; it will take a minute or two."),
    (
        "Verify identity",
        "{% if customer.verified %}You're already verified, so we can go straight on."
        "{% else %}Before I can look at your account, I need to verify it's you. "
        "Could you give me the email address on the account?{% endif %}",
    ),
    (
        "Still there?",
        "Are you still there{{ (', ' ~ customer.name) if customer.name is defined }}? "
        "I'll keep this chat open for a few more minutes.",
    ),
    ("Anything else", "Is there anything else I can help you with today?"),
)


class CannedError(Exception):
    """Base of every error about canned responses."""


class InvalidCanned(CannedError):
    """A title or template that cannot be saved; the message says what to change."""


class UnknownCanned(CannedError):
    """No canned response has this id."""


class CannedExists(CannedError):
    """Another canned response has this title."""


class RenderError(CannedError):
    """A template could not be filled in for this conversation; the message says why."""


@dataclass(frozen=True)
class Canned:
    """One canned response; ``body`` is its template."""

    id: int
    title: str
    body: str
    updated_by: str | None


metadata = MetaData()

canned_responses = Table(
    "canned_responses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(MAX_TITLE_CHARS), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("updated_by", String(64)),
    Column("updated_at", DateTime, nullable=False),
)


class CannedResponses(SqlStore):
    """Lists, edits and renders canned responses."""

    metadata = metadata

    def __init__(self, database_url: str) -> None:
        super().__init__(database_url)
        self._sandbox = _sandbox()

    @classmethod
    def from_settings(cls, settings: Settings) -> CannedResponses:
        return cls(settings.database_url)

    def upgrade(self, conn: Connection) -> None:
        """Seed the defaults into an empty table (under the schema lock: seeded once)."""
        if conn.execute(select(canned_responses.c.id).limit(1)).first() is None:
            conn.execute(
                insert(canned_responses),
                [self._checked(title, body, by=None) for title, body in DEFAULTS],
            )

    def all(self) -> list[Canned]:
        """Every canned response, by title."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(canned_responses).order_by(canned_responses.c.title)).all()
        return [_canned(row) for row in rows]

    def get(self, canned_id: int) -> Canned:
        """The canned response; raises ``UnknownCanned``."""
        _check_id(canned_id)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(canned_responses).where(canned_responses.c.id == canned_id)
            ).first()
        if row is None:
            raise UnknownCanned(f"No canned response has id {canned_id}.")
        return _canned(row)

    def add(self, title: str, body: str, by: str | None) -> Canned:
        """Save a new response; raises ``InvalidCanned`` or ``CannedExists``."""
        values = self._checked(title, body, by)
        try:
            with self._engine.begin() as conn:
                result = conn.execute(insert(canned_responses).values(**values))
        except IntegrityError as error:
            raise CannedExists(f"A canned response is already called {values['title']!r}.") from (
                error
            )
        return self.get(int(result.inserted_primary_key[0]))

    def edit(self, canned_id: int, title: str, body: str, by: str | None) -> Canned:
        """Change a response; raises ``InvalidCanned``, ``CannedExists`` or ``UnknownCanned``."""
        _check_id(canned_id)
        values = self._checked(title, body, by)
        try:
            with self._engine.begin() as conn:
                result = conn.execute(
                    update(canned_responses)
                    .where(canned_responses.c.id == canned_id)
                    .values(**values)
                )
        except IntegrityError as error:
            raise CannedExists(f"A canned response is already called {values['title']!r}.") from (
                error
            )
        if result.rowcount == 0:
            raise UnknownCanned(f"No canned response has id {canned_id}.")
        return self.get(canned_id)

    def delete(self, canned_id: int) -> None:
        """Remove a response; raises ``UnknownCanned``."""
        _check_id(canned_id)
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(canned_responses).where(canned_responses.c.id == canned_id)
            )
        if result.rowcount == 0:
            raise UnknownCanned(f"No canned response has id {canned_id}.")

    def render(self, canned_id: int, variables: dict[str, Any]) -> str:
        """The response filled in with ``variables``; raises ``RenderError``, ``UnknownCanned``."""
        return self._render(self.get(canned_id).body, variables)

    def _render(self, body: str, variables: dict[str, Any]) -> str:
        try:
            tree = check_template(self._sandbox, body)
            text = self._sandbox.from_string(tree).render(variables)
        except InvalidCanned as error:
            raise RenderError(str(error)) from error
        except TemplateError as error:
            raise RenderError(f"This response could not be filled in: {error}") from error
        text = text.strip()
        if not text:
            raise RenderError("This response is empty for this conversation.")
        if len(text) > MAX_RENDERED_CHARS:
            raise RenderError(f"This response is longer than {MAX_RENDERED_CHARS} characters.")
        return text

    def previews(self, variables: dict[str, Any]) -> list[dict[str, Any]]:
        """Every response, by title, filled in with ``variables``: what the agent would send
        (``text``), or why it cannot be used in this chat (``problem``)."""
        previews = []
        for canned in self.all():
            try:
                text, problem = self._render(canned.body, variables), None
            except RenderError as error:
                text, problem = None, str(error)
            previews.append({**asdict(canned), "text": text, "problem": problem})
        return previews

    def _checked(self, title: str, body: str, by: str | None) -> dict[str, Any]:
        title = title.strip()
        if not title or len(title) > MAX_TITLE_CHARS:
            raise InvalidCanned(f"The title must be 1 to {MAX_TITLE_CHARS} characters.")
        if not body.strip() or len(body) > MAX_BODY_CHARS:
            raise InvalidCanned(f"The text must be 1 to {MAX_BODY_CHARS} characters.")
        if "\x00" in title + body:
            raise InvalidCanned("The title and text must not contain NUL characters.")
        check_template(self._sandbox, body)
        return {
            "title": title,
            "body": body,
            "updated_by": by,
            "updated_at": datetime.now(timezone.utc).replace(tzinfo=None),
        }


def _sandbox() -> ImmutableSandboxedEnvironment:
    """Jinja2's immutable sandbox: unknown variables are errors, output is plain text."""
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def check_template(environment: ImmutableSandboxedEnvironment, body: str) -> nodes.Template:
    """Refuse a template that does not parse or uses more than canned responses need.

    Returns the parsed template, so rendering need not parse it again.
    """
    try:
        tree = environment.parse(body)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line})" if line else ""
        raise InvalidCanned(f"The template has a syntax error{where}: {error}") from error
    for node in tree.find_all(nodes.Node):
        _check_node(node)
    return tree


def _check_node(node: nodes.Node) -> None:
    if not isinstance(node, ALLOWED_NODES):
        raise InvalidCanned(
            f"Templates may only show variables such as {{{{ customer.name }}}}, with filters "
            f"and if blocks; {type(node).__name__} is not allowed."
        )
    if isinstance(node, nodes.Name) and node.name not in VARIABLES:
        raise InvalidCanned(
            f"Unknown variable {node.name!r}; use {', '.join(VARIABLES)} (e.g. customer.name)."
        )
    attribute = (
        node.attr
        if isinstance(node, nodes.Getattr)
        else node.arg.value
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
        else None
    )
    if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
        raise InvalidCanned("Look items up by a fixed name, e.g. slots['street'].")
    if isinstance(attribute, str) and attribute.startswith("_"):
        raise InvalidCanned(f"{attribute!r} is not a field a template may read.")
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        raise InvalidCanned(f"Unknown filter {node.name!r}; use {', '.join(FILTERS)}.")
    if isinstance(node, nodes.Test) and node.name not in TESTS:
        raise InvalidCanned(f"Unknown test {node.name!r}; use {', '.join(TESTS)}.")


def variables(conversation: Conversation, agent_name: str) -> dict[str, Any]:
    """What a template of this conversation may read: plain values only, nothing callable.

    ``customer`` merges the website's customer token (name, id; a customer verified in
    the chat is named after their account at handoff) with the bot's slots (id,
    verified); ``slots`` are the handoff packet's shared slots.
    """
    return chat_variables(
        conversation.customer,
        conversation.packet,
        conversation.verified_customer_id is not None,
        agent_name,
    )


def chat_variables(
    token: dict[str, Any] | None,
    packet: dict[str, Any] | None,
    verified: bool,
    agent_name: str,
) -> dict[str, Any]:
    """``variables`` of a chat as stored anywhere: live, or archived (a ticket's chat)."""
    packet = packet or {}
    slots = {str(name): _plain(value) for name, value in (packet.get("slots") or {}).items()}
    token = token or {}
    customer: dict[str, Any] = {"verified": verified}
    if token.get("name"):
        customer["name"] = str(token["name"])
    customer_id = token.get("customer_id") or slots.get("customer_id")
    if customer_id:
        customer["id"] = str(customer_id)
    return {"customer": customer, "slots": slots, "agent": {"name": agent_name}}


def _plain(value: Any) -> Any:
    """Numbers, booleans and None as they are; anything else as text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def _check_id(canned_id: int) -> None:
    if not 0 < canned_id <= MAX_ID:
        raise UnknownCanned(f"No canned response has id {canned_id}.")


def _canned(row: Any) -> Canned:
    return Canned(id=row.id, title=row.title, body=row.body, updated_by=row.updated_by)
