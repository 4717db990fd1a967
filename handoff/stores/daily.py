"""Today's conversation counts, in Redis, for the supervisors' figures.

The archive (SQL) holds the chats that closed, but a chat the bot handles alone
never closes: it just goes quiet. So the gateway marks each conversation in two
sets per day (UTC): those in which the customer wrote, and those handed to the
queue. Handled by the bot alone = wrote that day and was not handed off. The
sets expire after a week.
"""

from __future__ import annotations

from datetime import datetime, timezone

import redis

from handoff.stores.keys import PREFIX

KEEP_SECONDS = 8 * 86400


def day_of(at: float) -> str:
    """The UTC date of an epoch time, e.g. "2026-11-23"."""
    return datetime.fromtimestamp(at, timezone.utc).date().isoformat()


def start_of_day(at: float) -> float:
    """The epoch time of the UTC midnight that began ``at``'s day."""
    moment = datetime.fromtimestamp(at, timezone.utc)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def wrote_key(day: str) -> str:
    """Set: ids of conversations in which the customer wrote on that day."""
    return f"{PREFIX}day:{day}:wrote"


def handed_off_key(day: str) -> str:
    """Set: ids of conversations handed to the queue on that day."""
    return f"{PREFIX}day:{day}:handed-off"


class DailyCounts:
    """Marks conversations per day and counts them."""

    def __init__(self, redis_client: redis.Redis) -> None:
        self._redis = redis_client

    def customer_wrote(self, conversation_id: str, at: float) -> None:
        self._mark(wrote_key(day_of(at)), conversation_id)

    def handed_off(self, conversation_id: str, at: float) -> None:
        self._mark(handed_off_key(day_of(at)), conversation_id)

    def _mark(self, key: str, conversation_id: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.sadd(key, conversation_id)
        pipe.expire(key, KEEP_SECONDS)
        pipe.execute()

    def counts(self, at: float) -> dict[str, int]:
        """Conversations of ``at``'s day: all, handed off, and handled by the bot alone."""
        day = day_of(at)
        wrote, handed = wrote_key(day), handed_off_key(day)
        # Counts, not members: only the (small) handed-off overlap comes back as ids.
        pipe = self._redis.pipeline(transaction=False)
        pipe.scard(wrote)
        pipe.scard(handed)
        pipe.sinter(wrote, handed)
        wrote_count, handed_count, both = pipe.execute()
        return {
            "conversations": int(wrote_count) + int(handed_count) - len(both),
            "handed_off": int(handed_count),
            "bot_alone": int(wrote_count) - len(both),
        }
