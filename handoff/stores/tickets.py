"""Who may leave an email for a follow-up ticket: the gateway's offers and the limits.

An email is a ticket only when the gateway offered it (nobody could take the chat),
once per conversation, a few a day to any one address and a few an hour from any
one client, so the gateway never becomes a mail relay for strangers.
"""

from __future__ import annotations

import hashlib

import redis

from handoff.stores.keys import (
    ticket_offer_key,
    ticket_taken_key,
    tickets_from_key,
    tickets_to_key,
)
from handoff.stores.redis_io import require_text_client

# An offer stands this long after the gateway made it.
OFFER_SECONDS = 24 * 3600
# Tickets one address may be sent in a UTC day, across every conversation.
PER_RECIPIENT_PER_DAY = 3
# Tickets one client (network address) may leave in an hour.
PER_CLIENT_PER_HOUR = 10

# KEYS: offer, taken, to-counter, from-counter. ARGV: recipient limit, client limit, taken TTL.
# Returns 'OK', or the reason it is refused: 'NOT_OFFERED', 'RECIPIENT', 'CLIENT'.
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 'NOT_OFFERED'
end
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[1]) then return 'RECIPIENT' end
if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[2]) then return 'CLIENT' end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], 2 * 86400)
redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], 2 * 3600)
return 'OK'
"""


class TicketLimits:
    """Offers of a ticket, and the claims that use them; the client must decode responses."""

    def __init__(self, redis: redis.Redis) -> None:
        require_text_client(redis)
        self._redis = redis
        self._claim = redis.register_script(_CLAIM)

    def offer(self, conversation_id: str) -> None:
        """The gateway told the customer they may leave an email."""
        self._redis.set(ticket_offer_key(conversation_id), "1", ex=OFFER_SECONDS)

    def offered(self, conversation_id: str) -> bool:
        """Whether the conversation may still leave an email."""
        return bool(self._redis.exists(ticket_offer_key(conversation_id)))

    def claim(self, conversation_id: str, email: str, client: str, now: float) -> str:
        """Use the conversation's offer for a ticket to ``email``: "OK" or why not.

        "NOT_OFFERED" (no offer, or the conversation's one ticket is taken),
        "RECIPIENT" (the address had its tickets today), "CLIENT" (this client its
        tickets this hour). Counts only when it is "OK".
        """
        recipient = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        reply: str = self._claim(
            keys=[
                ticket_offer_key(conversation_id),
                ticket_taken_key(conversation_id),
                tickets_to_key(recipient, int(now // 86400)),
                tickets_from_key(client, int(now // 3600)),
            ],
            args=[PER_RECIPIENT_PER_DAY, PER_CLIENT_PER_HOUR, 30 * 86400],
        )
        return reply
