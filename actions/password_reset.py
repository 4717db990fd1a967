"""Password reset: ask for the account's email or username, then send a single-use link.

The answer never tells whether an account exists; the backend does equal work
either way (see ResetTokens.request).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import reset_tokens
from actions.forms import Slots, TaskForm, answer_text, entity_value
from actions.requests import next_task
from actions.reset_tokens import ResetRateLimited


class ValidatePasswordResetForm(TaskForm):
    """Reads the email or username the reset is for (no verification: that is the point)."""

    task_slots = ("reset_identifier",)
    needs_verification = False

    def name(self) -> str:
        return "validate_password_reset_form"

    def extract_reset_identifier(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        """The answer when asked, or an email/account number in the request itself."""
        answer = self.requested_answer(tracker, "reset_identifier")
        if answer is not None:
            return {"reset_identifier": answer}
        if answer_text(tracker) is None or tracker.get_slot("reset_identifier"):
            return {}
        unasked = entity_value(tracker, "email") or entity_value(tracker, "account_number")
        return {"reset_identifier": unasked} if unasked else {}

    def validate_reset_identifier(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Slots:
        """Only the shape is checked, so the reply cannot reveal whether the account exists."""
        return self.identifier("reset_identifier", value, dispatcher, tracker)


def send_link(
    dispatcher: CollectingDispatcher, tracker: Tracker, identifier: str, sent: str
) -> None:
    """Ask the backend for a link and say ``sent``, or that the limit was reached."""
    try:
        reset_tokens().request(identifier, tracker.sender_id)
    except ResetRateLimited:
        dispatcher.utter_message(response="utter_reset_rate_limited")
    else:
        dispatcher.utter_message(response=sent, identifier=identifier)


class ActionResetPassword(Action):
    """Asks the backend for a reset link and gives the same answer whatever happened."""

    def name(self) -> str:
        return "action_reset_password"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        identifier = tracker.get_slot("reset_identifier")
        send_link(dispatcher, tracker, identifier, "utter_reset_link_sent")
        return [
            SlotSet("reset_identifier", None),
            SlotSet("last_reset_identifier", identifier),
            SlotSet("validation_failures", None),
            *next_task(dispatcher, tracker),
        ]


class ActionResendResetLink(Action):
    """ "I didn't get it": send the link again for the same account, or start a reset.

    The backend's limit on reset links per conversation and account applies as for
    any request, so a resend cannot flood a mailbox.
    """

    def name(self) -> str:
        return "action_resend_reset_link"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        identifier = tracker.get_slot("last_reset_identifier")
        if not identifier:
            return [FollowupAction("password_reset_form")]
        send_link(dispatcher, tracker, identifier, "utter_reset_link_resent")
        return []
