"""The action server's account backend clients, made on first use.

Importing the actions package must not open a database (the action server, the
tests and `rasa data validate` all import it), so the client is built lazily.
"""

from __future__ import annotations

from functools import lru_cache

from actions.accounts import AccountClient
from actions.reset_tokens import ResetTokens
from actions.verification import VerificationGuard
from core.settings import Settings


@lru_cache(maxsize=1)
def account_client() -> AccountClient:
    """The process-wide AccountClient for the configured DATABASE_URL."""
    return AccountClient.from_settings(Settings.from_env())


@lru_cache(maxsize=1)
def reset_tokens() -> ResetTokens:
    """The process-wide password reset links for the configured DATABASE_URL and mail."""
    return ResetTokens.from_settings(Settings.from_env())


@lru_cache(maxsize=1)
def verification_guard() -> VerificationGuard:
    """The process-wide failure counters of in-chat identity checks."""
    return VerificationGuard.from_settings(Settings.from_env())
