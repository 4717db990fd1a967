"""Signed, expiring login tokens for agents' sockets (the console may use the session cookie)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

# An agent logs in again after a working day.
TOKEN_AGE = 12 * 3600


class LoginTokens:
    """Issues and checks tokens that carry an agent's login name."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="tandem-agent-login")

    def issue(self, login: str) -> str:
        return self._serializer.dumps(login)

    def login_of(self, token: str) -> str | None:
        """The login name in a valid, unexpired token; None otherwise."""
        try:
            login = self._serializer.loads(token, max_age=TOKEN_AGE)
        except BadSignature:
            return None
        return login if isinstance(login, str) else None
