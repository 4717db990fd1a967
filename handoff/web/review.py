"""Transcript review's API, with the console API's login, role, rate, JSON and header checks.

Supervisors search the archive, open a closed chat (the whole transcript, the bot's part
included, and the handoff packet) and keep a review of it; every reading is logged, since
supervisors see everything. An agent reads the reviews of their own chats: another's chat
is "not found", the same as one that does not exist. docs/review.md.
"""

from __future__ import annotations

import logging
import time

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from handoff.records.agents import Agent
from handoff.records.review_form import InvalidScores, ReviewForm
from handoff.records.reviews import (
    InvalidReview,
    InvalidSearch,
    NoAgent,
    ReviewError,
    Reviews,
    Search,
    UnknownChat,
)
from handoff.web.console import (
    ApiError,
    api,
    api_blueprint,
    api_error,
    gateway,
    json_body,
    text_field,
)

log = logging.getLogger(__name__)

bp = api_blueprint("review", __name__)

# How the API answers each refusal: HTTP status and error code.
REVIEW_ERRORS: dict[type[ReviewError], tuple[int, str]] = {
    InvalidSearch: (400, "bad_search"),
    InvalidReview: (400, "bad_review"),
    UnknownChat: (404, "unknown_conversation"),
    NoAgent: (409, "no_agent"),
}


@bp.errorhandler(ReviewError)
def review_error(error: ReviewError) -> ResponseReturnValue:
    status, code = REVIEW_ERRORS[type(error)]
    return api_error(ApiError(status, code, str(error)))


def reviews() -> Reviews:
    store: Reviews = current_app.extensions["tandem"].reviews
    return store


def review_form() -> ReviewForm:
    form: ReviewForm = current_app.extensions["tandem"].review_form
    return form


@bp.get("/agent/api/archive")
@api(role="supervisor")
def search_archive(agent: Agent) -> ResponseReturnValue:
    """A page of the closed chats that match the query string's filters, newest first."""
    query = Search.parse(request.args)
    log.info(
        "Supervisor %s searched the archive (%s to %s).",
        agent.id,
        query.dates.first,
        query.dates.last,
    )
    return jsonify(reviews().search(query))


@bp.get("/agent/api/archive/<conversation_id>")
@api(role="supervisor")
def archived_chat(agent: Agent, conversation_id: str) -> ResponseReturnValue:
    """A closed chat to review: its transcript and packet, its reviews, and the form."""
    found = gateway().archive.conversation(conversation_id)
    if found is None:
        raise UnknownChat("No closed chat has this id.")
    log.info("Supervisor %s opened archived conversation %s.", agent.id, conversation_id)
    conversation, messages = found
    login = conversation["agent_id"]
    conversation["agent"] = reviews().agent_names({login}).get(login, login) if login else None
    return jsonify(
        conversation=conversation,
        messages=messages,
        reviews=reviews().of_conversation(conversation_id),
        form=review_form().for_browser(),
    )


@bp.put("/agent/api/archive/<conversation_id>/review")
@api(role="supervisor")
def save_review(agent: Agent, conversation_id: str) -> ResponseReturnValue:
    """Keep the supervisor's review of a closed chat, or change the one they made."""
    body = json_body()
    try:
        scores = review_form().scores(body.get("scores"))
    except InvalidScores as error:
        raise ApiError(400, "bad_review", str(error)) from None
    comment = text_field(body, "comment") if "comment" in body else ""
    saved = reviews().save(conversation_id, agent.id, scores, comment, time.time())
    log.info("Supervisor %s reviewed conversation %s.", agent.id, conversation_id)
    return jsonify(review=saved)


@bp.get("/agent/api/reviews")
@api()
def my_reviews(agent: Agent) -> ResponseReturnValue:
    """The reviews of the agent's own chats, the latest first, with the form's questions."""
    return jsonify(reviews=reviews().of_agent(agent.id), form=review_form().for_browser())


@bp.get("/agent/api/reviews/<conversation_id>")
@api()
def chat_reviews(agent: Agent, conversation_id: str) -> ResponseReturnValue:
    """The reviews of one chat: any chat's for supervisors, only their own chats' for agents."""
    found = reviews().of_conversation(conversation_id)
    if agent.role != "supervisor" and any(r["agent_id"] != agent.id for r in found):
        found = []
    if not found:
        # Never reviewed, never closed, or someone else's: the same answer.
        raise UnknownChat("No reviews of this chat.")
    return jsonify(reviews=found)
