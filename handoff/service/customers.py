"""The customer side: a conversation opened or resumed, and what the customer says and does.

Whatever the customer writes is stored first, then given to whoever owns the
conversation: the bot (through Rasa), the queue (kept for the agent who takes
it) or their agent.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

from handoff.customer_tokens import InvalidCustomerToken, verify_customer_token
from handoff.rasa_client import RasaClient, RasaError, client_metadata
from handoff.records.archive import Archive, InvalidEmail
from handoff.service.errors import GatewayError
from handoff.service.handoffs import Handoffs
from handoff.service.relay import Relay, customer_view
from handoff.stores import Stores
from handoff.stores.conversations import Conversation

# The payload a customer's "Talk to a person" button sends; understood even when Rasa is down.
REQUEST_HUMAN = "/request_human"
# Per conversation, whatever the number of connections: at most this many messages a minute.
MESSAGES_PER_MINUTE = 30
# Stored and shown instead of the answer to a question the bot marked secret (phone digits).
SECRET_ANSWER = "••••"


@dataclass
class CustomerService:
    """What happens when a customer opens a chat, writes, types, leaves an email or rates."""

    stores: Stores
    relay: Relay
    handoffs: Handoffs
    rasa: RasaClient
    archive: Archive
    customer_token_secret: str

    def open_session(
        self, session_id: str, customer_token: str | None
    ) -> tuple[Conversation, GatewayError | None]:
        """Create or resume a conversation; a bad token is reported and the chat stays anonymous."""
        conversations = self.stores.conversations
        customer: dict[str, Any] = {}
        problem = None
        if customer_token:
            try:
                customer = verify_customer_token(customer_token, self.customer_token_secret)
            except InvalidCustomerToken as error:
                problem = GatewayError("invalid_customer_token", f"{error} Continuing as a guest.")
        conversation = conversations.open(session_id, customer or None)
        if customer and conversation.customer != customer:
            conversations.set_fields(session_id, customer=customer)
        if customer and conversation.mode == "bot":
            self._tell_bot_who(session_id, customer)
        return conversations.get(session_id), problem

    def _tell_bot_who(self, conversation_id: str, customer: dict[str, Any]) -> None:
        """The website vouched for the customer: the assistant skips in-chat verification."""
        # If Rasa is down, the next message to the bot reports it.
        with contextlib.suppress(RasaError):
            self.rasa.set_slots(
                conversation_id,
                {
                    "customer_id": customer["customer_id"],
                    "verified": True,
                    "verified_at": time.time(),
                },
            )

    def check_rate(self, conversation_id: str) -> None:
        """Refuse a flood spread over several connections of one conversation."""
        if self.stores.conversations.count_message(conversation_id, time.time()) > (
            MESSAGES_PER_MINUTE
        ):
            raise GatewayError(
                "rate_limited", "Too many messages in a minute; please wait a moment."
            )

    def missed(
        self, conversation_id: str, last_seq: int, before_seq: int | None = None
    ) -> dict[str, Any]:
        """The newest page of what the customer has not seen (after ``last_seq``, below
        ``before_seq``); ``has_more``: older unseen lines are left to ask for."""
        page = self.stores.transcripts.page(
            conversation_id, after_seq=last_seq, before_seq=before_seq
        )
        return {"messages": [customer_view(m) for m in page.messages], "has_more": page.has_more}

    def says(self, conversation_id: str, text: str) -> None:
        """Store the message, then give it to whoever owns the conversation: bot, queue or agent."""
        conversation = self.stores.conversations.get(conversation_id)
        if conversation.mode == "closed":
            conversation = self.stores.conversations.transition(conversation_id, "bot")
        secret = conversation.mode == "bot" and self._asked_secret(conversation)
        message = self.stores.transcripts.append(
            conversation_id, "customer", SECRET_ANSWER if secret else text
        )
        self.stores.daily.customer_wrote(conversation_id, message.at)
        self.relay.to_customer(conversation_id, "user_message", customer_view(message))
        if conversation.mode == "bot":
            self._ask_bot(conversation_id, text if secret else message.text)
        elif conversation.mode == "assigned" and conversation.agent_id:
            self.relay.line_to_agent(conversation.agent_id, conversation_id, message)
        # queued: kept in the transcript; the agent who takes the chat reads it there

    def _asked_secret(self, conversation: Conversation) -> bool:
        """Whether the bot's last line asked for a secret (its answer is stored masked)."""
        last = self.stores.transcripts.since(conversation.id, conversation.last_seq - 1)
        return bool(last) and last[-1].kind == "bot" and bool(last[-1].data.get("secret_answer"))

    def _ask_bot(self, conversation_id: str, text: str) -> None:
        try:
            replies = self.rasa.send(conversation_id, text, client_metadata())
        except RasaError:
            if text.strip() == REQUEST_HUMAN:
                self.handoffs.hand_off(
                    conversation_id, {"reason": "bot_unavailable", "skill": "general"}
                )
            else:
                self.relay.system(
                    conversation_id,
                    "bot_unavailable",
                    "Our assistant is not available right now. Would you like to talk to a person?",
                    quick_replies=[{"title": "Talk to a person", "payload": REQUEST_HUMAN}],
                )
            return
        secret = any((reply.get("custom") or {}).get("secret_answer") for reply in replies)
        for reply in replies:
            custom = reply.get("custom") or {}
            if custom.get("handoff") is not None:
                self.handoffs.hand_off(conversation_id, custom["handoff"])
            elif custom.get("security_alert"):
                alert = {**custom["security_alert"], "conversation_id": conversation_id}
                self.relay.to_supervisors("security_alert", alert)
            elif reply.get("text"):
                self.relay.bot_says(conversation_id, {**reply, "secret_answer": secret})

    def typing(self, conversation_id: str, typing: bool) -> None:
        """Show the customer's agent that they are (or stopped) typing."""
        conversation = self.stores.conversations.get(conversation_id)
        if conversation.mode == "assigned" and conversation.agent_id:
            self.relay.to_agent(
                conversation.agent_id,
                "typing",
                {"conversation_id": conversation_id, "typing": typing},
            )

    def leave_email(self, conversation_id: str, email: str) -> str:
        """No one to take the chat: keep a ticket with the transcript and close the chat."""
        transcripts = self.stores.transcripts
        try:
            ticket = self.archive.create_ticket(
                conversation_id, email, transcripts.all(conversation_id)
            )
        except InvalidEmail as error:
            raise GatewayError("bad_email", str(error)) from error
        conversation = self.stores.conversations.get(conversation_id)
        if conversation.mode != "closed":
            conversation = self.stores.conversations.transition(
                conversation_id, "closed", resolution="ticket"
            )
            self.handoffs.queue_changed()
        self.relay.system(
            conversation_id,
            "ticket",
            f"Thanks, we'll email you at {email}. Your reference is {ticket}.",
            ticket=ticket,
        )
        self.archive.archive(conversation, transcripts.all(conversation_id))
        return ticket

    def rate(self, conversation_id: str, rating: int) -> None:
        """The customer's CSAT rating of an ended chat, kept with the archived copy."""
        conversations = self.stores.conversations
        conversation = conversations.get(conversation_id)
        if conversation.mode != "closed":
            raise GatewayError("not_closed", "Ratings are given when the chat has ended.")
        conversations.set_fields(conversation_id, csat=rating)
        self.archive.archive(
            conversations.get(conversation_id), self.stores.transcripts.all(conversation_id)
        )
        self.relay.system(conversation_id, "rated", "Thanks for your feedback!", rating=rating)
