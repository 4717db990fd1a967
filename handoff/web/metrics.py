"""``GET /metrics`` for Prometheus: only with METRICS_TOKEN as a Bearer token.

Without METRICS_TOKEN the page does not exist (404); the load balancer refuses it from
outside anyway, so each gateway process is scraped on its own address.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    tandem = current_app.extensions["tandem"]
    token = tandem.settings.metrics_token
    if not token:
        abort(404)
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return Response(
            "Send METRICS_TOKEN as 'Authorization: Bearer <token>'.\n",
            401,
            {"WWW-Authenticate": "Bearer", "Content-Type": "text/plain"},
        )
    return Response(tandem.gateway.metrics.exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST})
