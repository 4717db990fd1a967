"""HTTP routes of the gateway: health, and agents' log in and out."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, session
from flask.typing import ResponseReturnValue

from handoff.agents import BadLogin

bp = Blueprint("gateway", __name__)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Load balancers and the stack check this."""
    return jsonify(status="ok")


@bp.post("/agent/login")
def login() -> ResponseReturnValue:
    """Check an agent's password; answer a socket token and set the session cookie."""
    # JSON only, like every state change of the console: a cross-site form cannot send it.
    if not request.is_json:
        return jsonify(error="json_required", message="Send JSON (application/json)."), 415
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="bad_payload", message="Send 'login' and 'password'."), 400
    login_name, password = body.get("login"), body.get("password")
    if not isinstance(login_name, str) or not isinstance(password, str):
        return jsonify(error="bad_payload", message="Send 'login' and 'password'."), 400
    tandem = current_app.extensions["tandem"]
    try:
        agent = tandem.directory.authenticate(login_name, password)
    except BadLogin:
        return jsonify(error="bad_login", message="Wrong login or password."), 401
    session.clear()
    session["agent"] = agent.id
    return jsonify(token=tandem.tokens.issue(agent.id), agent=agent.id, role=agent.role)


@bp.post("/agent/logout")
def logout() -> ResponseReturnValue:
    """End the agent's session (JSON only, so another site cannot log the agent out)."""
    if not request.is_json:
        return jsonify(error="json_required", message="Send JSON (application/json)."), 415
    session.clear()
    return jsonify(status="logged_out")
