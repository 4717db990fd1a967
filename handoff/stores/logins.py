"""Failed agent logins, counted in Redis per login name and per client address.

Every gateway process shares the counts. After ``limit`` failures, each within
``FAILURE_WINDOW`` of the one before, logins by that name (or from that address)
are refused for a delay that doubles with every further failure, whatever the
password and whether or not the login exists. Names and addresses are kept only
as hashes.
"""

from __future__ import annotations

import hashlib
import math

import redis

from handoff.stores.keys import login_block_key, login_failures_key
from handoff.stores.redis_io import require_text_client

FAILURE_WINDOW = 15 * 60
# Per login name; per address more, since an office behind one NAT shares its address.
LOGIN_LIMIT = 5
CLIENT_LIMIT = 20
FIRST_DELAY = 30
MAX_DELAY = 15 * 60

# KEYS: failures, block. ARGV: window, limit, first delay, max delay. Returns the count.
FAILED_LUA = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
local limit = tonumber(ARGV[2])
if count >= limit then
  local delay = math.min(tonumber(ARGV[3]) * 2 ^ (count - limit), tonumber(ARGV[4]))
  redis.call('SET', KEYS[2], count, 'EX', math.floor(delay))
  redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[1]), math.floor(delay) * 2))
end
return count
"""


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginThrottle:
    """Slows down password guessing against any login and from any client."""

    def __init__(self, client: redis.Redis) -> None:
        require_text_client(client)
        self._redis = client
        self._failed = client.register_script(FAILED_LUA)

    def _subjects(self, login: str, address: str) -> list[tuple[str, str, int]]:
        return [
            ("login", _digest(login.strip().lower()), LOGIN_LIMIT),
            ("client", _digest(address), CLIENT_LIMIT),
        ]

    def wait_seconds(self, login: str, address: str) -> int:
        """How long this login from this address must wait; 0 when it may try now."""
        pipe = self._redis.pipeline(transaction=False)
        for kind, digest, _ in self._subjects(login, address):
            pipe.pttl(login_block_key(kind, digest))
        return max(math.ceil(ms / 1000) if ms > 0 else 0 for ms in pipe.execute())

    def failed(self, login: str, address: str) -> None:
        """Count a wrong password (or unknown login) against the name and the address."""
        for kind, digest, limit in self._subjects(login, address):
            self._failed(
                keys=[login_failures_key(kind, digest), login_block_key(kind, digest)],
                args=[FAILURE_WINDOW, limit, FIRST_DELAY, MAX_DELAY],
            )

    def succeeded(self, login: str) -> None:
        """The right password: the name's earlier failures are forgiven (not the address's)."""
        self._redis.delete(login_failures_key("login", _digest(login.strip().lower())))
