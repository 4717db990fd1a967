"""Redis stores, each owning its keys and commands.

Conversations (the state machine), transcripts, the queue, presence, daily
counts, ticket limits, open sockets per client, agents' API requests, clients'
commands (each applied once) and the mail webhook's tokens; ``Stores``
opens all of them on one Redis client.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from handoff.stores.api_calls import ApiCalls
from handoff.stores.commands import CommandLog
from handoff.stores.connections import ConnectionCounts
from handoff.stores.conversations import ConversationStore
from handoff.stores.daily import DailyCounts
from handoff.stores.inbound_mail import InboundMail
from handoff.stores.lifetime import Retention
from handoff.stores.presence import Presence
from handoff.stores.queue import HandoffQueue
from handoff.stores.tickets import TicketLimits
from handoff.stores.transcripts import TranscriptStore


@dataclass(frozen=True)
class Bounds:
    """Limits on what clients may make the gateway keep: retention and sockets per client."""

    retention: Retention
    max_connections_per_client: int


@dataclass(frozen=True)
class Stores:
    """Every Redis store of the gateway, on one client that decodes responses."""

    conversations: ConversationStore
    transcripts: TranscriptStore
    presence: Presence
    queue: HandoffQueue
    daily: DailyCounts
    tickets: TicketLimits
    connections: ConnectionCounts
    api_calls: ApiCalls
    commands: CommandLog
    inbound_mail: InboundMail

    @classmethod
    def on(cls, client: redis.Redis, bounds: Bounds) -> Stores:
        conversations = ConversationStore(client, bounds.retention)
        return cls(
            conversations=conversations,
            transcripts=TranscriptStore(client, bounds.retention),
            presence=Presence(client),
            queue=HandoffQueue(client, conversations),
            daily=DailyCounts(client),
            tickets=TicketLimits(client),
            connections=ConnectionCounts(client, bounds.max_connections_per_client),
            api_calls=ApiCalls(client),
            commands=CommandLog(client),
            inbound_mail=InboundMail(client),
        )
