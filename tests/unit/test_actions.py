"""Task actions and form validation, run on small trackers against a real SQLite backend."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.accounts import AccountClient
from actions.address import ActionChangeAddress, ValidateAddressForm
from actions.backend import account_client, reset_tokens, verification_guard
from actions.balance import ActionShowBalance, ValidateBalanceForm
from actions.conversation import ActionCancelTask
from actions.handoff import ActionFallback, ActionHandoff
from actions.password_reset import ActionResetPassword, ValidatePasswordResetForm
from actions.payment import ActionPayBill, ActionSettlePayment, ValidatePaymentForm
from actions.server import prepare_database
from bot.demo import seed_customers
from core.mail import Outbox
from core.settings import ROOT, Settings

DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
DANA = {"verified": True, "verified_at": time.time(), "customer_id": "ACC-1001"}


@pytest.fixture(autouse=True)
def backend(database_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AccountClient]:
    """The actions' own client, on this test's fresh, seeded SQLite file."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database_path}")
    account_client.cache_clear()
    seed_customers(f"sqlite:///{database_path}")
    prepare_database(Settings.from_env())
    reset_tokens.cache_clear()
    verification_guard.cache_clear()
    client = account_client()
    yield client
    client.close()
    account_client.cache_clear()
    reset_tokens().close()
    reset_tokens.cache_clear()
    verification_guard.cache_clear()


def user(text: str, intent: str = "inform", confidence: float = 0.9, **entities: str) -> dict:
    """A parsed customer message, as Rasa sends it to the action server."""
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": name, "value": value} for name, value in entities.items()],
    }


def tracker(
    message: dict,
    slots: dict[str, Any] | None = None,
    form: str | None = None,
    asked: str | None = None,
    history: list[dict] | None = None,
) -> Tracker:
    """A tracker whose latest message is ``message``, in ``form`` asking for ``asked``."""
    events = [
        {"event": "user", "text": m["text"], "parse_data": m, "timestamp": 1.0}
        for m in [*(history or []), message]
    ]
    return Tracker(
        sender_id="conversation-1",
        slots={**(slots or {}), "requested_slot": asked},
        latest_message=message,
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name="action_listen",
    )


def run(action: Action, tracked: Tracker) -> tuple[dict[str, Any], list[dict]]:
    """Run an action; return the slots it set (last value wins) and what it said."""
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracked, DOMAIN)
    if asyncio.iscoroutine(events):
        events = asyncio.run(events)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return slots, dispatcher.messages


