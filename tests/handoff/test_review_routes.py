"""Transcript review's API through Flask's test client: who may search, read and review,
what bad input gets, and that an agent reads only the reviews of their own chats."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask

from handoff.records.archive import Archive
from tests.handoff.test_archive import MESSAGES, T0, closed
from tests.handoff.test_console_routes import app, client_of, gateway_of

__all__ = ["app"]  # the fixture, from the console's tests

DAY = datetime.fromtimestamp(T0, timezone.utc).date().isoformat()
SEARCH = f"/agent/api/archive?from={DAY}&to={DAY}"
SCORES = {"greeting": 5, "resolution": 4, "tone": 5, "policy": "yes"}


def archived(app: Flask) -> None:
    """ann's chat "a" (the transcript of test_archive) and bob's chat "b", closed on T0's day."""
    archive: Archive = gateway_of(app).archive
    archive.archive(closed("a"), MESSAGES)
    archive.archive(closed("b", agent_id="bob", closed_at=T0 + 400), [])


def test_search_and_reading_are_for_supervisors_only(app: Flask) -> None:
    archived(app)
    for url in (SEARCH, "/agent/api/archive/a"):
        anonymous = client_of(app, None).get(url)
        assert (anonymous.status_code, anonymous.get_json()["error"]) == (401, "not_logged_in")
        agent = client_of(app, "ann").get(url)
        assert (agent.status_code, agent.get_json()["error"]) == (403, "forbidden")
    refused = client_of(app, "ann").put("/agent/api/archive/a/review", json={"scores": SCORES})
    assert refused.status_code == 403


def test_a_supervisor_finds_reads_and_reviews_a_chat(app: Flask) -> None:
    archived(app)
    sue = client_of(app, "sue")
    found = sue.get(f"{SEARCH}&text=CHARGED%20twice")
    assert found.status_code == 200
    assert found.headers["Cache-Control"] == "no-store"
    assert [(c["id"], c["agent"]) for c in found.get_json()["conversations"]] == [("a", "Ann Lee")]
    assert [c["id"] for c in sue.get(SEARCH).get_json()["conversations"]] == ["b", "a"]
    chat = sue.get("/agent/api/archive/a").get_json()
    assert [m["kind"] for m in chat["messages"]] == ["customer", "bot", "system", "agent"]
    assert chat["conversation"]["packet"]["reason"] == "failed_task"
    assert chat["conversation"]["agent"] == "Ann Lee"
    assert [c["name"] for c in chat["form"]] == ["greeting", "resolution", "tone", "policy"]
    assert chat["reviews"] == []
    saved = sue.put("/agent/api/archive/a/review", json={"scores": SCORES, "comment": "Nice"})
    assert saved.status_code == 200
    assert saved.get_json()["review"]["reviewer"] == "Sue Park"
    again = sue.put("/agent/api/archive/a/review", json={"scores": {**SCORES, "tone": 2}})
    assert (
        again.get_json()["review"]["comment"],
        again.get_json()["review"]["scores"]["tone"],
    ) == (
        "",
        2,
    )
    assert len(sue.get("/agent/api/archive/a").get_json()["reviews"]) == 1


def test_the_agent_reads_the_reviews_of_their_own_chats_only(app: Flask) -> None:
    archived(app)
    sue = client_of(app, "sue")
    for chat in ("a", "b"):
        sue.put(f"/agent/api/archive/{chat}/review", json={"scores": SCORES, "comment": chat})
    ann, bob = client_of(app, "ann"), client_of(app, "bob")
    mine = ann.get("/agent/api/reviews").get_json()
    assert [(r["conversation_id"], r["comment"]) for r in mine["reviews"]] == [("a", "a")]
    assert mine["form"][0]["question"]
    assert ann.get("/agent/api/reviews/a").get_json()["reviews"][0]["scores"] == SCORES
    # bob's chat, and a chat that does not exist: the same answer.
    others = ann.get("/agent/api/reviews/b")
    missing = ann.get("/agent/api/reviews/nope")
    assert (others.status_code, others.get_json()) == (missing.status_code, missing.get_json())
    assert others.status_code == 404
    assert [r["conversation_id"] for r in bob.get("/agent/api/reviews").get_json()["reviews"]] == [
        "b"
    ]
    assert sue.get("/agent/api/reviews/b").status_code == 200


def test_bad_input_gets_a_400_that_says_what(app: Flask) -> None:
    archived(app)
    sue = client_of(app, "sue")
    for query, code, words in (
        ("", "bad_range", "'from'"),
        (f"?from={DAY}&to={DAY}&csat=9", "bad_search", "'csat'"),
        (f"?from={DAY}&to={DAY}&page=x", "bad_search", "'page'"),
    ):
        answer = sue.get(f"/agent/api/archive{query}")
        assert (answer.status_code, answer.get_json()["error"]) == (400, code)
        assert words in answer.get_json()["message"]
    review = "/agent/api/archive/a/review"
    for body, words in (
        ({"scores": {**SCORES, "tone": 7}}, "'tone'"),
        ({"scores": SCORES, "comment": 3}, "'comment'"),
        ({"scores": SCORES, "comment": "x" * 2001}, "2000"),
        ([1], "JSON object"),
    ):
        answer = sue.put(review, json=body)
        assert answer.status_code == 400, body
        assert words in answer.get_json()["message"]
    assert sue.put(review, data="scores", content_type="text/plain").status_code == 415
    missing = sue.put("/agent/api/archive/nope/review", json={"scores": SCORES})
    assert (missing.status_code, missing.get_json()["error"]) == (404, "unknown_conversation")
    assert sue.get("/agent/api/archive/nope").status_code == 404
    gateway_of(app).archive.archive(closed("c", agent_id=None, assigned_at=None), [])
    nobody = sue.put("/agent/api/archive/c/review", json={"scores": SCORES})
    assert (nobody.status_code, nobody.get_json()["error"]) == (409, "no_agent")


def test_a_review_from_another_sites_page_is_refused(app: Flask) -> None:
    archived(app)
    answer = client_of(app, "sue").put(
        "/agent/api/archive/a/review",
        json={"scores": SCORES},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert (answer.status_code, answer.get_json()["error"]) == (403, "foreign_origin")
    assert "Content-Security-Policy" in client_of(app, "sue").get(SEARCH).headers
