"""The agent console and the supervisor view: their pages and their JSON API.

Every page and API needs a logged-in agent (the session cookie set by
``POST /agent/login``); supervisor-only ones check the role here, on the server.
Against cross-site requests, every state-changing request must be JSON
(``Content-Type: application/json``): a form on another site cannot send that,
a script on another site cannot without a CORS preflight we never grant, and
the session cookie is ``SameSite=Lax`` besides; a request whose ``Origin`` is not
the gateway's own is refused too. See docs/protocol.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from core import vocabulary
from handoff.auth import from_own_origin, logged_in_agent
from handoff.records.agents import Agent
from handoff.records.canned import (
    Canned,
    CannedError,
    CannedExists,
    CannedResponses,
    InvalidCanned,
    RenderError,
    UnknownCanned,
)
from handoff.records.canned import variables as canned_variables
from handoff.records.reports import DateRange, ReportError
from handoff.records.tickets import UnknownTicket
from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway
from handoff.service.supervision import agent_summary
from handoff.stores.conversations import UnknownConversation
from handoff.web.page_policy import content_security_policy
from handoff.web.report_csv import report_csv

bp = Blueprint("console", __name__)

# JSON bodies of the API are small: a canned response is at most a few thousand characters.
MAX_BODY_BYTES = 16 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# How the API answers each refusal of the canned responses: HTTP status and error code.
CANNED_ERRORS: dict[type[CannedError], tuple[int, str]] = {
    InvalidCanned: (400, "invalid_canned"),
    CannedExists: (409, "canned_exists"),
    UnknownCanned: (404, "unknown_canned"),
    RenderError: (422, "template_error"),
}


# HTTP statuses of the service's refusals; any other is a 400.
SERVICE_ERRORS = {"not_your_conversation": 403}


class ApiError(Exception):
    """A refused API request: the HTTP status, a code and a message the console shows."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> ResponseReturnValue:
    return jsonify(error=error.code, message=str(error)), error.status


@bp.errorhandler(GatewayError)
def refused(error: GatewayError) -> ResponseReturnValue:
    """The service's refusals, as the socket events give them, with an HTTP status."""
    return api_error(ApiError(SERVICE_ERRORS.get(error.code, 400), error.code, str(error)))


@bp.errorhandler(UnknownTicket)
def unknown_ticket(error: UnknownTicket) -> ResponseReturnValue:
    """Never theirs or never made: the same answer."""
    return api_error(ApiError(404, "unknown_ticket", "No such ticket."))


@bp.errorhandler(UnknownConversation)
def unknown_conversation(error: UnknownConversation) -> ResponseReturnValue:
    return api_error(ApiError(404, "unknown_conversation", "No such conversation."))


@bp.errorhandler(CannedError)
def canned_error(error: CannedError) -> ResponseReturnValue:
    status, code = CANNED_ERRORS[type(error)]
    return api_error(ApiError(status, code, str(error)))


@bp.errorhandler(ReportError)
def report_error(error: ReportError) -> ResponseReturnValue:
    return api_error(ApiError(400, "bad_range", str(error)))


@bp.before_request
def only_small_json_changes() -> None:
    """Refuse state changes from other sites' pages, not JSON (cross-site forms) or too large."""
    if request.method in SAFE_METHODS:
        return
    if not from_own_origin():
        raise ApiError(403, "foreign_origin", "Only the agent console's own pages may do this.")
    if not request.is_json:
        raise ApiError(415, "json_required", "Send a JSON body (Content-Type: application/json).")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"The request is over {MAX_BODY_BYTES} bytes.")


@bp.after_request
def page_headers(response: Response) -> Response:
    """Pages and answers are about one agent: never cached, never framed."""
    response.headers["Cache-Control"] = "no-store"
    policy = content_security_policy(request.host, forms="'self'")
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint for more of the console's API, with its checks, headers and error answers."""
    blueprint = Blueprint(name, import_name)
    blueprint.before_request(only_small_json_changes)
    blueprint.after_request(page_headers)
    blueprint.errorhandler(ApiError)(api_error)
    blueprint.errorhandler(GatewayError)(refused)
    blueprint.errorhandler(UnknownTicket)(unknown_ticket)
    blueprint.errorhandler(ReportError)(report_error)  # a bad date range
    return blueprint


