"""The account backend: the one typed client the actions use for customer accounts.

The default store is SQL through SQLAlchemy: a SQLite file, or any SQLAlchemy URL
such as PostgreSQL. A real deployment swaps this client, not the actions. Money is
kept as integer cents and handed out as ``Decimal`` with two places; card numbers
are never stored, only the brand and the last four digits.

Operators use the CLI: ``python -m actions.accounts seed | show ID | outbox``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import logging
import re
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import QueuePool, StaticPool

from actions.mailer import Mail, SmtpMailer
from bot.settings import ROOT, Settings

log = logging.getLogger(__name__)

DEMO_CUSTOMERS = ROOT / "data" / "demo" / "customers.yml"
RESET_TOKEN_TTL = timedelta(minutes=15)
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_CONVERSATION = 3
RESETS_PER_ACCOUNT = 3
CARD_STATUSES = ("ok", "declined")
CENT = Decimal("0.01")


class AccountError(Exception):
    """Base of every error the account backend raises."""


class AccountNotFound(AccountError):
    """No account has this id."""


class PaymentDeclined(AccountError):
    """The card on file was declined."""


class InvalidAmount(AccountError):
    """Not payable: zero or less, above the balance, over two decimals, not finite."""


class ResetRateLimited(AccountError):
    """Too many reset requests from one conversation; safe to tell the customer."""


class InvalidResetToken(AccountError):
    """The reset token is unknown, already used or expired."""


class CustomerFileError(ValueError):
    """The demo customers file is wrong; the message names the customer and field."""


@dataclass(frozen=True)
class Account:
    """A customer account as the actions see it (no secrets beyond ``phone_last4``)."""

    id: str
    name: str
    email: str
    username: str
    phone_last4: str
    street: str
    city: str
    postal_code: str
    balance: Decimal
    due_date: date
    card_brand: str
    card_last4: str
    card_status: str

    @property
    def card(self) -> str:
        """The card on file as the customer hears it: "Visa ending 4242"."""
        return f"{self.card_brand} ending {self.card_last4}"


@dataclass(frozen=True)
class Receipt:
    """Proof of one payment; the same key always yields the same receipt."""

    number: str
    account_id: str
    amount: Decimal
    new_balance: Decimal
    card: str


@dataclass(frozen=True)
class OutboxMessage:
    """A mail kept in the outbox because no SMTP server is configured."""

    id: int
    to: str
    subject: str
    body: str
    created_at: datetime


metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, unique=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("phone_last4", String(4), nullable=False),
    Column("street", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("balance_cents", BigInteger, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("card_brand", String(40), nullable=False),
    Column("card_last4", String(4), nullable=False),
    Column("card_status", String(20), nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("receipt", String(32), primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("new_balance_cents", BigInteger, nullable=False),
    Column("card", String(80), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

address_changes = Table(
    "address_changes",
    metadata,
    Column("reference", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("street", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("postal_code", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

reset_tokens = Table(
    "reset_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime, nullable=True),
)

reset_requests = Table(
    "reset_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(200), nullable=False, index=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), index=True),
    Column("issued", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)


class AccountClient:
    """Reads and changes customer accounts in one SQL database."""

    def __init__(
        self,
        database_url: str,
        *,
        mailer: SmtpMailer | None = None,
        reset_link_base: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """Connect to ``database_url``; without ``mailer``, mail goes to the outbox.

        ``now`` is the clock (default: UTC now), replaceable so tests can expire
        tokens and rate-limit windows without sleeping.
        """
        self._engine = create_sql_engine(database_url)
        self._mailer = mailer
        self._reset_link_base = reset_link_base or _default_settings().reset_link_base
        self._now = now or (lambda: datetime.now(timezone.utc))

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountClient:
        """Build the client a Tandem process uses: its database and its mail setup."""
        mailer = None
        if settings.smtp_host:
            mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from)
        return cls(
            settings.database_url,
            mailer=mailer,
            reset_link_base=settings.reset_link_base,
        )

    def close(self) -> None:
        """Let queued mail go out and release the database connections."""
        if self._mailer is not None:
            self._mailer.close()
        self._engine.dispose()

    def create_schema(self) -> None:
        """Create the tables that are missing; safe to repeat."""
        metadata.create_all(self._engine)

    def seed_demo(self, path: Path | None = None) -> int:
        """Insert or refresh the demo customers of ``path``; returns how many.

        Repeating it resets those accounts to the file, which is what a demo wants.
        """
        rows = load_customers(path or DEMO_CUSTOMERS)
        with self._engine.begin() as conn:
            for row in rows:
                known = conn.execute(
                    select(accounts.c.id).where(accounts.c.id == row["id"])
                ).first()
                if known is None:
                    conn.execute(insert(accounts).values(**row))
                else:
                    conn.execute(update(accounts).where(accounts.c.id == row["id"]).values(**row))
        return len(rows)

    def find(self, identifier: str) -> Account | None:
        """The account whose email, username or id is ``identifier`` (any case)."""
        with self._engine.connect() as conn:
            row = _find_row(conn, identifier)
        return None if row is None else _account(row)

    def get(self, account_id: str) -> Account:
        """The account with this id; raises ``AccountNotFound``."""
        with self._engine.connect() as conn:
            return _account(_get_row(conn, account_id))

    def verify(self, identifier: str, phone_last4: str) -> Account | None:
        """The account if ``phone_last4`` matches the one on file, else None.

        Compared in constant time, and against a dummy when no account matches.
        """
        account = self.find(identifier)
        expected = account.phone_last4 if account is not None else "-" * 4
        matches = hmac.compare_digest(expected.encode(), phone_last4.strip().encode())
        return account if account is not None and matches else None

    def update_address(self, account_id: str, street: str, city: str, postal_code: str) -> str:
        """Save a new postal address; returns the change's reference "ADR-…"."""
        reference = _reference("ADR")
        address = {
            "street": street.strip(),
            "city": city.strip(),
            "postal_code": postal_code.strip(),
        }
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(accounts).where(accounts.c.id == _normal_id(account_id)).values(**address)
            ).rowcount
            if changed != 1:
                raise AccountNotFound(account_id)
            conn.execute(
                insert(address_changes).values(
                    reference=reference,
                    account_id=_normal_id(account_id),
                    created_at=self._utcnow(),
                    **address,
                )
            )
        log.info("address of %s changed (%s)", _normal_id(account_id), reference)
        return reference

    def pay(self, account_id: str, amount: Decimal, idempotency_key: str) -> Receipt:
        """Charge the card on file and lower the balance, once per idempotency key.

        A second call with the same key (the customer said yes twice, Rasa retried
        the action, two replicas raced) returns the first receipt and charges
        nothing. Errors leave the account and the payments untouched.
        """
        cents = _to_cents(amount)
        if not idempotency_key:
            raise ValueError("a payment needs an idempotency key")
        done = self._stored_receipt(idempotency_key, account_id, cents)
        if done is not None:
            return done
        try:
            return self._charge(_normal_id(account_id), cents, idempotency_key)
        except (IntegrityError, InvalidAmount):
            # Another call with this key may have won the race (and emptied the
            # balance, hence InvalidAmount): its receipt is the answer.
            done = self._stored_receipt(idempotency_key, account_id, cents)
            if done is None:
                raise
            return done

    def request_password_reset(self, identifier: str, conversation_id: str) -> None:
        """Mail a single-use reset link if ``identifier`` names an account.

        Returns the same way, after the same work, whether or not an account
        matches: a token is always made and a request row always written.
        Raises ``ResetRateLimited`` after 3 requests in an hour from one
        conversation; past 3 links in an hour for one account it issues nothing.
        """
        token = secrets.token_urlsafe(32)
        token_hash = _hash_token(token)
        now = self._utcnow()
        since = now - RESET_WINDOW
        mail = None
        with self._engine.begin() as conn:
            asked = conn.execute(
                select(func.count())
                .select_from(reset_requests)
                .where(
                    reset_requests.c.conversation_id == conversation_id,
                    reset_requests.c.created_at > since,
                )
            ).scalar_one()
            if asked >= RESETS_PER_CONVERSATION:
                log.info("reset requests rate-limited in %s", conversation_id)
                raise ResetRateLimited(conversation_id)
            row = _find_row(conn, identifier)
            account = None if row is None else _account(row)
            issued = conn.execute(
                select(func.count())
                .select_from(reset_requests)
                .where(
                    reset_requests.c.account_id == (account.id if account else ""),
                    reset_requests.c.issued.is_(True),
                    reset_requests.c.created_at > since,
                )
            ).scalar_one()
            issue = account is not None and issued < RESETS_PER_ACCOUNT
            conn.execute(
                insert(reset_requests).values(
                    conversation_id=conversation_id,
                    account_id=account.id if account else None,
                    issued=issue,
                    created_at=now,
                )
            )
            if account is not None and issue:
                conn.execute(
                    insert(reset_tokens).values(
                        token_hash=token_hash,
                        account_id=account.id,
                        created_at=now,
                        expires_at=now + RESET_TOKEN_TTL,
                    )
                )
                mail = _reset_mail(account, self._reset_link_base + token)
                # In this transaction: no extra commit that would time a real account apart.
                self._keep_in_outbox(conn, mail)
        if mail is not None:
            self._hand_to_smtp(mail)
        if account is not None:
            log.info(
                "password reset for %s: %s",
                account.id,
                "link issued" if issue else "account rate-limited, nothing sent",
            )

    def redeem_reset_token(self, token: str) -> str:
        """Use up a reset token; returns its account id.

        Raises ``InvalidResetToken`` if it is unknown, used or expired. Redeeming
        one link also voids the account's other unused links.
        """
        token_hash = _hash_token(token)
        now = self._utcnow()
        with self._engine.begin() as conn:
            used = conn.execute(
                update(reset_tokens)
                .where(
                    reset_tokens.c.token_hash == token_hash,
                    reset_tokens.c.used_at.is_(None),
                    reset_tokens.c.expires_at > now,
                )
                .values(used_at=now)
            ).rowcount
            if used != 1:
                raise InvalidResetToken("unknown, used or expired reset link")
            account_id: str = conn.execute(
                select(reset_tokens.c.account_id).where(reset_tokens.c.token_hash == token_hash)
            ).scalar_one()
            conn.execute(
                update(reset_tokens)
                .where(
                    reset_tokens.c.account_id == account_id,
                    reset_tokens.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
        log.info("password reset link redeemed for %s", account_id)
        return account_id

    def send_mail(self, to: str, subject: str, body: str) -> None:
        """Send a plain-text mail the way reset links go: SMTP when configured, else the outbox.

        Returns at once either way (SMTP delivery runs in the background), so a
        caller never waits on a mail server. Raises ``ValueError`` for a
        recipient or subject that could not be a mail header.
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
            self._keep_in_outbox(conn, mail)
        self._hand_to_smtp(mail)

    def _keep_in_outbox(self, conn: Connection, mail: Mail) -> None:
        """Without SMTP, keep ``mail`` in the outbox, inside the caller's transaction."""
        if self._mailer is None:
            conn.execute(
                insert(outbox).values(
                    recipient=mail.to,
                    subject=mail.subject,
                    body=mail.body,
                    created_at=self._utcnow(),
                )
            )

    def _hand_to_smtp(self, mail: Mail) -> None:
        """With SMTP, deliver ``mail`` in the background; call after the transaction commits."""
        if self._mailer is not None:
            self._mailer.send_later(mail)

    def outbox(self, limit: int = 20) -> list[OutboxMessage]:
        """The newest mails kept in the outbox, newest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.id.desc()).limit(limit)).all()
        return [
            OutboxMessage(
                id=row.id,
                to=row.recipient,
                subject=row.subject,
                body=row.body,
                created_at=row.created_at.replace(tzinfo=timezone.utc),
            )
            for row in rows
        ]

    def _charge(self, account_id: str, cents: int, idempotency_key: str) -> Receipt:
        with self._engine.begin() as conn:
            row = _get_row(conn, account_id)
            account = _account(row)
            if cents > row.balance_cents:
                raise InvalidAmount("the amount is more than the balance")
            if account.card_status != "ok":
                raise PaymentDeclined(account.card)
            lowered = conn.execute(
                update(accounts)
                .where(accounts.c.id == account.id, accounts.c.balance_cents >= cents)
                .values(balance_cents=accounts.c.balance_cents - cents)
            ).rowcount
            if lowered != 1:
                raise InvalidAmount("the amount is more than the balance")
            new_balance = conn.execute(
                select(accounts.c.balance_cents).where(accounts.c.id == account.id)
            ).scalar_one()
            receipt = Receipt(
                number=_reference("RCP"),
                account_id=account.id,
                amount=_money(cents),
                new_balance=_money(new_balance),
                card=account.card,
            )
            conn.execute(
                insert(payments).values(
                    receipt=receipt.number,
                    idempotency_key=idempotency_key,
                    account_id=account.id,
                    amount_cents=cents,
                    new_balance_cents=new_balance,
                    card=receipt.card,
                    created_at=self._utcnow(),
                )
            )
        log.info("payment %s on %s", receipt.number, account.id)
        return receipt

    def _stored_receipt(self, idempotency_key: str, account_id: str, cents: int) -> Receipt | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(payments).where(payments.c.idempotency_key == idempotency_key)
            ).first()
        if row is None:
            return None
        if row.account_id != _normal_id(account_id) or row.amount_cents != cents:
            raise AccountError("idempotency key already used for another payment")
        return Receipt(
            number=row.receipt,
            account_id=row.account_id,
            amount=_money(row.amount_cents),
            new_balance=_money(row.new_balance_cents),
            card=row.card,
        )

    def _utcnow(self) -> datetime:
        """Naive UTC, the form every timestamp is stored in."""
        now = self._now()
        if now.tzinfo is not None:
            now = now.astimezone(timezone.utc).replace(tzinfo=None)
        return now


def create_sql_engine(database_url: str) -> Engine:
    """An engine that threads can share (the action server and the gateway use pools).

    Every SQL store of Tandem (accounts, agents, the archive) builds its engine here.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(
            url,
            future=True,
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
        )
    sqlite = {"check_same_thread": False, "timeout": 15}
    if not url.database or url.database == ":memory:":
        # One in-memory database exists per connection: share that one.
        return create_engine(
            url,
            future=True,
            hide_parameters=True,
            connect_args=sqlite,
            poolclass=StaticPool,
        )
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(
        url,
        future=True,
        hide_parameters=True,
        connect_args=sqlite,
        poolclass=QueuePool,
        pool_size=5,
        max_overflow=10,
    )


def _default_settings() -> Settings:
    """Settings' defaults, without reading the environment."""
    return Settings.from_env({})


def _find_row(conn: Connection, identifier: str) -> Any:
    key = identifier.strip().lower()
    if not key:
        return None
    return conn.execute(
        select(accounts).where(
            or_(
                func.lower(accounts.c.email) == key,
                func.lower(accounts.c.username) == key,
                func.lower(accounts.c.id) == key,
            )
        )
    ).first()


def _get_row(conn: Connection, account_id: str) -> Any:
    row = conn.execute(select(accounts).where(accounts.c.id == _normal_id(account_id))).first()
    if row is None:
        raise AccountNotFound(account_id)
    return row


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        email=row.email,
        username=row.username,
        phone_last4=row.phone_last4,
        street=row.street,
        city=row.city,
        postal_code=row.postal_code,
        balance=_money(row.balance_cents),
        due_date=row.due_date,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        card_status=row.card_status,
    )


def _normal_id(account_id: str) -> str:
    return account_id.strip().upper()


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _to_cents(amount: Decimal) -> int:
    """Cents of a payable amount; raises ``InvalidAmount`` for anything else."""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        if not value.is_finite() or value <= 0:
            raise InvalidAmount(f"not a positive amount: {amount}")
        return _to_cents_unchecked(value)
    except InvalidOperation as exc:
        raise InvalidAmount(f"not an amount: {amount!r}") from exc


def _to_cents_unchecked(value: Decimal) -> int:
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidAmount(f"more than two decimals: {value}")
    return int(cents)


def _reference(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4).upper()}"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reset_mail(account: Account, link: str) -> Mail:
    minutes = int(RESET_TOKEN_TTL.total_seconds() // 60)
    return Mail(
        to=account.email,
        subject="Reset your password",
        body=(
            f"Hello {account.name},\n\n"
            "We received a request to reset the password of your account.\n"
            f"Open this link within {minutes} minutes to choose a new one:\n\n"
            f"{link}\n\n"
            "The link works once. If you did not ask for it, ignore this email:\n"
            "your password stays as it is.\n"
        ),
    )


def load_customers(path: Path) -> list[dict[str, Any]]:
    """Read and check a customers file; errors name the customer and the field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CustomerFileError(f"{path}: cannot read customers: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("customers"), list):
        raise CustomerFileError(f"{path}: expected a top-level 'customers:' list")
    rows = [
        _customer_row(entry, f"{path}: customer {number}")
        for number, entry in enumerate(document["customers"], start=1)
    ]
    for field in ("id", "email", "username"):
        seen = [row[field].lower() for row in rows]
        twice = sorted({value for value in seen if seen.count(value) > 1})
        if twice:
            raise CustomerFileError(f"{path}: {field} used by two customers: {twice}")
    return rows


def _customer_row(entry: Any, where: str) -> dict[str, Any]:
    """One customer of the YAML file as an ``accounts`` row."""
    if not isinstance(entry, dict):
        raise CustomerFileError(f"{where}: expected fields such as 'id:' and 'name:'")
    where = f"{where} ({entry.get('id', 'no id')})"

    def part(name: str) -> dict[str, Any]:
        value = entry.get(name)
        if not isinstance(value, dict):
            raise CustomerFileError(f"{where}: '{name}' needs its indented fields")
        return value

    def text(fields: dict[str, Any], key: str, pattern: str = r".+", hint: str = "") -> str:
        value = fields.get(key)
        value = "" if value is None else str(value).strip()
        if not value:
            raise CustomerFileError(f"{where}: '{key}' is missing")
        if not re.fullmatch(pattern, value):
            raise CustomerFileError(f"{where}: '{key}' is {value!r}; {hint}")
        return value

    digits4 = (r"\d{4}", 'expected 4 digits in quotes, like "0042"')
    address, card = part("address"), part("card")
    try:
        balance = Decimal(str(entry.get("balance")))
        balance_cents = _to_cents_unchecked(balance)
    except (InvalidOperation, InvalidAmount) as exc:
        raise CustomerFileError(f"{where}: 'balance' must be an amount like 120.50") from exc
    if balance_cents < 0:
        raise CustomerFileError(f"{where}: 'balance' cannot be negative")
    due = entry.get("due_date")
    try:
        due_date = due if isinstance(due, date) else date.fromisoformat(str(due))
    except ValueError as exc:
        raise CustomerFileError(f"{where}: 'due_date' must look like 2026-12-15") from exc
    return {
        "id": text(entry, "id", r"(?i)ACC-\d+", "expected ACC- and digits").upper(),
        "name": text(entry, "name"),
        "email": text(entry, "email", r"[^@\s]+@[^@\s]+", "expected an email").lower(),
        "username": text(entry, "username", r"[^@\s]+", "expected no spaces or @"),
        "phone_last4": text(entry, "phone_last4", *digits4),
        "street": text(address, "street"),
        "city": text(address, "city"),
        "postal_code": text(address, "postal_code"),
        "balance_cents": balance_cents,
        "due_date": due_date,
        "card_brand": text(card, "brand"),
        "card_last4": text(card, "last4", *digits4),
        "card_status": text(
            card,
            "status",
            "|".join(CARD_STATUSES),
            f"expected {' or '.join(CARD_STATUSES)}",
        ),
    }


def _describe(account: Account) -> str:
    """An account for the operator's terminal, without the verification digits."""
    return "\n".join(
        [
            f"{account.id}  {account.name}",
            f"  email     {account.email}",
            f"  username  {account.username}",
            f"  address   {account.street}, {account.city} {account.postal_code}",
            f"  balance   ${account.balance} due {account.due_date.isoformat()}",
            f"  card      {account.card} ({account.card_status})",
        ]
    )


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def main(argv: Sequence[str] | None = None) -> int:
    """Run the operator CLI; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m actions.accounts",
        description=(
            "Look after the account backend at DATABASE_URL "
            "(default: var/tandem.db). Every command creates missing tables first."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "seed",
        help="load the demo customers of data/demo/customers.yml (safe to repeat)",
        description="Insert or refresh the demo customers; other accounts stay.",
    )
    show = commands.add_parser(
        "show",
        help="print one account, without its secrets",
        description="Print an account found by id, email or username (any case).",
    )
    show.add_argument("identifier", metavar="ID_OR_EMAIL", help="ACC-1001, email or username")
    mail = commands.add_parser(
        "outbox",
        help="print the mail kept when no SMTP server is configured",
        description="Print the newest outbox mail (reset links included), newest first.",
    )
    mail.add_argument("--limit", type=_positive_int, default=20, help="how many mails (default 20)")
    args = parser.parse_args(argv)

    client = AccountClient.from_settings(Settings.from_env())
    try:
        client.create_schema()
        if args.command == "seed":
            try:
                count = client.seed_demo()
            except CustomerFileError as exc:
                print(exc, file=sys.stderr)
                return 1
            print(f"{count} demo customers loaded from {DEMO_CUSTOMERS}.")
        elif args.command == "show":
            account = client.find(args.identifier)
            if account is None:
                print(f"No account matches {args.identifier!r}.", file=sys.stderr)
                return 1
            print(_describe(account))
        else:
            messages = client.outbox(args.limit)
            if not messages:
                print("The outbox is empty.")
            for message in messages:
                print(f"#{message.id}  {message.created_at:%Y-%m-%d %H:%M} UTC")
                print(f"To: {message.to}\nSubject: {message.subject}\n")
                print(message.body)
        return 0
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
