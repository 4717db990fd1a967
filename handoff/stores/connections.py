"""Sockets open per client address, counted in Redis so that every gateway process sees them.

A counter per address goes up on connect and down on disconnect; it expires a
while after the last connection, so a process that died without decrementing
cannot lock an address out for longer than that.
"""

from __future__ import annotations

import redis

from handoff.stores.keys import connections_key

# A counter left by a process that died is forgotten this long after its last connect.
COUNTER_SECONDS = 3600

# KEYS: counter. ARGV: cap, seconds. 1 if the connection is let in (and counted), else 0.
_OPEN = """
local open = tonumber(redis.call('GET', KEYS[1]) or '0')
if open >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: counter. Never below zero, even after the counter expired under open sockets.
_CLOSE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
"""


class ConnectionCounts:
    """Let a client address hold at most ``cap`` sockets at once."""

    def __init__(self, redis: redis.Redis, cap: int) -> None:
        if cap < 1:
            raise ValueError("MAX_CONNECTIONS_PER_CLIENT must be at least 1.")
        self.cap = cap
        self._open = redis.register_script(_OPEN)
        self._close = redis.register_script(_CLOSE)

    def opened(self, client: str) -> bool:
        """Count a new socket of ``client``; False (and not counted) if it has ``cap`` already."""
        return bool(self._open(keys=[connections_key(client)], args=[self.cap, COUNTER_SECONDS]))

    def closed(self, client: str) -> None:
        """A socket counted by ``opened`` went away."""
        self._close(keys=[connections_key(client)])