def api(role: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An API view for logged-in agents (401 otherwise), within their rate (429 beyond it);
    ``role="supervisor"``: 403 for agents."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            agent = logged_in_agent()
            if agent is None:
                raise ApiError(401, "not_logged_in", "Log in first.")
            if not gateway().stores.api_calls.allowed(agent.id, time.time()):
                raise ApiError(429, "rate_limited", "Too many requests; wait a minute.")
            if role and agent.role != role:
                raise ApiError(403, "forbidden", f"Only {role}s may do this.")
            return view(agent, *args, **kwargs)

        return checked

    return decorate


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_payload", "The body must be a JSON object.")
    return body


def text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise ApiError(400, "bad_payload", f"'{name}' must be a string.")
    return value


def canned_json(canned: Canned) -> dict[str, Any]:
    return asdict(canned)


# --- pages ---------------------------------------------------------------------


@bp.get("/agent")
def console_page() -> ResponseReturnValue:
    """The console for a logged-in agent; the login form otherwise."""
    agent = logged_in_agent()
    if agent is None:
        return render_template("login.html")
    return render_template(
        "console.html", agent=agent, now=time.time(), resolutions=vocabulary.RESOLUTIONS
    )


@bp.get("/agent/vocabulary.js")
def vocabulary_module() -> ResponseReturnValue:
    """The shared words (core/vocabulary.py) as an ES module the console's scripts import."""
    source = f"export default {json.dumps(vocabulary.for_browser())};\n"
    return Response(source, mimetype="text/javascript")


@bp.get("/agent/supervisor")
def supervisor_page() -> ResponseReturnValue:
    """Supervisors only: everything live, today's figures, canned responses."""
    agent = logged_in_agent()
    if agent is None:
        return redirect(url_for("console.console_page"))
    if agent.role != "supervisor":
        return render_template("forbidden.html", agent=agent), 403
    return render_template("supervisor.html", agent=agent, now=time.time())


# --- canned responses ----------------------------------------------------------


def gateway() -> Gateway:
    found: Gateway = current_app.extensions["tandem"].gateway
    return found


def canned_store() -> CannedResponses:
    store: CannedResponses = current_app.extensions["tandem"].canned
    return store


@bp.get("/agent/api/canned")
@api()
def list_canned(agent: Agent) -> ResponseReturnValue:
    return jsonify(canned=[canned_json(c) for c in canned_store().all()])


@bp.post("/agent/api/canned")
@api(role="supervisor")
def add_canned(agent: Agent) -> ResponseReturnValue:
    body = json_body()
    added = canned_store().add(text_field(body, "title"), text_field(body, "body"), agent.id)
    return jsonify(canned=canned_json(added)), 201


@bp.put("/agent/api/canned/<int:canned_id>")
@api(role="supervisor")
def edit_canned(agent: Agent, canned_id: int) -> ResponseReturnValue:
    body = json_body()
    edited = canned_store().edit(
        canned_id, text_field(body, "title"), text_field(body, "body"), agent.id
    )
    return jsonify(canned=canned_json(edited))


@bp.delete("/agent/api/canned/<int:canned_id>")
@api(role="supervisor")
def delete_canned(agent: Agent, canned_id: int) -> ResponseReturnValue:
    canned_store().delete(canned_id)
    return jsonify(deleted=canned_id)


@bp.post("/agent/api/canned/<int:canned_id>/render")
@api()
def render_canned(agent: Agent, canned_id: int) -> ResponseReturnValue:
    """Fill a response in with the customer of one of the agent's own chats, or (with
    ``ticket_id``) of a ticket they may answer."""
    body = json_body()
    if "ticket_id" in body:
        found = gateway().tickets.canned_variables(agent, text_field(body, "ticket_id"))
    else:
        conversation_id = text_field(body, "conversation_id")
        found = canned_variables(gateway().agents.owned(agent, conversation_id), agent.name)
    return jsonify(text=canned_store().render(canned_id, found))


@bp.get("/agent/api/conversations/<conversation_id>/history")
@api()
def customer_history(agent: Agent, conversation_id: str) -> ResponseReturnValue:
    """The verified customer's past conversations and tickets, beside one of the agent's chats."""
    return jsonify(conversations=gateway().agents.customer_history(agent, conversation_id))


@bp.get("/agent/api/conversations/<conversation_id>/canned")
@api()
def canned_previews(agent: Agent, conversation_id: str) -> ResponseReturnValue:
    """Every canned response as it would read in one of the agent's chats, for the picker."""
    conversation = gateway().agents.owned(agent, conversation_id)
    return jsonify(canned=canned_store().previews(canned_variables(conversation, agent.name)))


@bp.get("/agent/api/tickets/<ticket_id>/canned")
@api()
def ticket_canned_previews(agent: Agent, ticket_id: str) -> ResponseReturnValue:
    """Every canned response as it would read in an answer to a ticket the agent may see."""
    found = gateway().tickets.canned_variables(agent, ticket_id)
    return jsonify(canned=canned_store().previews(found))


# --- who is there, the queue, and today's figures ------------------------------


@bp.get("/agent/api/agents")
@api()
def online_agents(agent: Agent) -> ResponseReturnValue:
    """Connected agents, for transfers: who is available and how busy."""
    colleagues = gateway().agents.connected_colleagues()
    return jsonify(agents=[agent_summary(a) for a in colleagues])


@bp.get("/agent/api/queue")
@api()
def queue_details(agent: Agent) -> ResponseReturnValue:
    """The queue with each chat's handoff reason and customer name (`queue` events lack them)."""
    return jsonify(entries=gateway().handoffs.queue_view())


@bp.get("/agent/api/supervisor")
@api(role="supervisor")
def supervisor_snapshot(agent: Agent) -> ResponseReturnValue:
    """Every live conversation, the agents, the queue and today's figures, as of now."""
    return jsonify(gateway().supervision.snapshot(time.time()))


@bp.get("/agent/api/supervisor/conversations/<conversation_id>")
@api(role="supervisor")
def supervisor_chat(agent: Agent, conversation_id: str) -> ResponseReturnValue:
    """One live chat, to read: what its agent sees, notes included (nothing can be sent)."""
    return jsonify(gateway().supervision.open_chat(agent, conversation_id))


# --- reports -------------------------------------------------------------------


def report_of_request(agent: Agent) -> dict[str, Any]:
    """The report of the ``from`` and ``to`` dates (UTC, both included) of the query string."""
    dates = DateRange.parse(request.args.get("from"), request.args.get("to"))
    return gateway().supervision.report(agent, dates, time.time())


@bp.get("/agent/api/reports")
@api(role="supervisor")
def report(agent: Agent) -> ResponseReturnValue:
    """Figures of a date range: per day, overall, per agent and per skill."""
    return jsonify(report_of_request(agent))


@bp.get("/agent/api/reports.csv")
@api(role="supervisor")
def report_download(agent: Agent) -> ResponseReturnValue:
    """The same report as a CSV file to download."""
    found = report_of_request(agent)
    name = f"tandem-report-{found['from']}-to-{found['to']}.csv"
    return Response(
        report_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
