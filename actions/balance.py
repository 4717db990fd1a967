"""Balance: tell a verified customer what they owe and when it is due."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.backend import account_client
from actions.forms import TaskForm, is_verified
from actions.requests import next_task
from actions.values import format_date, format_money


class ValidateBalanceForm(TaskForm):
    """Only verification: the balance itself needs no questions."""

    task_slots = ()

    def name(self) -> str:
        return "validate_balance_form"


class ActionShowBalance(Action):
    """Shows the balance; in the middle of another task it may ask to verify first."""

    def name(self) -> str:
        return "action_show_balance"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if not is_verified(tracker):
            dispatcher.utter_message(response="utter_balance_needs_verification")
            return []
        account = account_client().get(tracker.get_slot("customer_id"))
        dispatcher.utter_message(
            response="utter_balance" if account.balance > 0 else "utter_balance_zero",
            balance=format_money(account.balance),
            due_date=format_date(account.due_date),
        )
        if tracker.active_loop_name:
            return []  # asked in the middle of another task, which carries on
        return next_task(dispatcher, tracker)