def said(messages: list[dict]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


def packet(messages: list[dict]) -> dict[str, Any]:
    (handoff,) = [m["custom"]["handoff"] for m in messages if m.get("custom")]
    return handoff


# --- verification -------------------------------------------------------------------


def test_verification_with_the_right_digits() -> None:
    slots, messages = run(
        ValidatePaymentForm(),
        tracker(
            user("4821"), {"account_identifier": "dana@example.com"}, "payment_form", "phone_last4"
        ),
    )
    assert slots["verified"] is True
    assert slots["customer_id"] == "ACC-1001"
    assert slots["phone_last4"] is None and slots["account_identifier"] is None
    assert slots["requested_slot"] == "payment_amount"
    assert said(messages) == ["utter_verified"]


def test_verification_with_wrong_digits_starts_again_then_offers_a_person() -> None:
    first = tracker(
        user("1111"), {"account_identifier": "dana@example.com"}, "address_form", "phone_last4"
    )
    slots, messages = run(ValidateAddressForm(), first)
    assert "verified" not in slots and slots["account_identifier"] is None
    assert said(messages) == ["utter_verification_failed"]
    again = tracker(
        user("2222"),
        {
            "account_identifier": "dana@example.com",
            "validation_failures": slots["validation_failures"],
        },
        "address_form",
        "phone_last4",
    )
    _, messages = run(ValidateAddressForm(), again)
    assert said(messages) == ["utter_explain_phone_last4", "utter_offer_human"]


def test_identifier_and_digits_in_the_first_message() -> None:
    message = user(
        "pay my bill, I'm dana@example.com and the last 4 are 4821",
        "pay_bill",
        email="dana@example.com",
    )
    slots, _ = run(ValidatePaymentForm(), tracker(message, form="payment_form"))
    assert slots["verified"] is True


def test_unknown_identifier_gets_the_same_answer_as_wrong_digits() -> None:
    wrong_account = tracker(
        user("4821"), {"account_identifier": "nobody@example.com"}, "balance_form", "phone_last4"
    )
    wrong_digits = tracker(
        user("0000"), {"account_identifier": "dana@example.com"}, "balance_form", "phone_last4"
    )
    assert (
        run(ValidateBalanceForm(), wrong_account)[1] == run(ValidateBalanceForm(), wrong_digits)[1]
    )


def test_a_third_failure_locks_the_account_with_the_same_words_whether_or_not_it_exists() -> None:
    for identifier in ("dana@example.com", "nobody@example.com"):
        answers, alerts = [], []
        for attempt in range(4):
            # a new conversation each time: the lock is not in the tracker
            guess = tracker(
                user("0000"), {"account_identifier": identifier}, "balance_form", "phone_last4"
            )
            guess.sender_id = f"{identifier}-{attempt}"
            messages = run(ValidateBalanceForm(), guess)[1]
            answers.append(said(messages))
            alerts.append([m["custom"] for m in messages if m.get("custom")])
        assert answers[:2] == [["utter_verification_failed"]] * 2
        assert answers[2:] == [["utter_verification_locked"]] * 2
        # supervisors hear of the lock once, when it starts
        assert alerts == [[], [], [{"security_alert": {"kind": "verification_locked"}}], []]
    right = tracker(
        user("4821"), {"account_identifier": "dana@example.com"}, "balance_form", "phone_last4"
    )
    right.sender_id = "another"
    slots, messages = run(ValidateBalanceForm(), right)
    assert "verified" not in slots and said(messages) == ["utter_verification_locked"]


def test_verification_expires() -> None:
    stale = {"verified": True, "verified_at": time.time() - 16 * 60, "customer_id": "ACC-1001"}
    _, messages = run(ActionShowBalance(), tracker(user("balance", "check_balance"), stale))
    assert said(messages) == ["utter_balance_needs_verification"]
    _, messages = run(ActionShowBalance(), tracker(user("balance", "check_balance"), DANA))
    assert said(messages) == ["utter_balance"]


# --- bill payment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "answer"),
    [
        ("fifty", "50.00", None),
        ("$50.00", "50.00", None),
        ("all of it", "120.50", None),
        ("-5", None, "utter_amount_not_positive"),
        ("1e9", None, "utter_invalid_amount"),
        ("500", None, "utter_amount_over_balance"),
        ("🙂🙂", None, "utter_invalid_amount"),
        ("x" * 5000, None, "utter_invalid_amount"),
    ],
)
def test_amounts(text: str, amount: str | None, answer: str | None) -> None:
    slots, messages = run(
        ValidatePaymentForm(), tracker(user(text), DANA, "payment_form", "payment_amount")
    )
    assert slots["payment_amount"] == amount
    assert said(messages) == ([answer] if answer else [])
    if amount:
        assert slots["payment_key"] and slots["requested_slot"] == "payment_confirmed"


def test_full_balance_button() -> None:
    message = user('/inform{"amount": "full"}', amount="full")
    slots, _ = run(ValidatePaymentForm(), tracker(message, DANA, "payment_form", "payment_amount"))
    assert slots["payment_amount"] == "120.50"


def test_second_bad_amount_explains_and_offers_a_person() -> None:
    slots, messages = run(
        ValidatePaymentForm(),
        tracker(
            user("lots"),
            {**DANA, "validation_failures": {"payment_amount": 1}},
            "payment_form",
            "payment_amount",
        ),
    )
    assert said(messages) == ["utter_explain_payment_amount", "utter_offer_human"]
    assert messages[0]["balance"] == "$120.50"
    assert slots["validation_failures"] == {"payment_amount": 2}


def test_a_balance_question_leaves_the_amount_unanswered() -> None:
    message = user("what's my balance?", "check_balance")
    slots, messages = run(
        ValidatePaymentForm(), tracker(message, DANA, "payment_form", "payment_amount")
    )
    assert "payment_amount" not in slots and messages == []


def test_nothing_owed_ends_the_form() -> None:
    luis = {"verified": True, "verified_at": time.time(), "customer_id": "ACC-1002"}
    slots, _ = run(
        ValidatePaymentForm(), tracker(user("pay my bill", "pay_bill"), luis, "payment_form")
    )
    assert slots["requested_slot"] is None
    _, messages = run(ActionPayBill(), tracker(user("pay my bill", "pay_bill"), luis))
    assert said(messages) == ["utter_nothing_to_pay"]


