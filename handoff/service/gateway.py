"""The gateway's service: every decision about who owns a conversation, what is stored and who
is told, behind one object that the namespaces, the console's API and housekeeping share.

State is in Redis (``Stores``), so any gateway process can serve any event. Each
audience has its part: ``customers``, ``agents``, ``handoffs`` (queue and routing),
``supervision``, ``tickets``, and the once-a-second ``housekeeping``; ``Relay`` is the one place
that emits.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import redis

from handoff.metrics import ClusterState, Metrics
from handoff.rasa_client import RasaClient
from handoff.records.archive import Archive
from handoff.records.reports import Reports
from handoff.records.tickets import Tickets
from handoff.service.agents import AgentService
from handoff.service.customers import CustomerService
from handoff.service.handoffs import Handoffs
from handoff.service.housekeeping import Housekeeping
from handoff.service.relay import Emit, Relay
from handoff.service.supervision import Supervision
from handoff.service.tickets import TicketService
from handoff.stores import Bounds, Stores


class Gateway:
    """The gateway's parts, wired once per process."""

    def __init__(
        self,
        redis_client: redis.Redis,
        rasa: RasaClient,
        archive: Archive,
        emit: Emit,
        customer_token_secret: str,
        grace_seconds: float,
        sla_seconds: float,
        is_open: Callable[[float], bool],
        bounds: Bounds,
        metrics: Metrics | None = None,
        tickets: Tickets | None = None,
    ) -> None:
        """``tickets``: default, in the archive's database with its mail and the default SLA."""
        self.metrics = metrics or Metrics()
        ticket_records = tickets or Tickets(archive.database_url, archive.mail)
        self.tickets = TicketService(ticket_records, archive)
        self._redis = redis_client
        self.stores = Stores.on(redis_client, bounds)
        self.archive = archive
        self.relay = Relay(emit, self.stores.transcripts)
        self.handoffs = Handoffs(self.stores, self.relay, is_open, self.metrics)
        self.customers = CustomerService(
            self.stores,
            self.relay,
            self.handoffs,
            rasa,
            archive,
            ticket_records,
            customer_token_secret,
            self.metrics,
        )
        self.metrics.watch_cluster(self.cluster_state)
        # Names this process's sockets in Redis, so other processes notice if it dies.
        self.process_id = uuid.uuid4().hex
        self.agents = AgentService(
            self.stores, self.relay, self.handoffs, rasa, archive, ticket_records, self.process_id
        )
        self.supervision = Supervision(
            self.stores, archive, self.handoffs, sla_seconds, Reports(archive.database_url)
        )
        self.housekeeping = Housekeeping(
            self.stores,
            self.relay,
            self.handoffs,
            grace_seconds,
            sla_seconds,
            self.process_id,
            keep_daily_counts=self.supervision.keep_daily_counts,
        )

    def cluster_state(self) -> ClusterState:
        """Live conversations by mode and the queue, as every gateway process sees them."""
        now = time.time()
        entries = self.stores.queue.entries()
        return ClusterState(
            conversations=self.stores.conversations.count_live_by_mode(now),
            queue_length=len(entries),
            longest_wait_seconds=max((now - entry.queued_at for entry in entries), default=0.0),
        )

    def ready(self) -> bool:
        """Whether this process can serve: all its state is in Redis, so Redis must answer."""
        try:
            return bool(self._redis.ping())
        except redis.RedisError:
            return False
