"""Agents' login, for HTTP and sockets alike: passwords, the session cookie and socket tokens.

An agent logs in with ``POST /agent/login``: the answer sets the session cookie
(pages and the console's API) and carries a signed, expiring token (sockets,
``auth={"token": ...}``). Both name the agent's login; every request and every
socket connection looks the agent up again, so a removed account stops working.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, session
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer

from handoff.records.agents import Agent, AgentDirectory, AgentError, BadLogin

# An agent logs in again after a working day.
TOKEN_AGE = 12 * 3600

bp = Blueprint("auth", __name__)


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


def logged_in_agent() -> Agent | None:
    """The agent of this request's session cookie, or None (not logged in, or gone)."""
    if "agent" not in g:
        login = session.get("agent")
        agent = None
        if isinstance(login, str):
            try:
                agent = current_app.extensions["tandem"].directory.get(login)
            except AgentError:
                session.clear()
        g.agent = agent
    found: Agent | None = g.agent
    return found


def socket_agent(auth: Any, directory: AgentDirectory, tokens: LoginTokens) -> Agent | None:
    """The agent opening a socket: by the token in ``auth``, else the session cookie."""
    token = auth.get("token") if isinstance(auth, dict) else None
    login = tokens.login_of(token) if isinstance(token, str) else session.get("agent")
    if not isinstance(login, str) or not login:
        return None
    try:
        return directory.get(login)
    except AgentError:
        return None