def test_saying_no_to_the_payment_asks_for_the_amount_again() -> None:
    slots, messages = run(
        ValidatePaymentForm(),
        tracker(
            user("no", "deny"),
            {**DANA, "payment_amount": "50.00", "payment_key": "k"},
            "payment_form",
            "payment_confirmed",
        ),
    )
    assert slots["payment_amount"] is None and slots["payment_key"] is None
    assert said(messages) == ["utter_payment_not_confirmed"]


def test_payment_is_taken_once_even_if_the_action_runs_twice(backend: AccountClient) -> None:
    confirmed = {
        **DANA,
        "payment_amount": "50.00",
        "payment_key": "key-1",
        "payment_confirmed": True,
    }
    _, first = run(ActionPayBill(), tracker(user("yes", "affirm"), confirmed))
    _, second = run(ActionPayBill(), tracker(user("yes", "affirm"), confirmed))
    assert said(first) == said(second) == ["utter_payment_done"]
    assert first[0]["receipt"] == second[0]["receipt"]
    assert first[0]["card"] == "Visa ending 4242"
    assert backend.get("ACC-1001").balance == Decimal("70.50")


CONFIRMED = {**DANA, "payment_amount": "50.00", "payment_key": "key-1", "payment_confirmed": True}


def test_a_payment_whose_action_never_answered_is_told_at_the_next_turn(
    backend: AccountClient,
) -> None:
    """The action server died after the charge: the tracker still holds the confirmed payment."""
    receipt = backend.pay("ACC-1001", Decimal("50.00"), "key-1")
    slots, messages = run(ActionSettlePayment(), tracker(user("hello?", "greet"), CONFIRMED))
    assert said(messages) == ["utter_payment_went_through"]
    assert messages[0]["receipt"] == receipt.number
    assert slots == dict.fromkeys(
        ("payment_amount", "payment_confirmed", "payment_key", "early_amount")
    )


def test_a_payment_cut_before_its_charge_is_told_as_not_made_and_stays_so(
    backend: AccountClient,
) -> None:
    _, messages = run(ActionSettlePayment(), tracker(user("hello?", "greet"), CONFIRMED))
    assert said(messages) == ["utter_payment_not_made"]
    _, again = run(ActionPayBill(), tracker(user("yes", "affirm"), CONFIRMED))
    assert said(again) == ["utter_payment_not_made"]
    assert backend.get("ACC-1001").balance == Decimal("120.50")


@pytest.mark.parametrize(
    "slots",
    [
        DANA,
        {**DANA, "payment_amount": "50.00", "payment_key": "key-1"},  # not yet confirmed
    ],
    ids=["no payment", "asking for the go-ahead"],
)
def test_settling_at_every_turn_does_nothing_without_an_unfinished_payment(
    backend: AccountClient, slots: dict[str, Any]
) -> None:
    assert run(ActionSettlePayment(), tracker(user("yes", "affirm"), slots)) == ({}, [])
    # Nothing was settled: the payment, once confirmed, still goes through.
    assert backend.pay("ACC-1001", Decimal("50.00"), "key-1").amount == Decimal("50.00")


def test_declined_card_changes_nothing_and_goes_to_billing(backend: AccountClient) -> None:
    priya = {
        "verified": True,
        "verified_at": time.time(),
        "customer_id": "ACC-1003",
        "payment_amount": "10.00",
        "payment_key": "k",
    }
    before = backend.get("ACC-1003").balance
    slots, messages = run(ActionPayBill(), tracker(user("yes", "affirm"), priya))
    assert backend.get("ACC-1003").balance == before
    assert said(messages)[:2] == ["utter_payment_declined", "utter_handoff_failed_task"]
    handoff = packet(messages)
    assert (handoff["reason"], handoff["skill"], handoff["priority"]) == (
        "failed_task",
        "billing",
        "high",
    )
    assert slots["payment_amount"] is None


# --- address change -----------------------------------------------------------------


