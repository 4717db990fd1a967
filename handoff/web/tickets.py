"""The tickets' API, with the console API's login, rate, JSON, origin and header checks.

Agents list and work the tickets assigned to them and the unassigned ones of their
skills; supervisors all of them, with the backlog. A ticket an agent may not see is
``unknown_ticket``, as one that does not exist. Every change carries the client's
``message_id`` and is applied once: a repeat is answered as the first was.
docs/tickets.md has the whole contract.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from handoff.records.agents import Agent, AgentDirectory, UnknownAgent
from handoff.records.tickets import Forbidden, InvalidChange
from handoff.service.commands import MESSAGE_ID
from handoff.web import console
from handoff.web.console import ApiError, api, gateway, json_body, text_field

bp = console.api_blueprint("tickets", __name__)


@bp.errorhandler(InvalidChange)
def invalid_change(error: InvalidChange) -> ResponseReturnValue:
    return console.api_error(ApiError(400, "bad_request", str(error)))


@bp.errorhandler(Forbidden)
def forbidden(error: Forbidden) -> ResponseReturnValue:
    return console.api_error(ApiError(403, "forbidden", str(error)))


def directory() -> AgentDirectory:
    found: AgentDirectory = current_app.extensions["tandem"].directory
    return found


def message_id_of(body: dict[str, Any]) -> str:
    """The change's client message id: required, 1 to 64 visible ASCII characters."""
    value = body.get("message_id")
    if not isinstance(value, str) or not MESSAGE_ID.fullmatch(value):
        raise ApiError(400, "bad_request", "'message_id' is 1 to 64 visible ASCII characters.")
    return value


@bp.get("/agent/api/tickets")
@api()
def inbox(agent: Agent) -> ResponseReturnValue:
    """Tickets of a view (mine, queue, all) and a status; the backlog for supervisors."""
    view = request.args.get("view", "mine")
    return jsonify(gateway().tickets.inbox(agent, view, request.args.get("status")))


@bp.get("/agent/api/tickets/<ticket_id>")
@api()
def ticket(agent: Agent, ticket_id: str) -> ResponseReturnValue:
    """One ticket: its messages, the archived chat it came from and the customer."""
    return jsonify(gateway().tickets.open(agent, ticket_id))


@bp.post("/agent/api/tickets/<ticket_id>/reply")
@api()
def reply(agent: Agent, ticket_id: str) -> ResponseReturnValue:
    """Answer the customer by mail; the ticket waits on them (``pending``) unless told."""
    body = json_body()
    status = text_field(body, "status") if "status" in body else "pending"
    answer = gateway().tickets.answer(
        agent, ticket_id, text_field(body, "text"), message_id_of(body), status
    )
    return jsonify(answer)


@bp.post("/agent/api/tickets/<ticket_id>/note")
@api()
def note(agent: Agent, ticket_id: str) -> ResponseReturnValue:
    """An internal note, never mailed."""
    body = json_body()
    answer = gateway().tickets.note(agent, ticket_id, text_field(body, "text"), message_id_of(body))
    return jsonify(answer)


@bp.post("/agent/api/tickets/<ticket_id>/status")
@api()
def set_status(agent: Agent, ticket_id: str) -> ResponseReturnValue:
    body = json_body()
    answer = gateway().tickets.set_status(
        agent, ticket_id, text_field(body, "status"), message_id_of(body)
    )
    return jsonify(answer)


@bp.post("/agent/api/tickets/<ticket_id>/assign")
@api()
def assign(agent: Agent, ticket_id: str) -> ResponseReturnValue:
    """Take or release a ticket; supervisors give any ticket to any agent."""
    body = json_body()
    if "agent_id" not in body:
        raise ApiError(400, "bad_request", "Give 'agent_id' (a login, or null to release).")
    agent_id = None
    if body["agent_id"] is not None:
        try:
            agent_id = directory().get(text_field(body, "agent_id")).id
        except UnknownAgent:
            raise ApiError(400, "bad_request", "No agent has this login.") from None
    answer = gateway().tickets.assign(agent, ticket_id, agent_id, message_id_of(body))
    return jsonify(answer)
