"""What supervisors see at a glance: every live chat, the agents, the queue and today's figures."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from handoff.records.agents import Agent
from handoff.records.archive import Archive
from handoff.records.reports import DateRange, Reports
from handoff.service.handoffs import Handoffs
from handoff.stores import Stores
from handoff.stores.daily import KEEP_SECONDS, day_of
from handoff.stores.presence import AgentState

log = logging.getLogger(__name__)


def agent_summary(state: AgentState) -> dict[str, Any]:
    """An agent as the console lists them: status, presence, skills, load, whether connected."""
    return {
        "id": state.agent_id,
        "name": state.name,
        "status": state.status,
        "presence": state.presence,
        "skills": list(state.skills),
        "load": state.load,
        "capacity": state.capacity,
        "connected": state.disconnected_at is None,
    }


@dataclass
class Supervision:
    """Reads for the supervisor view; it changes nothing."""

    stores: Stores
    archive: Archive
    handoffs: Handoffs
    sla_seconds: float
    reports: Reports

    def open_chat(self, supervisor: Agent, conversation_id: str) -> dict[str, Any]:
        """Any live chat as its agent sees it (packet, customer, newest lines with notes), to
        read only; every reading is logged, since supervisors see everything."""
        log.info("Supervisor %s opened conversation %s.", supervisor.id, conversation_id)
        return self.handoffs.chat_for_agent(conversation_id)

    def report(self, supervisor: Agent, dates: DateRange, now: float) -> dict[str, Any]:
        """The report of ``dates``; the days Redis still counts are copied first, so today's
        figures are current. Every reading is logged, like opening a chat."""
        log.info(
            "Supervisor %s read the report of %s to %s.", supervisor.id, dates.first, dates.last
        )
        self.keep_daily_counts(now)
        return self.reports.report(dates, self.sla_seconds)

    def keep_daily_counts(self, now: float) -> None:
        """Copy the days' conversation counts that Redis still holds into SQL, which keeps them
        for reports after Redis forgets them (housekeeping calls this every few minutes)."""
        # Redis keeps a day's sets a week past it: the last week's days are all there.
        for back in range(int(KEEP_SECONDS // 86400)):
            at = now - back * 86400
            self.archive.keep_daily_counts(day_of(at), self.stores.daily.counts(at), now)

    def snapshot(self, now: float) -> dict[str, Any]:
        """Every live conversation, the agents, the queue and today's figures, as of ``now``."""
        agents = self.stores.presence.all()
        names = {a.agent_id: a.name for a in agents}
        entries = self.stores.queue.entries()
        closed = self.reports.overall(DateRange.day_of(now), self.sla_seconds)
        return {
            "now": now,
            "conversations": [
                {
                    "id": c.id,
                    "mode": c.mode,
                    "agent": names.get(c.agent_id or "", c.agent_id),
                    "skill": c.skill,
                    "priority": c.priority,
                    "reason": c.reason,
                    "customer": (c.customer or {}).get("name"),
                    "created_at": c.created_at,
                    "queued_at": c.queued_at,
                    "assigned_at": c.assigned_at,
                    "last_message_at": c.last_message_at,
                }
                for c in self.stores.conversations.live()
            ],
            # Agents who left (logged out, or gone past the grace period) are not there.
            "agents": [agent_summary(a) for a in agents if a.presence != "offline"],
            "queue": {
                "length": len(entries),
                "longest_wait_seconds": max((now - e.queued_at for e in entries), default=None),
                "sla_seconds": self.sla_seconds,
            },
            "today": {
                **self.stores.daily.counts(now),
                "closed": closed["closed"],
                "tickets": closed["tickets_opened"],
                "avg_wait_seconds": closed["avg_wait_seconds"],
                "avg_first_response_seconds": closed["avg_first_response_seconds"],
                "avg_handle_seconds": closed["avg_handle_seconds"],
                "resolution_rate": closed["resolution_rate"],
                "resolutions": closed["resolutions"],
                "avg_csat": closed["avg_csat"],
                "csat_responses": closed["csat_responses"],
            },
        }