def test_whole_address_in_the_first_message() -> None:
    message = user(
        "I moved to 12 Oak Street, Springfield, 62704", "change_address", postal_code="62704"
    )
    slots, _ = run(ValidateAddressForm(), tracker(message, DANA, "address_form"))
    assert (slots["street"], slots["city"], slots["postal_code"]) == (
        "12 Oak Street",
        "Springfield",
        "62704",
    )
    assert slots["requested_slot"] == "address_confirmed"


def test_only_missing_parts_are_asked() -> None:
    slots, _ = run(
        ValidateAddressForm(), tracker(user("400 Main St"), DANA, "address_form", "street")
    )
    assert slots["street"] == "400 Main St" and slots["requested_slot"] == "city"


@pytest.mark.parametrize(
    ("asked", "text", "answer"),
    [
        ("postal_code", "6270", "utter_invalid_postal_code"),
        ("postal_code", "ABCDE", "utter_invalid_postal_code"),
        ("city", "<script>alert(1)</script>", "utter_invalid_city"),
        ("street", "Main Street", "utter_invalid_street"),
        ("street", "🏠🏠", "utter_invalid_street"),
    ],
)
def test_bad_address_parts(asked: str, text: str, answer: str) -> None:
    slots, messages = run(ValidateAddressForm(), tracker(user(text), DANA, "address_form", asked))
    assert slots[asked] is None
    assert said(messages) == [answer]


def test_saying_no_to_the_address_asks_for_it_again() -> None:
    filled = {**DANA, "street": "12 Oak Street", "city": "Springfield", "postal_code": "62704"}
    slots, _ = run(
        ValidateAddressForm(),
        tracker(user("no", "deny"), filled, "address_form", "address_confirmed"),
    )
    assert slots["street"] is None and slots["requested_slot"] == "street"


def test_confirmed_address_is_saved_with_a_reference(backend: AccountClient) -> None:
    filled = {
        **DANA,
        "street": "12 Oak Street",
        "city": "Springfield",
        "postal_code": "62704",
        "address_confirmed": True,
    }
    slots, messages = run(ActionChangeAddress(), tracker(user("yes", "affirm"), filled))
    saved = backend.get("ACC-1001")
    assert (saved.street, saved.city, saved.postal_code) == (
        "12 Oak Street",
        "Springfield",
        "62704",
    )
    assert messages[0]["reference"].startswith("ADR-")
    assert slots["street"] is None


# --- password reset -----------------------------------------------------------------


def test_reset_answers_the_same_whether_or_not_the_account_exists(database_path: Path) -> None:
    _, known = run(
        ActionResetPassword(), tracker(user("x"), {"reset_identifier": "dana@example.com"})
    )
    _, unknown = run(
        ActionResetPassword(), tracker(user("x"), {"reset_identifier": "ghost@example.com"})
    )
    assert said(known) == said(unknown) == ["utter_reset_link_sent"]
    assert [m.to for m in Outbox(f"sqlite:///{database_path}").newest()] == ["dana@example.com"]


def test_reset_identifier_from_the_request_and_malformed_ones() -> None:
    message = user(
        "reset password for dana@example.com", "reset_password", email="dana@example.com"
    )
    slots, _ = run(ValidatePasswordResetForm(), tracker(message, form="password_reset_form"))
    assert slots["reset_identifier"] == "dana@example.com"
    slots, messages = run(
        ValidatePasswordResetForm(),
        tracker(user("dana@"), form="password_reset_form", asked="reset_identifier"),
    )
    assert slots["reset_identifier"] is None and said(messages) == [
        "utter_invalid_reset_identifier"
    ]


def test_too_many_resets_in_one_conversation() -> None:
    for _ in range(3):
        run(ActionResetPassword(), tracker(user("x"), {"reset_identifier": "dana@example.com"}))
    _, messages = run(
        ActionResetPassword(), tracker(user("x"), {"reset_identifier": "dana@example.com"})
    )
    assert said(messages) == ["utter_reset_rate_limited"]


# --- balance, stop, handoff ---------------------------------------------------------


def test_balance_for_a_verified_customer_only() -> None:
    _, messages = run(ActionShowBalance(), tracker(user("balance?", "check_balance"), DANA))
    assert said(messages) == ["utter_balance"] and messages[0]["balance"] == "$120.50"
    _, messages = run(ActionShowBalance(), tracker(user("balance?", "check_balance")))
    assert said(messages) == ["utter_balance_needs_verification"]


