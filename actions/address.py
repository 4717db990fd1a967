"""Address change: a verified customer gives a new address, confirms it, and it is saved.

The whole address may come in one message ("12 Oak St, Springfield, 62704"); the
form then asks only for the parts still missing.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import account_client
from actions.forms import Slots, TaskForm, answer_text, refuse_unverified
from actions.values import parse_address
from core.task_values import clean, normalise_postal_code, valid_city, valid_street

ADDRESS_SLOTS = ("street", "city", "postal_code", "address_confirmed")


class ValidateAddressForm(TaskForm):
    """Reads the new address in one go or part by part, then its confirmation."""

    task_slots = ADDRESS_SLOTS

    def name(self) -> str:
        return "validate_address_form"

    def _part(self, tracker: Tracker, slot: str) -> Slots:
        """The part of an address the latest message gives for ``slot``.

        Any message in the form may carry a whole address; a bare answer counts only
        for the question that was asked.
        """
        text = answer_text(tracker)
        if text is None or tracker.get_slot("address_confirmed") is not None:
            return {}
        found = getattr(parse_address(text), slot)
        if found:
            return {slot: found}
        if tracker.get_slot("requested_slot") == slot:
            return {slot: clean(text)}
        return {}

    def extract_street(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._part(tracker, "street")

    def extract_city(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._part(tracker, "city")

    def extract_postal_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self._part(tracker, "postal_code")

    def extract_address_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        return self.yes_or_no(tracker, "address_confirmed")

    def validate_street(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        street = valid_street(str(value or ""))
        if street is None:
            return self.reject("street", "utter_invalid_street", dispatcher, tracker)
        return self.accept("street", street, tracker)

    def validate_city(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        city = valid_city(str(value or ""))
        if city is None:
            return self.reject("city", "utter_invalid_city", dispatcher, tracker)
        return self.accept("city", city, tracker)

    def validate_postal_code(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        postal_code = normalise_postal_code(str(value or ""))
        if postal_code is None:
            return self.reject("postal_code", "utter_invalid_postal_code", dispatcher, tracker)
        return self.accept("postal_code", postal_code, tracker)

    def validate_address_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Yes saves; no asks for the address again; anything else asks for yes or no."""
        return self.confirm(
            "address_confirmed",
            value,
            dispatcher,
            tracker,
            on_no="utter_address_not_confirmed",
            redo=ADDRESS_SLOTS,
        )


class ActionChangeAddress(Action):
    """Saves the confirmed address and gives the customer a reference."""

    def name(self) -> str:
        return "action_change_address"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        done = [SlotSet(slot, None) for slot in [*ADDRESS_SLOTS, "validation_failures"]]
        if refuse_unverified(dispatcher, tracker):
            return done
        street, city, postal_code = (tracker.get_slot(s) for s in ("street", "city", "postal_code"))
        reference = account_client().update_address(
            tracker.get_slot("customer_id"), street, city, postal_code
        )
        dispatcher.utter_message(
            response="utter_address_changed",
            street=street,
            city=city,
            postal_code=postal_code,
            reference=reference,
        )
        return done
