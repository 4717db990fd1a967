"""Bot turns in progress, by gateway process: what a killed process leaves unanswered.

A customer's line is stored before the bot is asked, and a resend of it is answered
from the store, so a process killed mid-turn would leave the customer in silence
for good. Each process files the turns it is waiting on; when housekeeping finds a
process dead, one surviving process claims each of its turns and tells the customer.
"""

from __future__ import annotations

import redis

from handoff.stores.keys import BOT_TURNS_KEY, GATEWAYS_KEY
from handoff.stores.redis_io import require_text_client


class BotTurns:
    """Turns waiting on Rasa: ``conversation|process`` -> 1 if the line asked for a person."""

    def __init__(self, redis: redis.Redis) -> None:
        require_text_client(redis)
        self._redis = redis

    def begin(self, conversation_id: str, process_id: str, now: float, for_a_person: bool) -> None:
        """The process asks the bot; the process is listed so its death is noticed even if it
        dies before its first tick."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(BOT_TURNS_KEY, _field(conversation_id, process_id), int(for_a_person))
        pipe.zadd(GATEWAYS_KEY, {process_id: now}, nx=True)
        pipe.execute()

    def end(self, conversation_id: str, process_id: str) -> None:
        """The bot answered, or the process told the customer it could not."""
        self._redis.hdel(BOT_TURNS_KEY, _field(conversation_id, process_id))

    def orphaned(self) -> list[tuple[str, bool]]:
        """Claim the turns of processes no longer listed (presence reaps a process that stopped
        ticking): (conversation id, asked for a person) for each turn this caller took;
        other processes' housekeeping take the rest."""
        live = set(self._redis.zrange(GATEWAYS_KEY, 0, -1))
        claimed = []
        for name, flag in self._redis.hgetall(BOT_TURNS_KEY).items():
            conversation_id, _, process_id = name.rpartition("|")
            if process_id not in live and self._redis.hdel(BOT_TURNS_KEY, name):
                claimed.append((conversation_id, flag == "1"))
        return claimed


def _field(conversation_id: str, process_id: str) -> str:
    return f"{conversation_id}|{process_id}"
