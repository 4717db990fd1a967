"""What every task form shares: reading answers, counting failed tries, verifying the customer.

Each task (password reset, address change, bill payment, balance) has a
``Validate<Task>Form`` built on ``TaskForm``. A task that touches an account asks
first for an identifier and the last 4 digits of the account's phone number,
unless the customer is already verified. Verification lasts ``VERIFIED_FOR`` from
the moment it happened (``verified_at``); failed checks are counted server-side
(``verification.py``) and lock the account and the client after a few.
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import account_client, verification_guard
from actions.requests import note_other_requests
from actions.values import find_last4, mentions_last4
from actions.verification import account_key, client_key
from core.task_values import find_identifier

# Intents that leave the form's question unanswered: rules in data/rules/ handle them.
DIGRESSIONS = frozenset(
    {
        "stop",
        "request_human",
        "check_balance",
        "help",
        "bot_challenge",
        "out_of_scope",
        "billing_dispute",
        "report_fraud",
        "lost_email_access",
        "ask_why",
        "goodbye",
        "service_status",
        "faq",
    }
)
VERIFICATION_SLOTS = ["account_identifier", "phone_last4"]
# A message that only thanks: no digits, no "@", a few words.
_JUST_THANKS = re.compile(r"[^\d@]{1,40}")
# Failed tries after which the bot explains in full and offers a person.
TRIES_BEFORE_HELP = 2
# Failures of identity checks are counted under this key of `validation_failures`.
VERIFICATION = "verification"
# How long a verification (in chat or by the website's token) lets the customer act.
VERIFIED_FOR = 15 * 60

Slots = dict[str, Any]


def latest_intent(tracker: Tracker) -> str | None:
    """The intent of the message being answered."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def answer_text(tracker: Tracker) -> str | None:
    """The latest message's text, unless it was a digression the rules answer instead."""
    if latest_intent(tracker) in DIGRESSIONS:
        return None
    text = (tracker.latest_message or {}).get("text")
    return text if isinstance(text, str) else None


def since_customer_wrote(tracker: Tracker) -> list[dict[str, Any]]:
    """The events after the customer's latest message."""
    for index in range(len(tracker.events) - 1, -1, -1):
        if tracker.events[index].get("event") == "user":
            return list(tracker.events[index + 1 :])
    return []


def entity_value(tracker: Tracker, entity: str) -> str | None:
    """The latest message's value for an entity, if it had one."""
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value) if value is not None else None


def is_verified(tracker: Tracker, now: float | None = None) -> bool:
    """Verified, and less than ``VERIFIED_FOR`` ago: check it before any account action."""
    verified_at = tracker.get_slot("verified_at")
    if tracker.get_slot("verified") is not True or not isinstance(verified_at, (int, float)):
        return False
    return 0 <= (time.time() if now is None else now) - verified_at <= VERIFIED_FOR


