"""The gateway's service: every decision about who owns a conversation, what is stored and who
is told, behind one object that the namespaces, the console's API and housekeeping share.

State is in Redis (``Stores``), so any gateway process can serve any event. Each
audience has its part: ``customers``, ``agents``, ``handoffs`` (queue and routing),
``supervision``, and the once-a-second ``housekeeping``; ``Relay`` is the one place
that emits.
"""

from __future__ import annotations

from collections.abc import Callable

import redis

from handoff.rasa_client import RasaClient
from handoff.records.archive import Archive
from handoff.service.agents import AgentService
from handoff.service.customers import CustomerService
from handoff.service.handoffs import Handoffs
from handoff.service.housekeeping import Housekeeping
from handoff.service.relay import Emit, Relay
from handoff.service.supervision import Supervision
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
    ) -> None:
        self.stores = Stores.on(redis_client, bounds)
        self.archive = archive
        self.relay = Relay(emit, self.stores.transcripts)
        self.handoffs = Handoffs(self.stores, self.relay, is_open)
        self.customers = CustomerService(
            self.stores, self.relay, self.handoffs, rasa, archive, customer_token_secret
        )
        self.agents = AgentService(self.stores, self.relay, self.handoffs, rasa, archive)
        self.supervision = Supervision(self.stores, archive, sla_seconds)
        self.housekeeping = Housekeeping(
            self.stores, self.relay, self.handoffs, grace_seconds, sla_seconds
        )
