"""Transcript review (records/reviews.py, records/review_form.py) on real SQLite and
PostgreSQL: what search finds, and reviews kept, edited and shown to their agent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect, text

from handoff.records.archive import Archive, tickets
from handoff.records.reports import DateRange, InvalidRange
from handoff.records.review_form import DEFAULT_PATH, InvalidForm, InvalidScores, ReviewForm
from handoff.records.reviews import (
    PAGE_SIZE,
    InvalidReview,
    InvalidSearch,
    NoAgent,
    Reviews,
    Search,
    UnknownChat,
)
from tests.handoff.test_archive import T0, closed, message
from tests.handoff.test_reports import archive, database_url, postgres

__all__ = ["archive", "database_url", "postgres"]  # fixtures: both engines

DAY = DateRange.day_of(T0)
SCORES = {"greeting": 5, "resolution": 4, "tone": 5, "policy": "yes"}


@pytest.fixture
def reviews(archive: Archive) -> Reviews:
    return Reviews(archive.database_url)


def search(reviews: Reviews, **filters: Any) -> list[str]:
    """The ids search finds on T0's day with ``filters``."""
    found = reviews.search(Search(DAY, **filters))
    return [row["id"] for row in found["conversations"]]


def keep(archive: Archive, conversation_id: str, lines: list[str], **fields: Any) -> None:
    """A chat closed by ann on T0's day whose customer wrote ``lines``."""
    messages = [message(1, "bot", "Hello, I am the assistant.")]
    messages += [message(n, "customer", line) for n, line in enumerate(lines, start=2)]
    archive.archive(closed(conversation_id, **fields), messages)


def test_search_filters_the_chats_of_the_range_newest_first(
    archive: Archive, reviews: Reviews
) -> None:
    keep(archive, "a", ["I was charged twice"], csat=5)
    keep(archive, "b", ["Change my address"], closed_at=T0 + 400, agent_id="ben", skill="account")
    keep(archive, "c", ["Old one"], closed_at=T0 - 86400 * 3)
    keep(archive, "d", ["Left"], closed_at=T0 + 500, resolution="unresolved", reason="explicit")
    assert search(reviews) == ["d", "b", "a"]
    assert search(reviews, agent="ben") == ["b"]
    assert search(reviews, skill="billing", resolution="resolved") == ["a"]
    assert search(reviews, reason="explicit") == ["d"]
    assert search(reviews, csat=5) == ["a"]
    first = reviews.search(Search(DAY))["conversations"][1]
    assert (first["agent_id"], first["agent"], first["tickets"], first["reviewers"]) == (
        "ben",
        "Ben Ode",
        [],
        [],
    )


def test_text_search_reads_every_line_case_aside_with_wildcards_literal(
    archive: Archive, reviews: Reviews
) -> None:
    keep(archive, "percent", ["I got 50% off"])
    keep(archive, "fifty", ["I got 50 euros off"])
    keep(archive, "under", ["my user_name is wrong"])
    keep(archive, "user", ["my username is wrong"])
    assert search(reviews, text="CHARGED") == []
    assert sorted(search(reviews, text="50%")) == ["percent"]
    assert search(reviews, text="user_") == ["under"]
    assert sorted(search(reviews, text="USER")) == ["under", "user"]
    # The bot's part is searched too.
    assert len(search(reviews, text="the assistant")) == 4


def test_search_finds_a_chat_by_its_ticket(archive: Archive, reviews: Reviews) -> None:
    keep(archive, "a", ["no one came"], agent_id=None, assigned_at=None)
    keep(archive, "b", ["fine"])
    ticket = "TKT-0A1B2C3D"
    with archive._engine.begin() as conn:  # as create_ticket keeps it, without the mail
        conn.execute(
            insert(tickets).values(
                id=ticket, conversation_id="a", email="dana@example.com", created_at=T0
            )
        )
    assert search(reviews, text=ticket.lower()) == ["a"]
    assert search(reviews, with_ticket=True) == ["a"]
    assert reviews.search(Search(DAY, with_ticket=True))["conversations"][0]["tickets"] == [ticket]


def test_search_pages(archive: Archive, reviews: Reviews) -> None:
    for n in range(PAGE_SIZE + 2):
        keep(archive, f"chat-{n:02}", ["hi"], closed_at=T0 + n)
    first = reviews.search(Search(DAY))
    second = reviews.search(Search(DAY, page=2))
    assert (len(first["conversations"]), first["more"]) == (PAGE_SIZE, True)
    assert [row["id"] for row in second["conversations"]] == ["chat-01", "chat-00"]
    assert second["more"] is False


def test_search_parses_the_query_string() -> None:
    query = Search.parse({"from": "2026-11-01", "to": "2026-11-30", "csat": "4", "text": " x "})
    assert (query.csat, query.text, query.page, query.agent) == (4, "x", 1, None)
    for args, message_part in (
        ({"csat": "6"}, "'csat'"),
        ({"page": "0"}, "'page'"),
        ({"text": "x" * 201}, "'text'"),
        ({"ticket": "maybe"}, "'ticket'"),
    ):
        with pytest.raises(InvalidSearch, match=message_part):
            Search.parse({"from": "2026-11-01", "to": "2026-11-30", **args})
    with pytest.raises(InvalidRange):
        Search.parse({"from": "2026-11-30", "to": "2026-11-01"})


