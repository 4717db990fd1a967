"""The gateway's health check, for the stack and load balancers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

bp = Blueprint("health", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Load balancers and the stack check this."""
    return jsonify(status="ok")
