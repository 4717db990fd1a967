"""Redis stores, each owning its keys and commands.

Conversations (the state machine), transcripts, the queue, presence, daily
counts and ticket limits; ``Stores`` opens all of them on one Redis client.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from handoff.stores.conversations import ConversationStore
from handoff.stores.daily import DailyCounts
from handoff.stores.presence import Presence
from handoff.stores.queue import HandoffQueue
from handoff.stores.tickets import TicketLimits
from handoff.stores.transcripts import TranscriptStore


@dataclass(frozen=True)
class Stores:
    """Every Redis store of the gateway, on one client that decodes responses."""

    conversations: ConversationStore
    transcripts: TranscriptStore
    presence: Presence
    queue: HandoffQueue
    daily: DailyCounts
    tickets: TicketLimits

    @classmethod
    def on(cls, client: redis.Redis) -> Stores:
        conversations = ConversationStore(client)
        return cls(
            conversations=conversations,
            transcripts=TranscriptStore(client),
            presence=Presence(client),
            queue=HandoffQueue(client, conversations),
            daily=DailyCounts(client),
            tickets=TicketLimits(client),
        )
