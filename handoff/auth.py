"""Agents' login, for HTTP and sockets alike: passwords, the session cookie and socket tokens.

An agent logs in with ``POST /agent/login``: the answer sets the session cookie
(pages and the console's API) and carries a signed, expiring token (sockets,
``auth={"token": ...}``). Both name the agent's login and the account's session
generation; every request and every socket event looks the agent up again, so a
removed account, a logout or a role change ends every session at once.

Failed logins are throttled per login name and per client address (in Redis, so
every gateway process counts them together); only the gateway's own pages
(``Settings.own_origins``) may log in or out.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, session
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeTimedSerializer

from handoff.records.agents import Agent, AgentDirectory, AgentError, BadLogin

# An agent logs in again after a working day: the cookie and socket tokens alike.
TOKEN_AGE = 12 * 3600

bp = Blueprint("auth", __name__)

Session = tuple[str, int]  # an agent's login and the session generation it was issued at


class LoginTokens:
    """Issues and checks tokens that carry an agent's login and session generation."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="tandem-agent-session")

    def issue(self, login: str, generation: int) -> str:
        return self._serializer.dumps({"agent": login, "generation": generation})

    def session_of(self, token: str) -> Session | None:
        """The login and generation in a valid, unexpired token; None otherwise."""
        try:
            found = self._serializer.loads(token, max_age=TOKEN_AGE)
        except BadSignature:
            return None
        return (
            _session(found.get("agent"), found.get("generation"))
            if isinstance(found, dict)
            else None
        )


def _session(login: Any, generation: Any) -> Session | None:
    if not isinstance(login, str) or not login:
        return None
    if not isinstance(generation, int) or isinstance(generation, bool):
        return None
    return login, generation


def from_own_origin() -> bool:
    """Whether the request comes from the gateway's own pages (or from no page at all).

    Browsers send ``Origin`` with every state-changing request and every socket;
    programs that send none are not a cross-site threat.
    """
    origin = request.headers.get("Origin")
    return origin is None or origin in current_app.extensions["tandem"].settings.own_origins


def refuse_foreign_origin() -> ResponseReturnValue | None:
    """A 403 for a state-changing request from another site's page; None when it may go on."""
    if from_own_origin():
        return None
    return (
        jsonify(error="foreign_origin", message="Only the agent console's own pages may do this."),
        403,
    )


@bp.post("/agent/login")
def login() -> ResponseReturnValue:
    """Check an agent's password; answer a socket token and set the session cookie."""
    refused = refuse_foreign_origin()
    if refused:
        return refused
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
    address = request.remote_addr or ""
    wait = tandem.throttle.wait_seconds(login_name, address)
    if wait:
        tandem.gateway.metrics.refusals.labels("logins").inc()
        # The same answer for every login, known or not, and no password is checked.
        answer = jsonify(
            error="too_many_attempts",
            message=f"Too many failed logins; try again in {wait} seconds.",
            retry_after=wait,
        )
        return answer, 429, {"Retry-After": str(wait)}
    try:
        agent = tandem.directory.authenticate(login_name, password)
    except BadLogin:
        tandem.throttle.failed(login_name, address)
        return jsonify(error="bad_login", message="Wrong login or password."), 401
    tandem.throttle.succeeded(login_name)
    generation = tandem.directory.generation(agent.id)
    session.clear()
    session["agent"], session["generation"] = agent.id, generation
    return jsonify(token=tandem.tokens.issue(agent.id, generation), agent=agent.id, role=agent.role)


@bp.post("/agent/logout")
def logout() -> ResponseReturnValue:
    """End every session of the agent: cookies, socket tokens and open consoles (JSON only)."""
    refused = refuse_foreign_origin()
    if refused:
        return refused
    if not request.is_json:
        return jsonify(error="json_required", message="Send JSON (application/json)."), 415
    agent = logged_in_agent()
    session.clear()
    if agent is not None:
        tandem = current_app.extensions["tandem"]
        tandem.directory.end_sessions(agent.id)
        tandem.gateway.agents.logged_out(agent.id)
        tandem.gateway.agents.session_ended(agent.id, "logged_out")
    return jsonify(status="logged_out")


def logged_in_agent() -> Agent | None:
    """The agent of this request's session cookie, or None (not logged in, revoked, or gone)."""
    if "agent" not in g:
        found = _session(session.get("agent"), session.get("generation"))
        agent = None
        if found is not None:
            try:
                agent = current_app.extensions["tandem"].directory.in_session(*found)
            except AgentError:
                session.clear()
        g.agent = agent
    current: Agent | None = g.agent
    return current


def socket_agent(
    auth: Any, directory: AgentDirectory, tokens: LoginTokens
) -> tuple[Agent, int] | None:
    """The agent opening a socket and their session generation: by the token in ``auth``,
    else the session cookie; None when neither is valid now."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if isinstance(token, str):
        found = tokens.session_of(token)
    else:
        found = _session(session.get("agent"), session.get("generation"))
    if found is None:
        return None
    try:
        return directory.in_session(*found), found[1]
    except AgentError:
        return None
