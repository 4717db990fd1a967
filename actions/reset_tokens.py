"""Password reset links: single-use tokens, stored hashed, expiring, rate-limited.

The link goes out by mail (``core.mail.Outbox``) in the same transaction that
records it, so a reset takes the same work whether or not the account exists.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select, update

from actions.account_tables import metadata, reset_requests, reset_tokens
from actions.accounts import Account, AccountError, account_from_row, find_row
from core.mail import Mail, Outbox
from core.settings import Settings
from core.sql import SqlStore, serialize, utc_naive

log = logging.getLogger(__name__)

RESET_TOKEN_TTL = timedelta(minutes=15)
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_CONVERSATION = 3
RESETS_PER_ACCOUNT = 3


class ResetRateLimited(AccountError):
    """Too many reset requests from one conversation; safe to tell the customer."""


class InvalidResetToken(AccountError):
    """The reset token is unknown, already used or expired."""


class ResetTokens(SqlStore):
    """Issues and redeems password reset links for the accounts of one database."""

    metadata = metadata

    def __init__(
        self,
        database_url: str,
        outbox: Outbox,
        link_base: str,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """``now`` is the clock, replaceable so tests expire tokens without sleeping."""
        super().__init__(database_url)
        self._outbox = outbox
        self._link_base = link_base
        self._now = now or (lambda: datetime.now(timezone.utc))

    @classmethod
    def from_settings(cls, settings: Settings) -> ResetTokens:
        return cls(settings.database_url, Outbox.from_settings(settings), settings.reset_link_base)

    def close(self) -> None:
        self._outbox.close()
        super().close()

    def request(self, identifier: str, conversation_id: str) -> None:
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
            # Count-then-insert: concurrent requests must not all pass the same count.
            serialize(conn, f"reset:{conversation_id}")
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
            row = find_row(conn, identifier)
            account = None if row is None else account_from_row(row)
            serialize(conn, f"reset:{account.id if account else ''}")
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
                mail = _reset_mail(account, self._link_base + token)
                # In this transaction: no extra commit that would time a real account apart.
                self._outbox.keep(conn, mail)
        if mail is not None:
            self._outbox.deliver(mail)
        if account is not None:
            log.info(
                "password reset for %s: %s",
                account.id,
                "link issued" if issue else "account rate-limited, nothing sent",
            )

    def redeem(self, token: str) -> str:
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

    def _utcnow(self) -> datetime:
        return utc_naive(self._now())


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