def refuse_unverified(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Before money moves or an account changes: say so and refuse if verification lapsed."""
    if is_verified(tracker):
        return False
    dispatcher.utter_message(response="utter_verification_expired")
    return True


def failures(tracker: Tracker) -> dict[str, int]:
    """Failed tries so far in this task, by slot (a copy, safe to change)."""
    value = tracker.get_slot("validation_failures")
    return dict(value) if isinstance(value, dict) else {}


class TaskForm(FormValidationAction, ABC):
    """Validation shared by all task forms: verification first, then the task's slots."""

    # The task's own slots, in the order they are asked.
    task_slots: ClassVar[tuple[str, ...]] = ()
    needs_verification: ClassVar[bool] = True

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>."""

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Verification slots until the customer is verified, then the task's slots."""
        if self.needs_verification and not is_verified(tracker):
            return [*VERIFICATION_SLOTS, *self.task_slots]
        return list(self.task_slots)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validate as usual, and keep any other request the customer made meanwhile.

        A bare "thanks" is answered and the question asked again; thanks that come
        with an answer ("12 Oak St, Springfield 62704, thanks") are an answer.
        """
        text = answer_text(tracker)
        if latest_intent(tracker) == "thank" and _JUST_THANKS.fullmatch(text or ""):
            dispatcher.utter_message(response="utter_youre_welcome")
            # a slot event, so the form counts the message as handled and asks again
            return [SlotSet("validation_failures", failures(tracker))]
        events = await super().run(dispatcher, tracker, domain)
        form = self.name().removeprefix("validate_")
        since = since_customer_wrote(tracker)
        if any(e.get("event") == "action" and e.get("name") != form for e in since):
            return events  # started after another action (the next task): nothing new was said
        if any(e.get("event") == "active_loop" and e.get("name") == form for e in since):
            text = (tracker.latest_message or {}).get("text")  # the request that starts the task
        if not isinstance(text, str):
            return events
        noted = note_other_requests(dispatcher, tracker, form, text)
        return [*events, *(SlotSet(slot, value) for slot, value in noted.items())]

    # --- answers and failed tries -------------------------------------------------

    def requested_answer(self, tracker: Tracker, slot: str) -> str | None:
        """The customer's text when it answers the question about ``slot``."""
        if tracker.get_slot("requested_slot") != slot:
            return None
        return answer_text(tracker)

    def reject(
        self,
        slot: str,
        response: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        counter: str | None = None,
        **variables: Any,
    ) -> Slots:
        """Say why the answer was refused; from the second try, explain fully and offer a person."""
        counts = failures(tracker)
        key = counter or slot
        counts[key] = counts.get(key, 0) + 1
        if counts[key] >= TRIES_BEFORE_HELP:
            dispatcher.utter_message(response=f"utter_explain_{slot}", **variables)
            dispatcher.utter_message(response="utter_offer_human")
        else:
            dispatcher.utter_message(response=response, **variables)
        return {slot: None, "validation_failures": counts}

    def accept(self, slot: str, value: Any, tracker: Tracker, **more: Any) -> Slots:
        """Keep the value and forget earlier failed tries for this slot."""
        counts = failures(tracker)
        counts.pop(slot, None)
        return {slot: value, "validation_failures": counts, **more}

    def yes_or_no(self, tracker: Tracker, slot: str) -> Slots:
        """Extract the answer to a read-back question: True, False, or the text to refuse."""
        if self.requested_answer(tracker, slot) is None:
            return {}
        intent = latest_intent(tracker)
        if intent in ("affirm", "deny"):
            return {slot: intent == "affirm"}
        return {slot: str(tracker.latest_message.get("text") or "")}

    def confirm(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        on_no: str,
        redo: tuple[str, ...],
    ) -> Slots:
        """Yes goes on; no says ``on_no`` and asks the ``redo`` slots again; else ask yes or no.

        ``None`` is a read-back set aside because the customer changed a value: asked again.
        """
        if value is None:
            return {}
        if value is True:
            return self.accept(slot, True, tracker)
        if value is False:
            dispatcher.utter_message(response=on_no)
            return {name: None for name in redo}
        return self.reject(slot, "utter_yes_or_no", dispatcher, tracker)

    def identifier(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Slots:
        """An email, username or account number; only its shape is checked."""
        found = find_identifier(str(value or ""))
        if found is None:
            return self.reject(slot, f"utter_invalid_{slot}", dispatcher, tracker)
        return self.accept(slot, found, tracker)

    # --- verification --------------------------------------------------------------

    def extract_account_identifier(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Take the answer when asked; otherwise only an email or account number said unasked."""
        if is_verified(tracker):
            return {}
        answer = self.requested_answer(tracker, "account_identifier")
        if answer is not None:
            return {"account_identifier": find_identifier(answer) or answer}
        text = answer_text(tracker)
        unasked = entity_value(tracker, "email") or entity_value(tracker, "account_number")
        if text and unasked and tracker.get_slot("account_identifier") is None:
            return {"account_identifier": find_identifier(unasked)}
        return {}

    def extract_phone_last4(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """The answer when asked, or digits offered unasked as "last 4 ..."."""
        if is_verified(tracker):
            return {}
        answer = self.requested_answer(tracker, "phone_last4")
        if answer is not None:
            return {"phone_last4": answer}
        text = answer_text(tracker)
        if text and mentions_last4(text) and find_last4(text):
            return {"phone_last4": find_last4(text)}
        return {}

    def validate_account_identifier(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Check only the shape here: whether it matches an account is told after both facts."""
        return self.identifier("account_identifier", value, dispatcher, tracker)

    def validate_phone_last4(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Verify the customer once both facts are in; a mismatch starts verification again."""
        last4 = find_last4(str(value or ""))
        if last4 is None:
            return self.reject("phone_last4", "utter_invalid_phone_last4", dispatcher, tracker)
        identifier = tracker.get_slot("account_identifier")
        if identifier is None:
            return self.accept("phone_last4", last4, tracker)
        # Counted by account id when one matches, so its email, username and id share a limit.
        found = account_client().find(identifier)
        account_counted = account_key(found.id if found else None, identifier)
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        client = client_key(metadata.get("client"), tracker.sender_id)
        guard = verification_guard()
        if guard.locked(account_counted, client):
            return self._locked(dispatcher, tracker, alert=False)
        account = account_client().verify(identifier, last4)
        if account is None:
            if guard.failed(account_counted, client, tracker.sender_id):
                return self._locked(dispatcher, tracker, alert=True)
            rejected = self.reject(
                "phone_last4",
                "utter_verification_failed",
                dispatcher,
                tracker,
                counter=VERIFICATION,
            )
            return {**rejected, "account_identifier": None}
        dispatcher.utter_message(response="utter_verified", name=account.name.split()[0])
        counts = failures(tracker)
        for key in [VERIFICATION, *VERIFICATION_SLOTS]:
            counts.pop(key, None)
        return {
            "verified": True,
            "verified_at": time.time(),
            "customer_id": account.id,
            # the facts have done their job: keep no copy of them in the conversation
            "account_identifier": None,
            "phone_last4": None,
            "validation_failures": counts,
        }

    def _locked(self, dispatcher: CollectingDispatcher, tracker: Tracker, alert: bool) -> Slots:
        """Refuse the check, the same words whatever the account; tell supervisors once."""
        dispatcher.utter_message(response="utter_verification_locked")
        if alert:
            # Relayed by the gateway to the supervisors' consoles (docs/protocol.md).
            dispatcher.utter_message(
                json_message={"security_alert": {"kind": "verification_locked"}}
            )
        return {"account_identifier": None, "phone_last4": None}
