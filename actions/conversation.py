"""Actions about the conversation itself rather than any one task."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# Everything a task collects; who the customer is (customer_id, verified) is kept.
TASK_SLOTS = (
    "account_identifier",
    "phone_last4",
    "reset_identifier",
    "street",
    "city",
    "postal_code",
    "address_confirmed",
    "payment_amount",
    "payment_confirmed",
    "payment_key",
    "validation_failures",
)


class ActionCancelTask(Action):
    """The customer said stop: forget the half-done task and say nothing changed."""

    def name(self) -> str:
        return "action_cancel_task"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_task_cancelled")
        return [SlotSet(slot, None) for slot in TASK_SLOTS]
