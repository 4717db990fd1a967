"""Canned responses on a real SQLite file: seeds, edits, rendering, and hostile templates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from handoff.records.canned import (
    DEFAULTS,
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    CannedExists,
    CannedResponses,
    InvalidCanned,
    RenderError,
    UnknownCanned,
    variables,
)
from handoff.stores.conversations import Conversation

CUSTOMER = {"customer": {"name": "Maria Garcia", "id": "C-1001", "verified": True}}
# The customer as the website's token gives it.
TOKEN = {"customer_id": "C-1001", "name": "Maria Garcia", "verified": True}


@pytest.fixture
def canned(tmp_path: Path) -> Iterator[CannedResponses]:
    store = CannedResponses(f"sqlite:///{tmp_path / 'db' / 'tandem.db'}")
    store.create_schema()
    yield store
    store.close()


def conversation(customer: dict, slots: dict | None = None) -> Conversation:
    return Conversation(
        id="c1",
        mode="assigned",
        agent_id="ann",
        skill="billing",
        priority="normal",
        reason="explicit_request",
        packet={"slots": slots or {}},
        customer=customer,
        created_at=1.0,
        queued_at=2.0,
        assigned_at=3.0,
        first_agent_reply_at=None,
        closed_at=None,
        resolution=None,
        csat=None,
        last_seq=4,
    )


def test_an_empty_table_is_seeded_once(canned: CannedResponses) -> None:
    assert sorted(c.title for c in canned.all()) == sorted(title for title, _ in DEFAULTS)
    canned.create_schema()
    assert len(canned.all()) == len(DEFAULTS)


def test_supervisors_add_edit_and_delete(canned: CannedResponses) -> None:
    added = canned.add("Refund", "Your refund is on its way, {{ customer.name }}.", by="sue")
    assert canned.get(added.id).updated_by == "sue"
    edited = canned.edit(added.id, "Refund sent", "Refunded.", by="sam")
    assert (edited.title, edited.body, edited.updated_by) == ("Refund sent", "Refunded.", "sam")
    canned.delete(added.id)
    with pytest.raises(UnknownCanned):
        canned.get(added.id)
    with pytest.raises(UnknownCanned):
        canned.delete(added.id)
    with pytest.raises(UnknownCanned):
        canned.edit(added.id, "Gone", "Gone", by="sam")


def test_titles_are_unique(canned: CannedResponses) -> None:
    with pytest.raises(CannedExists, match="already called 'Greeting'"):
        canned.add(" Greeting ", "Hi", by="sue")


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("", "Hi", "title must be 1 to"),
        ("x" * (MAX_TITLE_CHARS + 1), "Hi", "title must be 1 to"),
        ("Empty", "   ", "text must be 1 to"),
        ("Long", "x" * (MAX_BODY_CHARS + 1), "text must be 1 to"),
        ("Broken", "Hello {{ customer.name", "syntax error"),
    ],
)
def test_bad_fields_are_refused_with_the_reason(
    canned: CannedResponses, title: str, body: str, message: str
) -> None:
    with pytest.raises(InvalidCanned, match=message):
        canned.add(title, body, by="sue")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "'__mro__' is not a field"),
        ("{{ customer['__class__'] }}", "'__class__' is not a field"),
        ("{{ customer.name.__class__ }}", "'__class__' is not a field"),
        ("{{ cycler.__init__.__globals__ }}", "'__globals__' is not a field"),
        ("{{ config }}", "Unknown variable 'config'"),
        ("{{ lipsum() }}", "Call is not allowed"),
        ("{{ customer.name.upper() }}", "Call is not allowed"),
        ("{% for i in range(10) %}x{% endfor %}", "For is not allowed"),
        ("{{ 'x' * 1000000000 }}", "Mul is not allowed"),
        ("{{ 9 ** 9 ** 9 }}", "Pow is not allowed"),
        ("{% include 'x' %}", "Include is not allowed"),
        ("{% set a = 1 %}", "Assign is not allowed"),
        ("{{ customer | attr('__class__') }}", "Unknown filter 'attr'"),
        ("{{ customer[slots.x] }}", "fixed name"),
    ],
)
def test_hostile_templates_are_refused_before_they_run(
    canned: CannedResponses, body: str, message: str
) -> None:
    with pytest.raises(InvalidCanned, match=message):
        canned.add("Hostile", body, by="sue")


def test_render_fills_in_the_customer(canned: CannedResponses) -> None:
    greeting = next(c for c in canned.all() if c.title == "Greeting")
    text = canned.render(greeting.id, {**CUSTOMER, "slots": {}, "agent": {"name": "Ann Lee"}})
    assert text.startswith("Hello Maria Garcia, I'm Ann Lee")


def test_an_anonymous_customer_gets_the_default(canned: CannedResponses) -> None:
    greeting = next(c for c in canned.all() if c.title == "Greeting")
    anonymous = variables(conversation({}), "Ann Lee")
    assert canned.render(greeting.id, anonymous).startswith("Hello there, I'm Ann Lee")


def test_a_missing_variable_is_a_clear_render_error(canned: CannedResponses) -> None:
    added = canned.add("Street", "We have {{ slots.street }} on file.", by="sue")
    with pytest.raises(RenderError, match="could not be filled in: .*'street'"):
        canned.render(added.id, variables(conversation({}), "Ann Lee"))


def test_text_is_not_escaped_nor_interpreted(canned: CannedResponses) -> None:
    added = canned.add("Echo", "{{ customer.name }}", by="sue")
    hostile = "<img src=x onerror=alert(1)> {{ 7 * 7 }}"
    text = canned.render(added.id, variables(conversation({"name": hostile}), "Ann"))
    assert text == hostile  # plain text: the console shows it with textContent


def test_variables_hold_only_plain_values() -> None:
    found = variables(
        conversation(
            {"customer_id": "C-1", "name": "Maria", "verified": True},
            {"street": "1 Main St", "payment_amount": 12.5, "verified": True},
        ),
        "Ann Lee",
    )
    assert found == {
        "customer": {"verified": True, "name": "Maria", "id": "C-1"},
        "slots": {"street": "1 Main St", "payment_amount": 12.5, "verified": True},
        "agent": {"name": "Ann Lee"},
    }
    from_slots = variables(conversation({}, {"customer_id": "C-2", "verified": False}), "Ann")
    assert from_slots["customer"] == {"verified": False, "id": "C-2"}


def test_verified_switches_the_text(canned: CannedResponses) -> None:
    verify = next(c for c in canned.all() if c.title == "Verify identity")
    assert "already verified" in canned.render(verify.id, variables(conversation(TOKEN), "A"))
    unverified = variables(conversation({}), "A")
    assert "need to verify" in canned.render(verify.id, unverified)
