"""Address change: a verified customer gives a new address, confirms it, and it is saved.

The whole address may come in one message ("12 Oak St, Springfield, 62704"), even
inside a longer sentence; the form then asks only for the parts still missing, and
reads the address back normalised ("12 Oak St, Springfield, IL 62704").
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import account_client
from actions.forms import Slots, TaskForm, answer_text, refuse_unverified
from actions.requests import next_task
from core.addresses import (
    STATES,
    AddressParts,
    format_address,
    normal_city,
    normal_street,
    normalise_postal_code,
    parse_address,
    parse_place,
    state_code,
    state_for_zip,
)
from core.task_values import clean

ADDRESS_SLOTS = ("street", "city", "postal_code", "state", "address_confirmed")
PARTS = ("street", "city", "postal_code", "state")  # the state is checked against the ZIP
# "615 not 651": a house number put right at the read-back.
_RENUMBER = re.compile(r"\b(\d+[A-Za-z]?)\s*,?\s+not\s+(\d+[A-Za-z]?)\b", re.IGNORECASE)


def _renumbered(text: str, street: str | None) -> str | None:
    """The street with its house number put right ("615 not 651"), if the text does that."""
    match = _RENUMBER.search(text)
    if street is None or match is None:
        return None
    right, wrong = match.groups()
    number, _, rest = street.partition(" ")
    return f"{right} {rest}" if number.lower() == wrong.lower() else None


def address_given(text: str, tracker: Tracker) -> dict[str, str | None]:
    """The parts of an address a message gives or puts right, by slot.

    A bare "springfield" or "IL 62704" counts when the bot asked for a city, state or
    ZIP code; a whole address counts any time. A new ZIP code without a state forgets
    the state, so it is read again from the ZIP code.
    """
    requested = tracker.get_slot("requested_slot")
    renumbered = _renumbered(text, tracker.get_slot("street"))
    if renumbered:
        return {"street": renumbered}
    parts = parse_address(text)
    if not parts.street and requested in ("city", "state", "postal_code"):
        place = parse_place(text)
        # a bare word is a city only when a city was asked for
        city = place.city if requested == "city" or place.postal_code else parts.city
        parts = AddressParts(city=city, state=place.state, postal_code=place.postal_code)
    given = {
        slot: value
        for slot in PARTS
        if (value := getattr(parts, slot)) and value != tracker.get_slot(slot)
    }
    if "postal_code" in given and not parts.state:
        given["state"] = None
    return given


class ValidateAddressForm(TaskForm):
    """Reads the new address in one go or part by part, then its confirmation.

    Any message in the form may give or correct parts of the address, even while the
    customer is still being verified or at the read-back; a changed address is read
    back again before it is saved.
    """

    task_slots = ADDRESS_SLOTS

    def name(self) -> str:
        return "validate_address_form"

    def extract_street(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Every address slot, read together so a correction can replace a yes or no.

        Any part of the address the message gives; at the read-back, either the parts
        it puts right (the address is then read back again) or its yes or no.
        """
        text = answer_text(tracker)
        if text is None:
            return {}
        given: Slots = dict(address_given(text, tracker))
        requested = tracker.get_slot("requested_slot")
        if requested == "address_confirmed":
            if given:
                return {**given, "address_confirmed": None}
            return self.yes_or_no(tracker, "address_confirmed")
        if not given and requested in PARTS:
            given[requested] = clean(text)  # refused by its validation, with a clear re-ask
        return given

    def extract_city(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """Read with the street: see ``extract_street``."""
        return {}

    extract_state = extract_postal_code = extract_address_confirmed = extract_city

    def validate_street(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        street = normal_street(str(value or ""))
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
        city = normal_city(str(value or ""))
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
        """A ZIP or ZIP+4; the state comes from it unless the customer named one."""
        postal_code = normalise_postal_code(clean(str(value or "")))
        if postal_code is None:
            return self.reject("postal_code", "utter_invalid_postal_code", dispatcher, tracker)
        more = {} if tracker.get_slot("state") else {"state": state_for_zip(postal_code)}
        return self.accept("postal_code", postal_code, tracker, **more)

    def validate_state(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """A state code or name that agrees with the ZIP code; a clash asks for the ZIP again."""
        if value is None:
            return {}
        state = state_code(str(value))
        if state is None:
            return self.reject("state", "utter_invalid_state", dispatcher, tracker)
        postal_code = normalise_postal_code(str(tracker.get_slot("postal_code") or ""))
        expected = state_for_zip(postal_code) if postal_code else None
        if expected and expected != state:
            dispatcher.utter_message(
                response="utter_zip_state_mismatch",
                postal_code=postal_code,
                zip_state=STATES[expected],
                state=STATES[state],
            )
            return {"state": None, "postal_code": None}
        return self.accept("state", state, tracker)

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
        street, city, state, postal_code = (
            tracker.get_slot(slot) for slot in ("street", "city", "state", "postal_code")
        )
        reference = account_client().update_address(
            tracker.get_slot("customer_id"), street, city, state, postal_code
        )
        dispatcher.utter_message(
            response="utter_address_changed",
            address=format_address(street, city, state, postal_code),
            reference=reference,
        )
        return done + next_task(dispatcher, tracker)
