"""Customers' email replies, posted by the mail provider: ``POST /inbound/mail``.

The provider posts each mail to the support address as form fields, signed as
Mailgun signs them: ``signature`` is the hex HMAC-SHA256 of ``timestamp`` + ``token``
under INBOUND_MAIL_KEY. Without a key the endpoint does not exist (404). A post whose
signature is wrong, whose timestamp is over 5 minutes off, whose token was used
before, or whose mail names no ticket of its sender's, gets the same answer as one
that was threaded (202): a prober learns nothing, and the provider does not retry.
Why it was dropped is logged, never the mail's text. docs/tickets.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from handoff.service.gateway import Gateway

log = logging.getLogger(__name__)

bp = Blueprint("inbound_mail", __name__)

# How far a post's timestamp may be from now, either way.
MAX_AGE_SECONDS = 5 * 60
# A field longer than this is no mail of ours (a reply is a few kilobytes; the whole post is
# capped by the gateway's body limit, limits.py).
MAX_FIELD_CHARS = 40_000


def _answer() -> ResponseReturnValue:
    """The one answer to every post that got as far as being read."""
    return jsonify(status="accepted"), 202


def signed(key: str, timestamp: str, token: str, signature: str) -> bool:
    """Whether ``signature`` is the provider's for ``timestamp`` and ``token`` under ``key``."""
    expected = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def _fresh(timestamp: str, now: float) -> bool:
    try:
        return abs(now - float(timestamp)) <= MAX_AGE_SECONDS
    except ValueError:
        return False


@bp.post("/inbound/mail")
def inbound_mail() -> ResponseReturnValue:
    """Thread a customer's reply onto its ticket, if the post is the provider's and new."""
    tandem = current_app.extensions["tandem"]
    key: str = tandem.settings.inbound_mail_key
    if not key:
        return jsonify(error="not_found", message="Inbound mail is not set up."), 404
    gateway: Gateway = tandem.gateway
    now = time.time()
    if not gateway.stores.inbound_mail.allowed(request.remote_addr or "", now):
        return jsonify(error="rate_limited", message="Too many posts; wait a minute."), 429
    form = request.form
    fields = {
        name: form.get(name, "")
        for name in ("timestamp", "token", "signature", "sender", "subject", "body-plain")
    }
    text = form.get("stripped-text") or fields["body-plain"]
    if any(len(value) > MAX_FIELD_CHARS for value in (*fields.values(), text)):
        log.warning("Dropped an inbound mail post: a field is too long.")
        return _answer()
    if not signed(key, fields["timestamp"], fields["token"], fields["signature"]):
        log.warning("Dropped an inbound mail post: its signature is wrong.")
        return _answer()
    if not _fresh(fields["timestamp"], now):
        log.warning("Dropped an inbound mail post: its timestamp is stale.")
        return _answer()
    if not gateway.stores.inbound_mail.first_use(fields["token"]):
        log.warning("Dropped an inbound mail post: its token was used before (a replay).")
        return _answer()
    message_id = form.get("Message-Id") or f"webhook:{fields['token']}"
    gateway.tickets.receive_mail(fields["sender"], fields["subject"], text, message_id)
    return _answer()
