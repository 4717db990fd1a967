"""What every HTTP request of the gateway must fit: a body limit, answered in JSON.

Flask refuses bodies over ``MAX_CONTENT_LENGTH`` as they are read; this also refuses
a declared length over it before any route runs, so a login cannot be made to
parse megabytes. The console's API keeps its own, smaller limit.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

# Logins and console changes are a few kilobytes at most.
MAX_BODY_BYTES = 64 * 1024

bp = Blueprint("limits", __name__)


@bp.before_app_request
def small_bodies_only() -> None:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> ResponseReturnValue:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return jsonify(error="too_large", message=f"The request is over {limit} bytes."), 413
