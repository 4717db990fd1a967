"""Lockout of the in-chat identity check: failures counted server-side, per account and client.

Four phone digits are guessable, so failed checks are kept in SQL (not in the
tracker, which a new conversation empties) and counted in sliding windows. A
key over a limit is locked: its checks are refused, without looking at the
digits, until old failures leave the window. Limits escalate (a few per quarter
hour, more per day), so a patient attacker is slowed as well as a fast one.
An unknown identifier is counted like an account, so a lockout says nothing
about whether an account exists. The policy is in docs/security.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, func, insert, select

from actions.account_tables import metadata, verification_failures
from core.settings import Settings
from core.sql import SqlStore, utc_naive

log = logging.getLogger(__name__)

# (failures, window): reaching that many failures within the window locks the key.
ACCOUNT_LIMITS = ((3, timedelta(minutes=15)), (10, timedelta(hours=24)))
CLIENT_LIMITS = ((5, timedelta(minutes=15)), (20, timedelta(hours=24)))
MAX_KEY_CHARS = 200


def account_key(account_id: str | None, identifier: str) -> str:
    """The account counted: its id when one matches, else the identifier as typed (hashed)."""
    if account_id is not None:
        return f"account:{account_id}"
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()
    return f"unknown:{digest[:32]}"


def client_key(client: object, conversation_id: str) -> str:
    """The client counted: the gateway's client key, else the conversation itself."""
    if isinstance(client, str) and 0 < len(client) <= MAX_KEY_CHARS - 7:
        return f"client:{client}"
    return f"conversation:{conversation_id}"[:MAX_KEY_CHARS]


class VerificationGuard(SqlStore):
    """Counts failed identity checks and says which keys are locked."""

    metadata = metadata

    def __init__(self, database_url: str, now: Callable[[], datetime] | None = None) -> None:
        """``now`` is the clock, replaceable so tests let a lock expire without waiting."""
        super().__init__(database_url)
        self._now = now or (lambda: datetime.now(timezone.utc))

    @classmethod
    def from_settings(cls, settings: Settings) -> VerificationGuard:
        return cls(settings.database_url)

    def locked(self, account: str, client: str) -> bool:
        """Whether checks for this account or from this client are refused right now."""
        now = utc_naive(self._now())
        return self._over(verification_failures.c.account_key, account, ACCOUNT_LIMITS, now) or (
            self._over(verification_failures.c.client_key, client, CLIENT_LIMITS, now)
        )

    def failed(self, account: str, client: str, conversation_id: str) -> bool:
        """Record a failed check; returns whether it locked the account or the client."""
        now = utc_naive(self._now())
        with self._engine.begin() as conn:
            conn.execute(
                insert(verification_failures).values(
                    account_key=account[:MAX_KEY_CHARS],
                    client_key=client[:MAX_KEY_CHARS],
                    conversation_id=conversation_id[:MAX_KEY_CHARS],
                    created_at=now,
                )
            )
        locked = self.locked(account, client)
        if locked:
            log.warning("identity checks locked for %s / %s", account, client)
        return locked

    def _over(
        self,
        column: Column[Any],
        key: str,
        limits: tuple[tuple[int, timedelta], ...],
        now: datetime,
    ) -> bool:
        with self._engine.connect() as conn:
            for limit, window in limits:
                count = conn.execute(
                    select(func.count())
                    .select_from(verification_failures)
                    .where(
                        column == key[:MAX_KEY_CHARS],
                        verification_failures.c.created_at > now - window,
                    )
                ).scalar_one()
                if count >= limit:
                    return True
        return False
