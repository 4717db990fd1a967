"""The account backend's tables: accounts, payments and their attempts, address changes and
password resets.

One ``MetaData`` for all of them, so foreign keys to ``accounts`` resolve; the
client (``accounts.py``) and the reset tokens (``reset_tokens.py``) share it.
"""

from __future__ import annotations

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
)

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
    # USPS code; empty for addresses kept before states were
    Column("state", String(2), nullable=True),
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

# Each payment the bot set out to make, written before the card is charged: "pending" until
# the charge ("charged", with its row in ``payments``) or until a later turn finds it unfinished
# and settles it ("abandoned": never charged, and it never will be).
payment_attempts = Table(
    "payment_attempts",
    metadata,
    Column("idempotency_key", String(200), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

address_changes = Table(
    "address_changes",
    metadata,
    Column("reference", String(32), primary_key=True),
    Column("account_id", String(32), ForeignKey("accounts.id"), nullable=False),
    Column("street", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    Column("state", String(2), nullable=True),
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


# Failed in-chat identity checks, counted per account and per client (actions/verification.py).
verification_failures = Table(
    "verification_failures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_key", String(320), nullable=False, index=True),
    Column("client_key", String(200), nullable=False, index=True),
    Column("conversation_id", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False, index=True),
)
