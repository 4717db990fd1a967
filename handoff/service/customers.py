"""The customer side: a conversation opened or resumed, and what the customer says and does.

Whatever the customer writes is stored first, then given to whoever owns the
conversation: the bot (through Rasa), the queue (kept for the agent who takes
it) or their agent.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.redaction import mask_card_numbers
from handoff.customer_tokens import InvalidCustomerToken, verify_customer_token
from handoff.metrics import Metrics
from handoff.rasa_client import RasaClient, RasaError, client_metadata, rasa_error_kind
from handoff.records.archive import Archive, InvalidEmail, checked_email
from handoff.records.tickets import Tickets
from handoff.service.commands import Answer, once, with_message_id
from handoff.service.errors import GatewayError
from handoff.service.handoffs import LEAVE_QUEUE, LEAVE_QUEUE_REPLY, Handoffs
from handoff.service.relay import Relay, customer_view, handoff_view
from handoff.stores import Stores
from handoff.stores.conversations import Conversation, InvalidTransition

# The payload a customer's "Talk to a person" button sends; understood even when Rasa is down.
REQUEST_HUMAN = "/request_human"
REQUEST_HUMAN_TITLE = "Talk to a person"
# A line that rates an ended chat, when typed right after it ended.
RATINGS = frozenset("12345")
# What the bot is given for a widget's own opening payload (rasa-webchat's `initPayload`).
GREETING = "/greet"
# Per conversation, whatever the number of connections: at most this many messages a minute.
MESSAGES_PER_MINUTE = 30
# Stored and shown instead of the answer to a question the bot marked secret (phone digits).
SECRET_ANSWER = "••••"
# How far back (in lines) the quick replies of the bot's latest reply are looked for.
OFFER_WINDOW = 20
# Why a ticket claim was refused (stores/tickets.py), in the customer's words.
TICKET_REFUSALS = {
    "NOT_OFFERED": GatewayError(
        "email_not_offered",
        "You can leave an email when no one is available to chat, once per conversation.",
    ),
    "RECIPIENT": GatewayError(
        "rate_limited", "That address has had all the requests it can today; try tomorrow."
    ),
    "CLIENT": GatewayError("rate_limited", "Too many requests; please try again later."),
}

log = logging.getLogger("handoff")


def secret_hash(secret: str) -> str:
    """What is stored of a resume secret: its SHA-256 (the secret is random, 256 bits)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    """A conversation opened for a connection.

    ``resume_secret`` is set only for a new conversation: the client keeps it to resume.
    ``problem`` is a refused customer token (the chat goes on as a guest's).
    """

    conversation: Conversation
    resume_secret: str | None
    problem: GatewayError | None


