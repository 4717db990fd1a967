"""What runs every second in each gateway process, whatever clients do.

A process whose ticks stop (killed) never sees its agents' sockets close: another
process starts their grace period, and tells the customers whose bot turn it was
waiting on. Chats of agents gone past the grace period go
back to the front of the queue; waiting customers no one can come to are offered
email; chats waiting past their SLA are raised to supervisors once; queue changes
are pushed; every few minutes the day's conversation counts are copied to SQL for
reports. Every effect is claimed in Redis or safe to repeat, so several processes
may tick at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from handoff.service.handoffs import Handoffs
from handoff.service.relay import Relay
from handoff.stores import Stores

# A gateway process that has not ticked for this long is taken for dead. Ticks come every
# second; a busy process may miss a few, not ten.
PROCESS_SILENT_SECONDS = 10.0
log = logging.getLogger(__name__)


@dataclass
class Housekeeping:
    """The once-a-second tick of a gateway process."""

    stores: Stores
    relay: Relay
    handoffs: Handoffs
    grace_seconds: float
    sla_seconds: float
    process_id: str  # this gateway process's
    # CustomerService.turn_lost: the customer of a turn whose process died is told.
    turn_lost: Callable[[str, bool], None]
    # Supervision.keep_daily_counts: Redis keeps a day's counts a week, reports need more.
    keep_daily_counts: Callable[[float], None] | None = None
    counts_every_seconds: float = 300
    _counts_kept_at: float = field(default=0.0, init=False)

    def tick(self, now: float) -> None:
        """Show this process is alive, and start the grace period of agents whose process
        died; requeue chats of agents gone past it; raise SLA breaches; push the queue."""
        presence, queue = self.stores.presence, self.stores.queue
        for agent_id in presence.tick(self.process_id, now, PROCESS_SILENT_SECONDS):
            log.warning("The gateway process of %s stopped; their grace period runs.", agent_id)
        for agent_id in presence.grace_expired(self.grace_seconds, now):
            if not presence.claim_expired(agent_id):
                continue  # another process is requeuing their chats
            self.handoffs.agent_gone(
                agent_id,
                "Sorry, your agent was disconnected. You're back at the front of the line.",
            )
        for conversation_id, for_a_person in self.stores.bot_turns.orphaned():
            log.warning("A gateway process died during a bot turn of %s.", conversation_id)
            self.turn_lost(conversation_id, for_a_person)
        self.handoffs.offer_email_to_stranded(now, self.grace_seconds)
        for entry in queue.overdue(self.sla_seconds):
            if queue.first_sla_alert(entry.conversation_id):
                self.relay.to_supervisors("sla_breach", asdict(entry))
        # A safety net: a chat left waiting while an agent has room (a wake-up lost between
        # threads or gateway processes) is routed within a second.
        if self.handoffs.route_waiting():
            self.handoffs.queue_changed()
        if queue.take_changed():
            self.handoffs.push_queue()
        if self.keep_daily_counts and now - self._counts_kept_at >= self.counts_every_seconds:
            self._counts_kept_at = now
            self.keep_daily_counts(now)
