"""Shared-token checks for Tandem's internal HTTP services.

Rasa's REST channel and the action server both accept the token the way Rasa
itself sends it (``?token=``) or as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac

from sanic.request import Request


def request_token(request: Request) -> str:
    """The token a request carries, or "" when it carries none."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.args.get("token", "")


def is_authorized(request: Request, expected: str) -> bool:
    """Constant-time token check; an empty expected token authorizes nobody."""
    if not expected:
        return False
    return hmac.compare_digest(request_token(request).encode(), expected.encode())
