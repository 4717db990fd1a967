"""The gateway's readiness check, for the stack and load balancers."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """200 while this process can serve; 503 sends the balancer's new clients elsewhere."""
    if not current_app.extensions["tandem"].gateway.ready():
        return jsonify(status="unavailable", reason="Redis does not answer"), 503
    return jsonify(status="ok")