def test_a_review_is_kept_edited_and_shown_to_the_agent(archive: Archive, reviews: Reviews) -> None:
    keep(archive, "a", ["hi"])
    first = reviews.save("a", "sue", SCORES, " Good work. ", T0 + 1000)
    assert (first["agent_id"], first["comment"], first["scores"]) == ("ann", "Good work.", SCORES)
    edited = reviews.save("a", "sue", {**SCORES, "tone": 3}, "Mind the tone.", T0 + 2000)
    assert (edited["created_at"], edited["updated_at"]) == (T0 + 1000, T0 + 2000)
    reviews.save("a", "ann", SCORES, "", T0 + 3000)  # a second reviewer, a second review
    mine = reviews.of_agent("ann")
    assert [(r["reviewer_id"], r["scores"]["tone"]) for r in mine] == [("ann", 5), ("sue", 3)]
    assert mine[1]["reviewer"] == "sue"  # not in the directory: the login
    assert mine[0]["reviewer"] == "Ann Lee"
    assert reviews.of_agent("ben") == []
    assert search(reviews)[0] == "a"
    assert sorted(reviews.search(Search(DAY))["conversations"][0]["reviewers"]) == ["ann", "sue"]


def test_a_review_needs_a_closed_chat_with_an_agent(archive: Archive, reviews: Reviews) -> None:
    keep(archive, "ticket-only", ["no one came"], agent_id=None)
    with pytest.raises(UnknownChat):
        reviews.save("nope", "sue", SCORES, "", T0)
    with pytest.raises(NoAgent):
        reviews.save("ticket-only", "sue", SCORES, "", T0)
    keep(archive, "a", ["hi"])
    with pytest.raises(InvalidReview):
        reviews.save("a", "sue", SCORES, "x" * 2001, T0)


def test_an_older_database_gets_the_reviews_table(archive: Archive) -> None:
    with archive._engine.begin() as conn:
        conn.execute(text("DROP TABLE reviews"))
    archive.create_schema()
    with archive._engine.connect() as conn:
        indexes = {index["name"] for index in inspect(conn).get_indexes("reviews")}
    assert "ix_reviews_agent" in indexes


# --- the form ---------------------------------------------------------------------------


def test_the_shipped_form_has_the_four_criteria() -> None:
    form = ReviewForm.load()
    assert [c.name for c in form.criteria] == ["greeting", "resolution", "tone", "policy"]
    assert form.criteria[0].choices == [1, 2, 3, 4, 5]
    assert form.criteria[3].choices == ["yes", "no"]
    assert form.scores(SCORES) == SCORES


@pytest.mark.parametrize(
    "given, complaint",
    [
        ({**SCORES, "tone": 6}, "'tone' needs one of: 1, 2, 3, 4, 5"),
        ({**SCORES, "tone": True}, "'tone'"),
        ({**SCORES, "policy": 1}, "'policy' needs one of: yes, no"),
        ({k: v for k, v in SCORES.items() if k != "greeting"}, "'greeting'"),
        ({**SCORES, "speed": 3}, "'speed' is not a criterion"),
        ([5, 4], "must be an object"),
    ],
)
def test_scores_must_fit_the_form(given: Any, complaint: str) -> None:
    with pytest.raises(InvalidScores, match=complaint):
        ReviewForm.load().scores(given)


@pytest.mark.parametrize(
    "text, complaint",
    [
        ("criteria: [\n", "line 2: not valid YAML"),
        ("", "empty"),
        ("criteria: []\n", "line 1: 'criteria' must be a list"),
        (
            "criteria:\n  - name: tone\n    question: Kind?\n",
            "line 2: the criterion has no 'scale'",
        ),
        (
            "criteria:\n  - name: tone\n    question: Kind?\n    scale: 2-5\n",
            "line 4: the scale '2-5'",
        ),
        (
            "criteria:\n  - name: Tone\n    question: Kind?\n    scale: 1-5\n",
            "line 2: the name 'Tone'",
        ),
        (
            "criteria:\n  - name: tone\n    question: Kind?\n    scale: 1-5\n    weight: 2\n",
            "line 5: unknown key 'weight'",
        ),
        (
            "criteria:\n  - {name: a, question: q, scale: 1-5}\n"
            "  - {name: a, question: q, scale: yes/no}\n",
            "line 3: 'a' is there twice",
        ),
        ("criterion:\n  - x\n", "line 1: the file holds 'criteria'"),
    ],
)
def test_a_malformed_form_names_its_file_and_line(text: str, complaint: str) -> None:
    with pytest.raises(InvalidForm, match=complaint):
        ReviewForm.parse(text, "review_form.yml")


def test_a_missing_form_names_its_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidForm, match="nowhere.yml: cannot read"):
        ReviewForm.load(tmp_path / "nowhere.yml")
    assert DEFAULT_PATH.name == "review_form.yml"
