"""Agents work tickets: the inbox, one ticket with its chat, answers, notes, status, whose.

Agents see and act on the tickets assigned to them and the unassigned ones of their
skills (answering one takes it); supervisors on all, and see the backlog. A ticket an
agent may not see is "unknown", the same as one that does not exist. Each change carries
the client's message id and is applied once (records/tickets.py, ``Tickets.once``, in
the same SQL transaction as the change). Customers' mail threads onto its ticket by the
reference through ``receive_mail``, whichever way it came (webhook or IMAP).
docs/tickets.md.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from handoff.records.agents import Agent
from handoff.records.archive import Archive
from handoff.records.canned import chat_variables
from handoff.records.tickets import (
    STATUSES,
    UNSOLVED,
    Check,
    Forbidden,
    InvalidChange,
    Tickets,
    UnknownTicket,
    may_take,
    unassigned_skills,
)

log = logging.getLogger(__name__)

VIEWS = ("mine", "queue", "all")


@dataclass
class TicketService:
    """The console's tickets, for agents and supervisors; the customers' replies by mail."""

    tickets: Tickets
    archive: Archive

    def inbox(self, agent: Agent, view: str, status: str | None) -> dict[str, Any]:
        """A view of tickets (``mine``, ``queue`` or, for supervisors, ``all``) in a status
        (``any`` for every one; none given: the unsolved), with the backlog for supervisors."""
        supervisor = agent.role == "supervisor"
        if view not in VIEWS:
            raise InvalidChange(f"The view is one of {', '.join(VIEWS)}.")
        if status is not None and status not in (*STATUSES, "any"):
            raise InvalidChange(f"The status is one of {', '.join(STATUSES)} or any.")
        if view == "all" and not supervisor:
            raise Forbidden("Only supervisors see every ticket.")
        statuses = UNSOLVED if status is None else STATUSES if status == "any" else (status,)
        now = time.time()
        if view == "mine":
            found = self.tickets.listing(now, statuses=statuses, assignee=agent.id)
        elif view == "queue":
            skills = None if supervisor else unassigned_skills(agent.skills)
            found = self.tickets.listing(now, statuses=statuses, unassigned=True, skills=skills)
        else:
            found = self.tickets.listing(now, statuses=statuses)
        return {"tickets": found, "backlog": self.tickets.backlog(now) if supervisor else None}

    def open(self, agent: Agent, ticket_id: str) -> dict[str, Any]:
        """A ticket with its messages, the archived chat it came from and the customer."""
        row = self.tickets.get(ticket_id)
        if row is None:
            raise UnknownTicket("No such ticket.")
        self._may_see(agent)(row)
        if agent.role == "supervisor":
            log.info("Supervisor %s opened ticket %s.", agent.id, ticket_id)
        archived = self.archive.conversation(row["conversation_id"])
        conversation, transcript = archived if archived else (None, [])
        customer = dict(conversation["customer"]) if conversation else {}
        customer["email"] = row["email"]
        return {
            "ticket": self.tickets.view(ticket_id, time.time()),
            "messages": self.tickets.messages(ticket_id),
            "conversation": conversation,
            "transcript": transcript,
            "customer": customer,
        }

    def canned_variables(self, agent: Agent, ticket_id: str) -> dict[str, Any]:
        """What a canned response may read when it answers this ticket: its chat's customer
        (as archived) and the answering agent."""
        row = self.tickets.get(ticket_id)
        if row is None:
            raise UnknownTicket("No such ticket.")
        self._may_see(agent)(row)
        archived = self.archive.conversation(row["conversation_id"])
        if archived is None:
            return chat_variables(None, None, False, agent.name)
        conversation = archived[0]
        return chat_variables(
            conversation["customer"], conversation["packet"], conversation["verified"], agent.name
        )

    def answer(
        self, agent: Agent, ticket_id: str, text: str, message_id: str, status: str = "pending"
    ) -> dict[str, Any]:
        """Answer the customer by mail; an unassigned ticket becomes the answerer's."""
        change = self.tickets.reply_change(agent.id, text, status, time.time(), take=True)
        return self.tickets.once(ticket_id, agent.id, message_id, self._may_see(agent), change)

    def note(self, agent: Agent, ticket_id: str, text: str, message_id: str) -> dict[str, Any]:
        """An internal note on the ticket."""
        change = self.tickets.note_change(agent.id, text, time.time())
        return self.tickets.once(ticket_id, agent.id, message_id, self._may_see(agent), change)

    def set_status(
        self, agent: Agent, ticket_id: str, status: str, message_id: str
    ) -> dict[str, Any]:
        change = self.tickets.status_change(status, time.time())
        return self.tickets.once(ticket_id, agent.id, message_id, self._may_see(agent), change)

    def assign(
        self, agent: Agent, ticket_id: str, agent_id: str | None, message_id: str
    ) -> dict[str, Any]:
        """Give the ticket to ``agent_id`` (None: unassigned). Agents take a ticket for
        themselves or release their own; supervisors give any to anyone."""
        see = self._may_see(agent)

        def check(row: dict[str, Any]) -> None:
            see(row)
            if agent.role == "supervisor":
                return
            if agent_id is None and row["assignee"] != agent.id:
                raise Forbidden("You can release only tickets of yours.")
            if agent_id is not None and agent_id != agent.id:
                raise Forbidden("Only supervisors give tickets to others.")

        change = self.tickets.assign_change(agent_id, time.time())
        return self.tickets.once(ticket_id, agent.id, message_id, check, change)

    def receive_mail(self, sender: str, subject: str, text: str, message_id: str) -> str | None:
        """Thread a customer's mail onto its ticket and reopen it; the ticket, or None when it
        names no ticket of that sender's (nothing is kept, the body is not logged)."""
        ticket = self.tickets.receive(sender, subject, text, message_id, time.time())
        if ticket is None:
            log.info("Dropped an inbound mail: no ticket of its sender's is named in it.")
        else:
            log.info("Threaded an inbound mail onto ticket %s.", ticket)
        return ticket

    def _may_see(self, agent: Agent) -> Check:
        """Supervisors see every ticket; agents theirs and the unassigned ones of their skills."""

        def check(row: dict[str, Any]) -> None:
            if agent.role == "supervisor" or row["assignee"] == agent.id:
                return
            if not may_take(agent.skills, row):
                raise UnknownTicket("No such ticket.")

        return check
