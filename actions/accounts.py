"""The account backend: the one typed client the actions use for customer accounts.

The default store is SQL through SQLAlchemy: a SQLite file, or any SQLAlchemy URL
such as PostgreSQL. A real deployment swaps this client, not the actions. Money is
kept as integer cents and handed out as ``Decimal`` with two places; card numbers
are never stored, only the brand and the last four digits. Password reset links
are ``reset_tokens.py``; operators use ``python -m bot accounts show | outbox | seed``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, insert, inspect, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from actions.account_tables import (
    accounts,
    address_changes,
    metadata,
    payment_attempts,
    payments,
)
from core.settings import Settings
from core.sql import SqlStore, utc_naive

log = logging.getLogger(__name__)

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


class PaymentAbandoned(AccountError):
    """The payment was settled as not made (``settle``) before its charge: nothing is charged."""


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
    state: str | None
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


class AccountClient(SqlStore):
    """Reads and changes customer accounts in one SQL database."""

    metadata = metadata

    def __init__(self, database_url: str, now: Callable[[], datetime] | None = None) -> None:
        """Use ``database_url``; ``now`` is the clock (default: UTC now)."""
        super().__init__(database_url)
        self._now = now or (lambda: datetime.now(timezone.utc))

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountClient:
        """The client a Tandem process uses: its database."""
        return cls(settings.database_url)

    def find(self, identifier: str) -> Account | None:
        """The account whose email, username or id is ``identifier`` (any case)."""
        with self._engine.connect() as conn:
            row = find_row(conn, identifier)
        return None if row is None else account_from_row(row)

    def get(self, account_id: str) -> Account:
        """The account with this id; raises ``AccountNotFound``."""
        with self._engine.connect() as conn:
            return account_from_row(get_row(conn, account_id))

    def verify(self, identifier: str, phone_last4: str) -> Account | None:
        """The account if ``phone_last4`` matches the one on file, else None.

        Compared in constant time, and against a dummy when no account matches.
        """
        account = self.find(identifier)
        expected = account.phone_last4 if account is not None else "-" * 4
        matches = hmac.compare_digest(expected.encode(), phone_last4.strip().encode())
        return account if account is not None and matches else None

    def upgrade(self, conn: Connection) -> None:
        """Add the state to address tables made before it was kept."""
        for table in (accounts, address_changes):
            columns = {column["name"] for column in inspect(conn).get_columns(table.name)}
            if "state" not in columns:
                conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN state VARCHAR(2)"))

    def update_address(
        self, account_id: str, street: str, city: str, state: str | None, postal_code: str
    ) -> str:
        """Save a new postal address; returns the change's reference "ADR-…"."""
        reference = _reference("ADR")
        address = {
            "street": street.strip(),
            "city": city.strip(),
            "state": state,
            "postal_code": postal_code.strip(),
        }
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(accounts).where(accounts.c.id == normal_id(account_id)).values(**address)
            ).rowcount
            if changed != 1:
                raise AccountNotFound(account_id)
            conn.execute(
                insert(address_changes).values(
                    reference=reference,
                    account_id=normal_id(account_id),
                    created_at=self._utcnow(),
                    **address,
                )
            )
        log.info("address of %s changed (%s)", normal_id(account_id), reference)
        return reference

    def pay(self, account_id: str, amount: Decimal, idempotency_key: str) -> Receipt:
        """Charge the card on file and lower the balance, once per idempotency key.

        A second call with the same key (the customer said yes twice, Rasa retried
        the action, two replicas raced) returns the first receipt and charges
        nothing. The attempt is written down first, so that a later turn can tell
        the customer what became of it if this call never answers (``settle``).
        Errors leave the account and the payments untouched; a key already settled
        as not paid raises ``PaymentAbandoned``.
        """
        cents = _to_cents(amount)
        if not idempotency_key:
            raise ValueError("a payment needs an idempotency key")
        done = self._stored_receipt(idempotency_key, account_id, cents)
        if done is not None:
            return done
        self._record_attempt(normal_id(account_id), cents, idempotency_key, "pending")
        try:
            return self._charge(normal_id(account_id), cents, idempotency_key)
        except (IntegrityError, InvalidAmount, PaymentAbandoned):
            # Another call with this key may have won the race (and emptied the
            # balance, hence InvalidAmount): its receipt is the answer.
            done = self._stored_receipt(idempotency_key, account_id, cents)
            if done is None:
                raise
            return done

    def settle(self, account_id: str, amount: Decimal, idempotency_key: str) -> Receipt | None:
        """What became of the payment with this key, made final: its receipt if the card was
        charged; None if it was not, and then it never will be.

        For a turn that finds a confirmed payment whose action never answered (the action
        server died, or timed out while the charge waited): a charge still under way either
        finished first, or now fails with ``PaymentAbandoned``.
        """
        cents = _to_cents(amount)
        self._record_attempt(normal_id(account_id), cents, idempotency_key, "abandoned")
        with self._engine.begin() as conn:
            conn.execute(
                update(payment_attempts)
                .where(
                    payment_attempts.c.idempotency_key == idempotency_key,
                    payment_attempts.c.status == "pending",
                )
                .values(status="abandoned")
            )
        return self._stored_receipt(idempotency_key, account_id, cents)

    def _record_attempt(
        self, account_id: str, cents: int, idempotency_key: str, status: str
    ) -> None:
        """Write the attempt with this key as ``status``, unless it is written already."""
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(payment_attempts).values(
                        idempotency_key=idempotency_key,
                        account_id=account_id,
                        amount_cents=cents,
                        status=status,
                        created_at=self._utcnow(),
                    )
                )
        except IntegrityError:
            return

    def _charge(self, account_id: str, cents: int, idempotency_key: str) -> Receipt:
        with self._engine.begin() as conn:
            # First, so that ``settle`` and this charge wait for each other: one of them wins.
            claimed = conn.execute(
                update(payment_attempts)
                .where(
                    payment_attempts.c.idempotency_key == idempotency_key,
                    payment_attempts.c.status == "pending",
                )
                .values(status="charged")
            ).rowcount
            if claimed != 1:
                raise PaymentAbandoned(idempotency_key)
            row = get_row(conn, account_id)
            account = account_from_row(row)
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
        if row.account_id != normal_id(account_id) or row.amount_cents != cents:
            raise AccountError("idempotency key already used for another payment")
        return Receipt(
            number=row.receipt,
            account_id=row.account_id,
            amount=_money(row.amount_cents),
            new_balance=_money(row.new_balance_cents),
            card=row.card,
        )

    def _utcnow(self) -> datetime:
        return utc_naive(self._now())