def test_stop_forgets_the_task_but_not_the_customer() -> None:
    slots, messages = run(
        ActionCancelTask(), tracker(user("stop", "stop"), {**DANA, "street": "1 A St"})
    )
    assert slots["street"] is None and "verified" not in slots
    assert said(messages) == ["utter_task_cancelled"]


def test_handoff_packet_in_the_middle_of_a_form() -> None:
    history = [user("I want to pay my bill", "pay_bill", 0.97), user("all of it", "inform", 0.88)]
    slots = {**DANA, "payment_amount": "120.50", "phone_last4": "4821"}
    tracked = tracker(
        user("agent please", "request_human", 0.95),
        slots,
        "payment_form",
        "payment_confirmed",
        history,
    )
    dispatcher = CollectingDispatcher()
    events = ActionHandoff().run(dispatcher, tracked, DOMAIN)
    handoff = packet(dispatcher.messages)
    assert said(dispatcher.messages) == ["utter_handoff_explicit_request"]
    assert handoff["reason"] == "explicit_request"
    assert (handoff["skill"], handoff["priority"]) == ("billing", "normal")
    assert handoff["active_form"] == "payment_form"
    assert handoff["requested_slot"] == "payment_confirmed"
    assert handoff["slots"] == {
        "customer_id": "ACC-1001",
        "verified": True,
        "payment_amount": "120.50",
    }
    assert handoff["last_intents"] == [
        {"name": "pay_bill", "confidence": 0.97},
        {"name": "inform", "confidence": 0.88},
        {"name": "request_human", "confidence": 0.95},
    ]
    assert [line["text"] for line in handoff["transcript"]] == [
        "I want to pay my bill",
        "all of it",
        "agent please",
    ]
    assert {"event": "active_loop", "name": None, "timestamp": None} in events
    # Verified: the account as an agent may see it, never the phone's digits.
    account = handoff["account"]
    assert account["name"] == "Dana Whitfield" and "@" in account["email"]
    assert account["balance"].startswith("$") and " ending " in account["card"]
    assert set(account) == {
        "name",
        "email",
        "address",
        "balance",
        "due_date",
        "card",
        "card_status",
    }


def test_an_unverified_customers_packet_has_no_account() -> None:
    dispatcher = CollectingDispatcher()
    ActionHandoff().run(dispatcher, tracker(user("agent please", "request_human")), DOMAIN)
    assert packet(dispatcher.messages)["account"] is None


@pytest.mark.parametrize(
    ("intent", "failures", "reason", "priority"),
    [
        ("billing_dispute", None, "unsupported_topic", "normal"),
        ("report_fraud", None, "unsupported_topic", "urgent"),
        ("lost_email_access", None, "identity_verification", "urgent"),
        ("request_human", {"payment_amount": 2}, "failed_validation", "normal"),
    ],
)
def test_handoff_reasons(intent: str, failures: dict | None, reason: str, priority: str) -> None:
    _, messages = run(
        ActionHandoff(), tracker(user("...", intent), {"validation_failures": failures})
    )
    assert (packet(messages)["reason"], packet(messages)["priority"]) == (reason, priority)


def test_second_fallback_in_a_row_goes_to_a_person() -> None:
    _, first = run(ActionFallback(), tracker(user("blorp", "nlu_fallback", 0.2)))
    assert said(first) == ["utter_default"]
    _, second = run(
        ActionFallback(),
        tracker(user("zxqv", "nlu_fallback", 0.2), history=[user("blorp", "nlu_fallback", 0.2)]),
    )
    assert packet(second)["reason"] == "repeated_fallback"
    assert packet(second)["skill"] == "general"


# --- corrections, digressions and several requests ----------------------------------

ADDRESS = {**DANA, "street": "45 Maple Ave Apt 3", "city": "Shelbyville", "state": "IL"}


def test_a_zip_code_from_another_state_is_questioned() -> None:
    slots, messages = run(
        ValidateAddressForm(),
        tracker(user("9 Birch Rd, Tacoma WA 62704"), DANA, "address_form", "street"),
    )
    assert said(messages) == ["utter_zip_state_mismatch"]
    assert (messages[0]["zip_state"], messages[0]["state"]) == ("Illinois", "Washington")
    assert slots["postal_code"] is None and slots["requested_slot"] == "postal_code"