@dataclass
class CustomerService:
    """What happens when a customer opens a chat, writes, types, leaves an email or rates."""

    stores: Stores
    relay: Relay
    handoffs: Handoffs
    rasa: RasaClient
    archive: Archive
    tickets: Tickets
    customer_token_secret: str
    metrics: Metrics = field(default_factory=Metrics)

    def open_session(
        self,
        session_id: str | None,
        resume_secret: str | None = None,
        customer_token: str | None = None,
    ) -> Session:
        """Resume the conversation if the client proves it is theirs, else start a new one.

        Resuming needs the conversation's resume secret and, for a conversation a customer
        token vouched for, a valid token for that same customer. Anything else (no secret,
        a wrong one, an id the gateway never issued, another or no customer) starts a new
        conversation with a new id: a conversation id alone is no credential.
        """
        conversations = self.stores.conversations
        customer: dict[str, Any] = {}
        problem = None
        if customer_token:
            try:
                customer = verify_customer_token(customer_token, self.customer_token_secret)
            except InvalidCustomerToken as error:
                problem = GatewayError("invalid_customer_token", f"{error} Continuing as a guest.")
        owner = str(customer.get("customer_id", ""))
        issued = None
        if session_id and resume_secret and self._may_resume(session_id, resume_secret, owner):
            conversation_id = session_id
        else:
            conversation_id, issued = uuid.uuid4().hex, secrets.token_urlsafe(32)
            conversations.open(conversation_id, customer or None, secret_hash(issued), owner)
        conversation = conversations.get(conversation_id)
        if customer and conversation.customer != customer:
            conversations.set_fields(conversation_id, customer=customer)
        if customer and conversation.mode == "bot":
            self._tell_bot_who(conversation_id, customer)
        return Session(conversations.get(conversation_id), issued, problem)

    def _may_resume(self, conversation_id: str, resume_secret: str, owner: str) -> bool:
        """The secret matches (in constant time) and the customer, if any, is the owner."""
        conversations = self.stores.conversations
        credentials = conversations.credentials(conversation_id)
        if credentials is None:
            return False
        stored_hash, bound = credentials
        if not stored_hash or not hmac.compare_digest(stored_hash, secret_hash(resume_secret)):
            return False
        if bound:
            return bound == owner
        # A guest who logs in on the website keeps the chat, which is theirs from then on.
        return not owner or conversations.bind_owner(conversation_id, owner) == owner

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
            self.metrics.refusals.labels("messages").inc()
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

    def says(
        self,
        conversation_id: str,
        text: str,
        message_id: str | None = None,
        *,
        client: str = "unknown",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Store the message, then give it to whoever owns the conversation: bot, queue or agent.

        A line sent with a client ``message_id`` is stored once: a resend of that id is
        answered with the line as first stored (masked), and goes nowhere else. A tapped
        quick reply is stored as its title (what the customer chose), the bot given its
        payload. ``metadata`` (a Rasa widget's `customData`) goes to the bot with the line;
        ``client`` is the customer's address, for ticket limits.
        """
        conversation = self.stores.conversations.get(conversation_id)
        transcripts = self.stores.transcripts
        line = text.strip()
        offered = self._offered(conversation) if line.startswith("/") else {}
        if line.startswith("/") and line not in offered and not self._has_written(conversation):
            # A widget's opening payload (rasa-webchat's initPayload), not the customer's words.
            if conversation.mode == "bot":
                self._ask_bot(conversation_id, GREETING, metadata)
            return
        # The answer to a secret question is stored masked; only the bot gets it as typed.
        secret = conversation.mode == "bot" and self._asked_secret(conversation)
        stored = SECRET_ANSWER if secret else offered.get(line, text)
        data = {"payload": line} if line in offered else {}
        for_bot = text if secret else self._for_bot(line, offered, mask_card_numbers(text)[0])
        if message_id is None:
            message, new = transcripts.append(conversation_id, "customer", stored, data=data), True
        else:
            message, new = transcripts.append_once(conversation_id, message_id, stored, data)
        self.relay.to_customer(conversation_id, "user_message", customer_view(message))
        if not new:
            return
        if conversation.mode == "closed" and conversation.csat is None and line in RATINGS:
            # The answer to "How would you rate it, from 1 to 5?", typed (as in Rasa widgets).
            self.rate(conversation_id, int(line))
            return
        if conversation.mode == "closed":
            conversation = self.stores.conversations.transition(conversation_id, "bot")
        self.stores.daily.customer_wrote(conversation_id, message.at)
        if conversation.mode != "assigned" and self._leaves_email(conversation_id, line):
            self.leave_email(conversation_id, line, client)
        elif line == LEAVE_QUEUE and line in offered:
            if conversation.mode == "queued":
                self.handoffs.leave_queue(conversation_id)
            elif conversation.mode == "bot":  # tapped after the wait was over
                self._ask_bot(conversation_id, GREETING, metadata)
        elif conversation.mode in ("bot", "queued"):
            # a waiting customer keeps the bot for simple things (and the agent reads it all)
            self._ask_bot(conversation_id, for_bot, metadata)
            if conversation.mode == "queued":
                # the queue's next push carries the new last_seq: consoles' previews show it
                self.handoffs.queue_changed()
        elif conversation.mode == "assigned" and conversation.agent_id:
            self.relay.line_to_agent(conversation.agent_id, conversation_id, message)

    def _leaves_email(self, conversation_id: str, line: str) -> bool:
        """An email address typed as the whole line, while one may be left (as in Rasa widgets,
        which have no email form)."""
        try:
            checked_email(line)
        except InvalidEmail:
            return False
        return self.stores.tickets.offered(conversation_id)

    def _has_written(self, conversation: Conversation) -> bool:
        """Whether the customer has written anything in this conversation yet."""
        return any(m.kind == "customer" for m in self.stores.transcripts.since(conversation.id))

    def _asked_secret(self, conversation: Conversation) -> bool:
        """Whether the bot's last line asked for a secret (its answer is stored masked)."""
        last = self.stores.transcripts.since(conversation.id, conversation.last_seq - 1)
        return bool(last) and last[-1].kind == "bot" and bool(last[-1].data.get("secret_answer"))

    def _for_bot(self, line: str, offered: dict[str, str], text: str) -> str:
        """What the bot is given: an intent payload ("/...") only if it was just offered.

        A payload makes Rasa skip understanding and take the intent (and entities) as
        written, so a typed one could reach intents and priorities the bot never offered.
        Allowed are the quick replies offered since the customer's last line and
        ``REQUEST_HUMAN``; any other is given as text without its slashes, to understand.
        """
        if not line.startswith("/") or line == REQUEST_HUMAN or line in offered:
            return text
        return line.lstrip("/").strip() or "?"

    def _offered(self, conversation: Conversation) -> dict[str, str]:
        """The quick replies offered since the customer's last line, payload to title;
        ``REQUEST_HUMAN`` is always on offer, and ``LEAVE_QUEUE`` to a waiting customer."""
        since = max(0, conversation.last_seq - OFFER_WINDOW)
        offered: dict[str, str] = {}
        for message in reversed(self.stores.transcripts.since(conversation.id, since)):
            if message.kind == "customer":
                break
            for reply in message.data.get("quick_replies") or []:
                offered.setdefault(str(reply.get("payload")), str(reply.get("title")))
        offered.setdefault(REQUEST_HUMAN, REQUEST_HUMAN_TITLE)
        if conversation.mode == "queued":
            offered.setdefault(LEAVE_QUEUE, LEAVE_QUEUE_REPLY["title"])
        return offered

    def _ask_bot(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> None:
        """One turn of the bot; the gateway's own metadata wins over the widget's."""
        try:
            with self.metrics.bot_turn():
                replies = self.rasa.send(
                    conversation_id, text, {**(metadata or {}), **client_metadata()}
                )
        except RasaError as error:
            self.metrics.rasa_errors.labels(rasa_error_kind(error)).inc()
            log.warning("No bot reply for %s: %s", conversation_id, error)
            self._bot_unavailable(conversation_id, text)
            return
        if not replies and self.stores.conversations.get(conversation_id).mode == "bot":
            # Rasa answers a turn whose custom action failed (the action server died) with
            # nothing at all: the customer would wait in silence.
            self.metrics.rasa_errors.labels("empty").inc()
            log.warning("No bot reply for %s: Rasa answered nothing.", conversation_id)
            self._bot_unavailable(conversation_id, text)
            return
        secret = any((reply.get("custom") or {}).get("secret_answer") for reply in replies)
        for reply in replies:
            custom = reply.get("custom") or {}
            if custom.get("handoff") is not None:
                if self.stores.conversations.get(conversation_id).mode == "queued":
                    self.handoffs.tell_waiting(conversation_id)  # keeps its place in the queue
                else:
                    self.handoffs.hand_off(conversation_id, custom["handoff"])
            elif custom.get("leave_queue"):
                # "never mind, I figured it out", "bye": the way out of the queue, and
                # nothing for a customer who is not waiting (leave_queue checks)
                self.handoffs.leave_queue(conversation_id)
            elif custom.get("security_alert"):
                alert = {**custom["security_alert"], "conversation_id": conversation_id}
                self.relay.to_supervisors("security_alert", alert)
            elif reply.get("text"):
                self.relay.bot_says(conversation_id, {**reply, "secret_answer": secret})

    def _bot_unavailable(self, conversation_id: str, text: str) -> None:
        """The bot could not answer ``text``: a person, if that is what was asked, or the
        offer of one. The turn is not sent again: its actions may have run."""
        if text.strip() == REQUEST_HUMAN:
            self.handoffs.hand_off(
                conversation_id, {"reason": "bot_unavailable", "skill": "general"}
            )
        else:
            self.relay.system(
                conversation_id,
                "bot_unavailable",
                "Our assistant is not available right now. Would you like to talk to a person?",
                quick_replies=[{"title": REQUEST_HUMAN_TITLE, "payload": REQUEST_HUMAN}],
            )

    def typing(self, conversation_id: str, typing: bool) -> None:
        """Show the customer's agent that they are (or stopped) typing."""
        conversation = self.stores.conversations.get(conversation_id)
        if conversation.mode == "assigned" and conversation.agent_id:
            self.relay.to_agent(
                conversation.agent_id,
                "typing",
                {"conversation_id": conversation_id, "typing": typing},
            )

    def _once(
        self, conversation_id: str, message_id: str | None, apply: Callable[[], Answer]
    ) -> Answer:
        """Apply a customer's action once per message id; a repeat is answered with the first
        one's answer, to every widget of the conversation."""
        return once(
            self.stores.commands,
            conversation_id,
            "customer",
            message_id,
            apply,
            lambda event, payload: self.relay.to_customer(conversation_id, event, payload),
        )

    def leave_email(
        self, conversation_id: str, email: str, client: str, message_id: str | None = None
    ) -> str:
        """Nobody could take the chat: keep a ticket, mail its reference, close the chat; the
        ticket's reference.

        Only after the gateway offered it (``offline``), once per conversation, within
        the limits per address and per ``client`` (stores/tickets.py); never for a chat
        an agent holds. A repeat of ``message_id`` is answered with the first one's notice.
        """
        _, notice = self._once(
            conversation_id,
            message_id,
            lambda: self._leave_email(conversation_id, email, client, message_id),
        )
        return str(notice["ticket"])

    def _leave_email(
        self, conversation_id: str, email: str, client: str, message_id: str | None
    ) -> Answer:
        try:
            address = checked_email(email)
        except InvalidEmail as error:
            raise GatewayError("bad_email", str(error)) from error
        conversations = self.stores.conversations
        if conversations.get(conversation_id).mode == "assigned":
            raise _with_agent()
        verdict = self.stores.tickets.claim(conversation_id, address, client, time.time())
        if verdict in TICKET_REFUSALS:
            raise TICKET_REFUSALS[verdict]
        conversation = conversations.get(conversation_id)
        if conversation.mode != "closed":
            try:
                conversation = conversations.transition(
                    conversation_id, "closed", expected={"bot", "queued"}, resolution="ticket"
                )
            except InvalidTransition:  # an agent took the chat meanwhile
                raise _with_agent() from None
            self.handoffs.queue_changed()
        ticket = self.tickets.create(
            conversation_id,
            address,
            time.time(),
            priority=conversation.priority,
            skill=conversation.skill,
        )
        notice = self.relay.system(
            conversation_id,
            "ticket",
            f"Thanks, we'll email you at {address}. Your reference is {ticket}.",
            ticket=ticket,
            **with_message_id(message_id),
        )
        self.archive.archive(conversation, self.stores.transcripts.all(conversation_id))
        return "handoff", handoff_view(notice)

    def rate(self, conversation_id: str, rating: int, message_id: str | None = None) -> None:
        """The customer's CSAT rating of an ended chat, kept with the archived copy; a repeat
        of ``message_id`` is answered with the first one's thanks, and changes nothing."""

        def apply() -> Answer:
            conversations = self.stores.conversations
            conversation = conversations.get(conversation_id)
            if conversation.mode != "closed":
                raise GatewayError("not_closed", "Ratings are given when the chat has ended.")
            conversations.set_fields(conversation_id, csat=rating)
            self.archive.archive(
                conversations.get(conversation_id), self.stores.transcripts.all(conversation_id)
            )
            thanks = self.relay.system(
                conversation_id,
                "rated",
                "Thanks for your feedback!",
                rating=rating,
                **with_message_id(message_id),
            )
            return "handoff", handoff_view(thanks)

        self._once(conversation_id, message_id, apply)


def _with_agent() -> GatewayError:
    return GatewayError(
        "chat_with_agent", "Someone from our team has this chat: write to them here instead."
    )
