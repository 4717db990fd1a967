"""What the mail provider's webhook must not do twice or too often, counted in Redis.

Every gateway process sees the same tokens and counts: a signed post replayed to another
process is refused as well, and a flood is cut whichever process it reaches.
"""

from __future__ import annotations

import hashlib

import redis

from handoff.stores.keys import inbound_calls_key, inbound_token_key
from handoff.stores.redis_io import count_once_more

# Longer than a post's signature is accepted for (its timestamp's age), so a replay is caught.
TOKEN_SECONDS = 15 * 60
# Far above the replies a support mailbox gets, far below a flood.
POSTS_PER_MINUTE = 120


class InboundMail:
    """Used webhook tokens and posts per client; the client must decode responses."""

    def __init__(self, redis: redis.Redis, per_minute: int = POSTS_PER_MINUTE) -> None:
        self._redis = redis
        self.per_minute = per_minute

    def first_use(self, token: str) -> bool:
        """Mark ``token`` used; False if it was already (a replayed post)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        return bool(self._redis.set(inbound_token_key(digest), "1", nx=True, ex=TOKEN_SECONDS))

    def allowed(self, client: str, now: float) -> bool:
        """Count one post from ``client``; False once it is over the minute's limit."""
        return count_once_more(self._redis, inbound_calls_key(client, int(now // 60))) <= (
            self.per_minute
        )