def test_the_state_comes_from_the_zip_code() -> None:
    slots, _ = run(
        ValidateAddressForm(),
        tracker(
            user("12 Oak St Springfield 62704 thanks", "thank"), DANA, "address_form", "street"
        ),
    )
    assert (slots["street"], slots["state"], slots["postal_code"]) == ("12 Oak St", "IL", "62704")
    assert slots["requested_slot"] == "address_confirmed"


@pytest.mark.parametrize(
    ("text", "intent", "changed"),
    [
        ("no, it is 62566", "deny", {"postal_code": "62566", "state": "IL"}),
        ("no thats wrong, 46 not 45", "deny", {"street": "46 Maple Ave Apt 3"}),
        ("actually its 45 Maple Ave Apt 4", "inform", {"street": "45 Maple Ave Apt 4"}),
    ],
)
def test_a_correction_at_the_read_back_is_read_back_again(
    text: str, intent: str, changed: dict[str, str]
) -> None:
    filled = {**ADDRESS, "postal_code": "62565"}
    slots, messages = run(
        ValidateAddressForm(),
        tracker(user(text, intent), filled, "address_form", "address_confirmed"),
    )
    assert {slot: slots[slot] for slot in changed} == changed
    assert slots["requested_slot"] == "address_confirmed"
    assert "utter_yes_or_no" not in said(messages)


@pytest.mark.parametrize("text", ["actually make it 10", "no, 10", "10 instead please"])
def test_a_new_amount_at_the_go_ahead_is_read_back_again(text: str) -> None:
    pending = {**DANA, "payment_amount": "50.00", "payment_key": "k-50"}
    slots, _ = run(
        ValidatePaymentForm(), tracker(user(text), pending, "payment_form", "payment_confirmed")
    )
    assert slots["payment_amount"] == "10.00" and slots["payment_key"] != "k-50"
    assert slots["requested_slot"] == "payment_confirmed"


def test_yes_with_the_same_amount_is_a_yes() -> None:
    pending = {**DANA, "payment_amount": "50.00", "payment_key": "k-50"}
    slots, _ = run(
        ValidatePaymentForm(),
        tracker(user("yes pay 50", "affirm"), pending, "payment_form", "payment_confirmed"),
    )
    assert slots["payment_confirmed"] is True


def test_another_request_is_noted_with_what_it_said() -> None:
    message = user(
        "hi, I moved to 12 Oak St Springfield 62704, and also want to pay $5",
        "pay_bill",
        amount="$5",
    )
    slots, messages = run(ValidatePaymentForm(), tracker(message, {}, "payment_form"))
    assert slots["pending_tasks"] == ["change_address"]
    assert (slots["street"], slots["city"], slots["postal_code"]) == (
        "12 Oak St",
        "Springfield",
        "62704",
    )
    assert said(messages)[0] == "utter_then_change_address"
    assert slots["early_amount"] == "$5"  # kept until the balance can be checked


def test_a_form_started_as_the_next_task_does_not_read_the_old_message_again() -> None:
    message = user("whats my balance and also reset my password pls", "check_balance")
    following = tracker(message, DANA, "password_reset_form")
    following.events += [
        {"event": "action", "name": "action_show_balance"},
        {"event": "action", "name": "password_reset_form"},
    ]
    slots, messages = run(ValidatePasswordResetForm(), following)
    assert "pending_tasks" not in slots and said(messages) == []


def test_a_task_that_ends_starts_the_next_one(backend: AccountClient) -> None:
    waiting = {**DANA, "pending_tasks": ["change_address", "check_balance"]}
    events = ActionShowBalance().run(CollectingDispatcher(), tracker(user("4821"), waiting), DOMAIN)
    assert {
        "event": "slot",
        "name": "pending_tasks",
        "value": ["check_balance"],
        "timestamp": None,
    } in events
    assert {"event": "followup", "name": "address_form", "timestamp": None} in events


def test_the_request_that_starts_a_form_may_name_another() -> None:
    message = user("whats my balance and also reset my password pls", "check_balance")
    starting = tracker(message, {}, "balance_form")
    # as Rasa calls a form's validation: after the form's activation and execution
    starting.events += [
        {"event": "active_loop", "name": "balance_form"},
        {"event": "action", "name": "balance_form"},
    ]
    slots, messages = run(ValidateBalanceForm(), starting)
    assert slots["pending_tasks"] == ["reset_password"]
    assert said(messages) == ["utter_then_reset_password"]
