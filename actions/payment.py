"""Bill payment: a verified customer pays all or part of the balance with the card on file.

The bot never asks for a card number. Each payment attempt gets an idempotency
key when its amount is accepted, so a repeated "yes" or a retried request
charges once. A confirmed payment whose action never answered (the action server
died, or the charge outlasted the call) is settled at the customer's next turn,
and the customer is told what became of it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.accounts import (
    Account,
    InvalidAmount,
    PaymentAbandoned,
    PaymentDeclined,
    Receipt,
)
from actions.backend import account_client
from actions.forms import (
    Slots,
    TaskForm,
    answer_text,
    entity_value,
    is_verified,
    refuse_unverified,
)
from actions.handoff import hand_off
from actions.requests import next_task
from actions.values import format_date, format_money
from core.task_values import AmountError, mentions_full_balance, parse_amount, read_amount

PAYMENT_SLOTS = ("payment_amount", "payment_confirmed", "payment_key", "early_amount")
AMOUNT_ANSWERS = {
    "unreadable": "utter_invalid_amount",
    "not_positive": "utter_amount_not_positive",
    "too_precise": "utter_amount_too_precise",
    "over_balance": "utter_amount_over_balance",
}


def receipt_values(receipt: Receipt) -> dict[str, str]:
    """What the responses that announce a payment fill in."""
    return {
        "amount": format_money(receipt.amount),
        "card": receipt.card,
        "receipt": receipt.number,
        "balance": format_money(receipt.new_balance),
    }


def _customer(tracker: Tracker) -> Account:
    return account_client().get(tracker.get_slot("customer_id"))


class ValidatePaymentForm(TaskForm):
    """Reads the amount (checked against the balance) and the go-ahead."""

    task_slots = ("payment_amount", "payment_confirmed")

    def name(self) -> str:
        return "validate_payment_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Nothing to ask once verified with nothing owed: the payment action says so."""
        slots = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        if is_verified(tracker) and _customer(tracker).balance <= 0:
            return []
        return slots

    def extract_payment_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """The amount and the go-ahead, read together so a new amount can replace a yes.

        The answer when asked, an amount given with the request ("pay $40"), or at the
        go-ahead question either yes or no or a different amount ("actually make it 10",
        "no, 20"), which replaces the pending one and is confirmed again.
        """
        entity = entity_value(tracker, "amount")
        answer = self.requested_answer(tracker, "payment_amount")
        if answer is not None:
            return {"payment_amount": entity or answer}
        if self.requested_answer(tracker, "payment_confirmed") is not None:
            if self._changed_amount(tracker):
                return {"payment_amount": entity or answer_text(tracker), "payment_confirmed": None}
            return self.yes_or_no(tracker, "payment_confirmed")
        if entity and answer_text(tracker) is not None and not tracker.get_slot("payment_amount"):
            return {"payment_amount": entity}
        return {}

    def extract_payment_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Read with the amount: see ``extract_payment_amount``."""
        return {}

    def _changed_amount(self, tracker: Tracker) -> bool:
        """Whether the answer to the go-ahead names an amount other than the pending one."""
        text = self.requested_answer(tracker, "payment_confirmed")
        pending = tracker.get_slot("payment_amount")
        if text is None or pending is None:
            return False
        try:
            amount = read_amount(entity_value(tracker, "amount") or text)
        except AmountError:
            return False
        if amount is None:  # "all of it"
            return mentions_full_balance(text) and Decimal(pending) != _customer(tracker).balance
        return amount != Decimal(pending)

    def validate_payment_amount(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Paid amounts are > 0, at most the balance, with at most two decimals."""
        if not is_verified(tracker):
            # kept aside, and checked once verified, when the balance is known
            return {"payment_amount": None, "early_amount": str(value)}
        balance = _customer(tracker).balance
        try:
            amount = parse_amount(str(value or ""), balance)
        except AmountError as error:
            return self.reject(
                "payment_amount",
                AMOUNT_ANSWERS[error.reason],
                dispatcher,
                tracker,
                balance=format_money(balance),
            )
        return self.accept("payment_amount", str(amount), tracker, payment_key=uuid.uuid4().hex)

    def validate_payment_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Yes pays; no asks for another amount; anything else asks for yes or no."""
        return self.confirm(
            "payment_confirmed",
            value,
            dispatcher,
            tracker,
            on_no="utter_payment_not_confirmed",
            redo=PAYMENT_SLOTS,
        )


class ActionAskPaymentAmount(Action):
    """Asks how much to pay, showing the balance and due date.

    An amount the customer named before being verified (or with another request) is
    checked now instead, and read back for the go-ahead, so it is not asked twice.
    """

    def name(self) -> str:
        return "action_ask_payment_amount"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        account = _customer(tracker)
        early = tracker.get_slot("early_amount")
        if early:
            forgotten: list[EventType] = [SlotSet("early_amount", None)]
            try:
                amount = parse_amount(str(early), account.balance)
            except AmountError as error:
                dispatcher.utter_message(
                    response=AMOUNT_ANSWERS[error.reason], balance=format_money(account.balance)
                )
            else:
                dispatcher.utter_message(
                    response="utter_ask_payment_confirmed",
                    amount=format_money(amount),
                    card=account.card,
                )
                return [
                    *forgotten,
                    SlotSet("payment_amount", str(amount)),
                    SlotSet("payment_key", uuid.uuid4().hex),
                    SlotSet("requested_slot", "payment_confirmed"),
                ]
        else:
            forgotten = []
        dispatcher.utter_message(
            response="utter_ask_payment_amount",
            balance=format_money(account.balance),
            due_date=format_date(account.due_date),
        )
        return forgotten


class ActionAskPaymentConfirmed(Action):
    """Reads the payment back before any money moves."""

    def name(self) -> str:
        return "action_ask_payment_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(
            response="utter_ask_payment_confirmed",
            amount=format_money(Decimal(tracker.get_slot("payment_amount"))),
            card=_customer(tracker).card,
        )
        return []


class ActionPayBill(Action):
    """Takes the confirmed payment once; a declined card goes to a person."""

    def name(self) -> str:
        return "action_pay_bill"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet(slot, None) for slot in [*PAYMENT_SLOTS, "validation_failures"]]
        if refuse_unverified(dispatcher, tracker):
            return done
        account = _customer(tracker)
        amount, key = (
            tracker.get_slot("payment_amount"),
            tracker.get_slot("payment_key"),
        )
        if account.balance <= 0 or amount is None or key is None:
            dispatcher.utter_message(
                response="utter_nothing_to_pay", balance=format_money(account.balance)
            )
            return done + next_task(dispatcher, tracker)
        try:
            receipt = account_client().pay(account.id, Decimal(amount), key)
        except PaymentAbandoned:  # settled as not made by a later turn while this one waited
            dispatcher.utter_message(
                response="utter_payment_not_made", amount=format_money(Decimal(amount))
            )
            return done
        except PaymentDeclined:
            dispatcher.utter_message(response="utter_payment_declined", card=account.card)
            return done + hand_off(dispatcher, tracker, "failed_task", skill="billing")
        except InvalidAmount:
            # the balance changed since the amount was accepted (paid elsewhere meanwhile)
            dispatcher.utter_message(
                response="utter_amount_over_balance",
                balance=format_money(account.balance),
            )
            return done
        dispatcher.utter_message(response="utter_payment_done", **receipt_values(receipt))
        return done + next_task(dispatcher, tracker)


class ActionSettlePayment(Action):
    """Tells the customer the true outcome of a payment whose action never answered.

    A payment action that died, or whose call timed out, loses its events: the tracker still
    holds the confirmed payment. So this runs at the start of every customer turn, under the
    one name Rasa calls there and lets speak, ``action_validate_slot_mappings`` (after reading
    the turn's slots; a custom slot mapping's action may not speak). The backend settles the
    payment (charged, or never to be), the bot says which, and the payment is over, so a
    second "yes" cannot start it again.
    """

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        key, amount = tracker.get_slot("payment_key"), tracker.get_slot("payment_amount")
        customer_id = tracker.get_slot("customer_id")
        if not (tracker.get_slot("payment_confirmed") and key and amount and customer_id):
            return []
        receipt = account_client().settle(customer_id, Decimal(amount), key)
        if receipt is None:
            dispatcher.utter_message(
                response="utter_payment_not_made", amount=format_money(Decimal(amount))
            )
        else:
            dispatcher.utter_message(
                response="utter_payment_went_through", **receipt_values(receipt)
            )
        return [SlotSet(slot, None) for slot in PAYMENT_SLOTS]
