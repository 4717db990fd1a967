"""Requests each agent makes to the console's JSON API, counted per minute in Redis.

Every gateway process sees the same count, so an agent's console (or a stolen
session) cannot make the gateway read SQL and Redis without bound by spreading
requests over processes. The console itself needs a few a second at most.
"""

from __future__ import annotations

import redis

from handoff.stores.keys import api_calls_key
from handoff.stores.redis_io import count_once_more

# Far above what a console or the supervisor view sends (queue details at most once a second,
# the supervisor's poll every 3 s, a preview per canned search), far below a flood.
CALLS_PER_MINUTE = 300


class ApiCalls:
    """Let each agent make at most ``CALLS_PER_MINUTE`` API requests in a clock minute."""

    def __init__(self, redis: redis.Redis, per_minute: int = CALLS_PER_MINUTE) -> None:
        self._redis = redis
        self.per_minute = per_minute

    def allowed(self, agent_id: str, now: float) -> bool:
        """Count one request of the agent; False once they are over the minute's limit."""
        calls = count_once_more(self._redis, api_calls_key(agent_id, int(now // 60)))
        return calls <= self.per_minute
