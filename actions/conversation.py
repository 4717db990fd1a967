"""Actions about the conversation itself rather than any one task."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
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
    "state",
    "address_confirmed",
    "payment_amount",
    "payment_confirmed",
    "payment_key",
    "early_amount",
    "pending_tasks",
    "validation_failures",
)
# Forms a person may hand a customer back into.
FORMS = ("password_reset_form", "address_form", "payment_form", "balance_form")


class ActionCancelTask(Action):
    """The customer said stop: forget the task (and any waiting) and say nothing changed."""

    def name(self) -> str:
        return "action_cancel_task"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_task_cancelled")
        return [SlotSet(slot, None) for slot in TASK_SLOTS]


class ActionExplainQuestion(Action):
    """ "Why do you need that?": say why the question being asked matters (the form asks again)."""

    def name(self) -> str:
        return "action_explain_question"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        response = f"utter_why_{tracker.get_slot('requested_slot')}"
        known = response in (domain.get("responses") or {})
        dispatcher.utter_message(response=response if known else "utter_why_default")
        return []


class ActionResumeTask(Action):
    """A person handed the chat back: carry on with the task the handoff interrupted."""

    def name(self) -> str:
        return "action_resume_task"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        form = tracker.get_slot("interrupted_form")
        if form not in FORMS:
            dispatcher.utter_message(response="utter_welcome_back")
            return [SlotSet("interrupted_form", None)]
        dispatcher.utter_message(response="utter_resume_task")
        return [SlotSet("interrupted_form", None), FollowupAction(form)]