def find_row(conn: Connection, identifier: str) -> Any:
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


def get_row(conn: Connection, account_id: str) -> Any:
    row = conn.execute(select(accounts).where(accounts.c.id == normal_id(account_id))).first()
    if row is None:
        raise AccountNotFound(account_id)
    return row


def account_from_row(row: Any) -> Account:
    """An ``accounts`` row as the actions see it."""
    return Account(
        id=row.id,
        name=row.name,
        email=row.email,
        username=row.username,
        phone_last4=row.phone_last4,
        street=row.street,
        city=row.city,
        state=row.state,
        postal_code=row.postal_code,
        balance=_money(row.balance_cents),
        due_date=row.due_date,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        card_status=row.card_status,
    )


def normal_id(account_id: str) -> str:
    return account_id.strip().upper()


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _to_cents(amount: Decimal) -> int:
    """Cents of a payable amount; raises ``InvalidAmount`` for anything else."""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        if not value.is_finite() or value <= 0:
            raise InvalidAmount(f"not a positive amount: {amount}")
        return to_cents_unchecked(value)
    except InvalidOperation as exc:
        raise InvalidAmount(f"not an amount: {amount!r}") from exc


def to_cents_unchecked(value: Decimal) -> int:
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidAmount(f"more than two decimals: {value}")
    return int(cents)


def _reference(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4).upper()}"
