"""Today's conversation counts, in Redis, for the supervisors' figures.

The archive (SQL) holds the chats that closed, but a chat the bot handles alone
never closes: it just goes quiet. So the gateway marks each conversation in three
sets per day (UTC): those in which the customer wrote, those handed off to people
(queued, or told no one could come), and those an agent took. Handled by the bot
alone = wrote that day and was not handed off; a handoff no agent took (nobody
there, or the customer left the queue) is not the bot's success. The sets expire
after a week.
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
    """Set: ids of conversations handed off to people on that day."""
    return f"{PREFIX}day:{day}:handed-off"


def answered_key(day: str) -> str:
    """Set: ids of conversations an agent took on that day."""
    return f"{PREFIX}day:{day}:answered"


class DailyCounts:
    """Marks conversations per day and counts them."""

    def __init__(self, redis_client: redis.Redis) -> None:
        self._redis = redis_client

    def customer_wrote(self, conversation_id: str, at: float) -> None:
        self._mark(wrote_key(day_of(at)), conversation_id)

    def handed_off(self, conversation_id: str, at: float) -> None:
        self._mark(handed_off_key(day_of(at)), conversation_id)

    def answered(self, conversation_id: str, at: float) -> None:
        self._mark(answered_key(day_of(at)), conversation_id)

    def _mark(self, key: str, conversation_id: str) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.sadd(key, conversation_id)
        pipe.expire(key, KEEP_SECONDS)
        pipe.execute()

    def counts(self, at: float) -> dict[str, int]:
        """Conversations of ``at``'s day: all, handled by the bot alone, handed off, and of
        those, answered by an agent or not."""
        day = day_of(at)
        wrote, handed, answered = wrote_key(day), handed_off_key(day), answered_key(day)
        # Counts, not members: only the (small) handed-off overlaps come back as ids.
        pipe = self._redis.pipeline(transaction=False)
        pipe.scard(wrote)
        pipe.scard(handed)
        pipe.sinter(wrote, handed)
        pipe.sinter(handed, answered)
        wrote_count, handed_count, both, taken = pipe.execute()
        return {
            "conversations": int(wrote_count) + int(handed_count) - len(both),
            "bot_alone": int(wrote_count) - len(both),
            "handed_off": int(handed_count),
            "answered": len(taken),
            "unanswered": int(handed_count) - len(taken),
        }
