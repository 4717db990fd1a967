"""Customer tokens: how the website vouches for a customer it has logged in.

The website signs a short-lived JWT (HS256, ``sub`` = customer id, ``iat``,
``exp``, ``aud`` = ``AUDIENCE``, ``iss`` = ``ISSUER``, optional ``name``) with
``CUSTOMER_TOKEN_SECRET`` and hands it to the chat widget; the gateway verifies
it and the assistant skips in-chat verification. Only HS256 is accepted (never
``none`` or another algorithm); ``sub``, ``iat``, ``exp``, ``aud`` and ``iss`` are
required, so a token the website signed for another service is refused; a token
may live at most ``MAX_LIFETIME`` seconds; there is no leeway.
"""

from __future__ import annotations

import math
import time
from typing import Any

import jwt

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
MAX_TOKEN_CHARS = 4096
MAX_CLAIM_CHARS = 200
# Who the website signs chat tokens for, and who it says it is.
AUDIENCE = "tandem-chat"
ISSUER = "tandem-website"
# A token lives at most this long (exp - iat), however far away its exp.
MAX_LIFETIME = 3600


class InvalidCustomerToken(Exception):
    """The token is not accepted; the message says why, for the customer's chat and the logs."""


class WeakSecret(ValueError):
    """The configured secret is too short to sign tokens safely (a configuration error)."""


def check_secret(secret: str) -> None:
    """Raise ``WeakSecret`` unless ``secret`` has at least 32 bytes; call it at startup."""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise WeakSecret(
            f"CUSTOMER_TOKEN_SECRET must be at least {MIN_SECRET_BYTES} bytes "
            f"(it has {len(secret.encode())}); generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def sign_customer_token(
    customer_id: str, name: str, secret: str, ttl: float = MAX_LIFETIME, now: float | None = None
) -> str:
    """A token for ``customer_id`` valid ``ttl`` seconds (the website's job; demo and tests)."""
    check_secret(secret)
    if not 0 < ttl <= MAX_LIFETIME:
        raise ValueError(f"a customer token lives from 1 to {MAX_LIFETIME} seconds")
    issued = time.time() if now is None else now
    claims = {
        "sub": customer_id,
        "name": name,
        "iat": int(issued),
        "exp": int(issued + ttl),
        "aud": AUDIENCE,
        "iss": ISSUER,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_customer_token(token: str, secret: str, now: float | None = None) -> dict[str, Any]:
    """``{"customer_id", "name", "verified": True}`` from a valid token.

    Raises ``InvalidCustomerToken`` saying why (expired, bad signature, wrong
    algorithm, missing claim, malformed; also when no secret is configured, so
    the chat goes on anonymously) and ``WeakSecret`` for a secret too short.
    """
    if not secret:
        raise InvalidCustomerToken(
            "Customer tokens are not accepted here (no CUSTOMER_TOKEN_SECRET is set)."
        )
    check_secret(secret)
    if not isinstance(token, str):
        raise InvalidCustomerToken("The customer token is malformed (not a string).")
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidCustomerToken("The customer token is malformed (too long).")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Times and ``sub`` are checked below: PyJWT cannot be given ``now``,
            # and its messages are not the customer's.
            options={
                "require": ["exp", "iat", "sub", "aud", "iss"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_sub": False,
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise InvalidCustomerToken("The customer token's signature is not valid.") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise InvalidCustomerToken(f"The customer token must be signed with {ALGORITHM}.") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidCustomerToken(f"The customer token has no '{exc.claim}' claim.") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidCustomerToken(f"The customer token is not for '{AUDIENCE}'.") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidCustomerToken(f"The customer token was not issued by '{ISSUER}'.") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidCustomerToken("The customer token is malformed.") from exc
    return _customer(claims, time.time() if now is None else now)


def _customer(claims: dict[str, Any], now: float) -> dict[str, Any]:
    """Check the claims' types and times (no leeway; at most ``MAX_LIFETIME`` from ``iat``)."""
    for claim in ("exp", "nbf", "iat"):
        value = claims.get(claim)
        if value is not None and not _is_time(value):
            raise InvalidCustomerToken(f"The customer token's '{claim}' is not a time in seconds.")
    if claims["exp"] <= now:
        raise InvalidCustomerToken("The customer token has expired.")
    if claims["exp"] - claims["iat"] > MAX_LIFETIME or claims["iat"] > now:
        raise InvalidCustomerToken(
            f"The customer token must live at most {MAX_LIFETIME} seconds from its 'iat'."
        )
    nbf = claims.get("nbf")
    if nbf is not None and nbf > now:
        raise InvalidCustomerToken("The customer token is not valid yet.")
    customer_id, name = claims["sub"], claims.get("name", "")
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise InvalidCustomerToken("The customer token's 'sub' must be a non-empty string.")
    if not isinstance(name, str):
        raise InvalidCustomerToken("The customer token's 'name' must be a string.")
    if len(customer_id) > MAX_CLAIM_CHARS or len(name) > MAX_CLAIM_CHARS:
        raise InvalidCustomerToken(
            f"The customer token's 'sub' and 'name' must be at most {MAX_CLAIM_CHARS} characters."
        )
    return {"customer_id": customer_id.strip(), "name": name.strip(), "verified": True}


def _is_time(value: Any) -> bool:
    """A JSON number that can be a time: not a boolean, NaN or infinite."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
