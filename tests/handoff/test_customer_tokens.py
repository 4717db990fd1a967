"""Customer tokens: HS256 only; sub, iat, exp, aud and iss required; short-lived; clear reasons."""

from __future__ import annotations

import base64
import json
from typing import Any

import jwt
import pytest

from handoff.customer_tokens import (
    AUDIENCE,
    ISSUER,
    InvalidCustomerToken,
    WeakSecret,
    check_secret,
    sign_customer_token,
    verify_customer_token,
)

SECRET = "s" * 32
NOW = 1_800_000_000.0


def signed(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    """``claims`` with the website's audience, issuer and issue time unless they say otherwise."""
    claims = {"aud": AUDIENCE, "iss": ISSUER, "iat": NOW, **claims}
    return jwt.encode(
        {k: v for k, v in claims.items() if v is not None}, secret, algorithm=algorithm
    )


def reason(token: Any, secret: str = SECRET, now: float = NOW) -> str:
    with pytest.raises(InvalidCustomerToken) as error:
        verify_customer_token(token, secret, now=now)
    return str(error.value)


def test_a_signed_token_verifies() -> None:
    token = sign_customer_token("ACC-1001", "Dana Whitfield", SECRET, ttl=600, now=NOW)
    assert verify_customer_token(token, SECRET, now=NOW) == {
        "customer_id": "ACC-1001",
        "name": "Dana Whitfield",
        "verified": True,
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_default_clock_and_lifetime() -> None:
    customer = verify_customer_token(sign_customer_token("ACC-1", "Dana", SECRET), SECRET)
    assert customer["customer_id"] == "ACC-1"


def test_name_is_optional() -> None:
    token = signed({"sub": "ACC-1", "exp": NOW + 60})
    assert verify_customer_token(token, SECRET, now=NOW)["name"] == ""


def test_expiry_has_no_leeway() -> None:
    token = sign_customer_token("ACC-1", "Dana", SECRET, ttl=60, now=NOW)
    assert verify_customer_token(token, SECRET, now=NOW + 59.9)["customer_id"] == "ACC-1"
    assert reason(token, now=NOW + 60) == "The customer token has expired."
    assert reason(token, now=NOW + 3600) == "The customer token has expired."


def test_not_before_in_the_future() -> None:
    token = signed({"sub": "ACC-1", "exp": NOW + 60, "nbf": NOW + 10})
    assert reason(token) == "The customer token is not valid yet."


def test_another_secret_is_a_bad_signature() -> None:
    token = sign_customer_token("ACC-1", "Dana", "t" * 32, now=NOW)
    assert reason(token) == "The customer token's signature is not valid."


def test_a_changed_payload_is_a_bad_signature() -> None:
    header, _, signature = sign_customer_token("ACC-1", "Dana", SECRET, now=NOW).split(".")
    forged = {"sub": "ACC-2", "name": "Mallory", "exp": NOW + 60}
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    assert reason(f"{header}.{payload}.{signature}") == (
        "The customer token's signature is not valid."
    )


@pytest.mark.parametrize("algorithm", ["none", "HS384", "HS512"])
def test_only_hs256_is_accepted(algorithm: str) -> None:
    key = "" if algorithm == "none" else SECRET * 2  # long enough for HS512
    token = jwt.encode({"sub": "ACC-1", "exp": NOW + 60}, key, algorithm=algorithm)
    assert reason(token) == "The customer token must be signed with HS256."


@pytest.mark.parametrize("missing", ["exp", "sub"])
def test_exp_and_sub_are_required(missing: str) -> None:
    claims: dict[str, Any] = {"sub": "ACC-1", "exp": NOW + 60, "name": "Dana"}
    del claims[missing]
    assert reason(signed(claims)) == f"The customer token has no '{missing}' claim."


@pytest.mark.parametrize(
    ("claims", "complaint"),
    [
        ({"sub": "ACC-1", "exp": "tomorrow"}, "'exp' is not a time in seconds"),
        ({"sub": "ACC-1", "exp": True}, "'exp' is not a time in seconds"),
        ({"sub": "ACC-1", "exp": float("nan")}, "'exp' is not a time in seconds"),
        ({"sub": "ACC-1", "exp": float("inf")}, "'exp' is not a time in seconds"),
        ({"sub": "ACC-1", "exp": NOW + 60, "nbf": "soon"}, "'nbf' is not a time in seconds"),
        ({"sub": 1001, "exp": NOW + 60}, "'sub' must be a non-empty string"),
        ({"sub": "  ", "exp": NOW + 60}, "'sub' must be a non-empty string"),
        ({"sub": "ACC-1", "exp": NOW + 60, "name": ["Dana"]}, "'name' must be a string"),
        ({"sub": "A" * 201, "exp": NOW + 60}, "at most 200 characters"),
    ],
)
def test_bad_claims_are_named(claims: dict[str, Any], complaint: str) -> None:
    assert complaint in reason(signed(claims))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a.b", "eyJhbGciOiJIUzI1NiJ9..."])
def test_malformed_tokens(token: str) -> None:
    assert reason(token).startswith("The customer token is malformed")


def test_a_signed_payload_that_is_not_json_is_malformed() -> None:
    token = jwt.api_jws.encode(b"not json", SECRET, algorithm="HS256")
    assert reason(token) == "The customer token is malformed."


def test_oversized_and_non_string_tokens_are_malformed() -> None:
    assert reason("a" * 5000) == "The customer token is malformed (too long)."
    assert reason(12345) == "The customer token is malformed (not a string)."


def test_without_a_secret_no_token_is_accepted() -> None:
    token = sign_customer_token("ACC-1", "Dana", SECRET, now=NOW)
    assert "no CUSTOMER_TOKEN_SECRET is set" in reason(token, secret="")


@pytest.mark.parametrize("secret", ["s" * 31, "é" * 15])  # "é" is 2 bytes: 30 bytes
def test_short_secrets_are_refused(secret: str) -> None:
    with pytest.raises(WeakSecret, match="at least 32 bytes"):
        check_secret(secret)
    with pytest.raises(WeakSecret):
        sign_customer_token("ACC-1", "Dana", secret)
    with pytest.raises(WeakSecret):
        verify_customer_token("a.b.c", secret)
    assert issubclass(WeakSecret, ValueError)


def test_thirty_two_bytes_are_enough() -> None:
    check_secret("é" * 16)


def test_a_token_needs_a_short_positive_lifetime() -> None:
    for ttl in (0, 3601):
        with pytest.raises(ValueError, match="lives from 1 to 3600 seconds"):
            sign_customer_token("ACC-1", "Dana", SECRET, ttl=ttl)


@pytest.mark.parametrize(
    ("claims", "complaint"),
    [
        ({"aud": None}, "The customer token has no 'aud' claim."),
        ({"iss": None}, "The customer token has no 'iss' claim."),
        ({"iat": None}, "The customer token has no 'iat' claim."),
        ({"aud": "billing-api"}, f"The customer token is not for '{AUDIENCE}'."),
        ({"iss": "someone-else"}, f"The customer token was not issued by '{ISSUER}'."),
        (
            {"exp": NOW + 30 * 86400},
            "The customer token must live at most 3600 seconds from its 'iat'.",
        ),
        (
            {"iat": NOW + 600, "exp": NOW + 700},
            "The customer token must live at most 3600 seconds from its 'iat'.",
        ),
    ],
)
def test_audience_issuer_and_lifetime_are_required(claims: dict[str, Any], complaint: str) -> None:
    assert reason(signed({"sub": "ACC-1", "exp": NOW + 60, **claims})) == complaint
