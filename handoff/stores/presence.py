"""Agent presence in Redis: who is connected, their status, skills, capacity and load.

Accounts live in SQL (``handoff.records.agents``); this is the live side the router
reads. An agent's load is the size of their chat set, which only conversation
transitions change, so load and assignments cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from core.vocabulary import AGENT_STATUSES, GENERAL_SKILL
from handoff.stores.conversations import script_error
from handoff.stores.keys import (
    AGENTS_KEY,
    DISCONNECTED_KEY,
    GATEWAYS_KEY,
    agent_chats_key,
    agent_key,
    gateway_agents_key,
)
from handoff.stores.redis_io import hash_from_reply, require_text_client

# KEYS: agent, agents set, disconnected set, chats.
# ARGV: id, name, skills JSON, capacity, joining (1 or 0).
# An agent who chose "away" stays away through reloads and reconnects; from offline (or new)
# they come back available.
_ONLINE = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'away' then status = 'available' end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'status', status, 'skills', ARGV[3],
           'capacity', ARGV[4])
redis.call('HDEL', KEYS[1], 'disconnected_at')
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 'joining', '1')
else
  redis.call('HDEL', KEYS[1], 'joining')
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return {redis.call('HGETALL', KEYS[1]), redis.call('SCARD', KEYS[4])}
"""

# KEYS: agent, disconnected set, chats. ARGV: id, status.
_SET_STATUS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('UNKNOWN ' .. ARGV[1]) end
redis.call('HSET', KEYS[1], 'status', ARGV[2])
if ARGV[2] == 'offline' then
  redis.call('HDEL', KEYS[1], 'disconnected_at')
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return {redis.call('HGETALL', KEYS[1]), redis.call('SCARD', KEYS[3])}
"""

# KEYS: agent, disconnected set. ARGV: id, time of the disconnect.
_DISCONNECTED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('UNKNOWN ' .. ARGV[1]) end
redis.call('HSET', KEYS[1], 'disconnected_at', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return redis.status_reply('OK')
"""

# KEYS: agents set. ARGV: agent key prefix, chats key prefix. A consistent snapshot of all.
_ALL = """
local agents = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  agents[#agents + 1] = {id, redis.call('HGETALL', ARGV[1] .. id),
                         redis.call('SCARD', ARGV[2] .. id)}
end
return agents
"""


# KEYS: gateways. ARGV: process id, now. The process's previous tick, -1 if it is new.
_TICK = """
local previous = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if not previous then return '-1' end
return previous
"""

# KEYS: gateways, disconnected set. ARGV: dead process id, its agents key prefix, agent key
# prefix. Claims the process (one reaper wins), then marks each agent it held disconnected
# at its last tick, unless another live process holds a socket of theirs, or they already
# are (or are offline). Returns the agents marked.
_REAP = """
local last = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not last then return {} end
redis.call('ZREM', KEYS[1], ARGV[1])
local held = ARGV[2] .. ARGV[1]
local agents = redis.call('HKEYS', held)
redis.call('DEL', held)
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
local marked = {}
for _, agent in ipairs(agents) do
  local elsewhere = false
  for _, process in ipairs(live) do
    if redis.call('HEXISTS', ARGV[2] .. process, agent) == 1 then elsewhere = true end
  end
  local key = ARGV[3] .. agent
  if not elsewhere and redis.call('HEXISTS', key, 'disconnected_at') == 0
     and redis.call('EXISTS', key) == 1 and redis.call('HGET', key, 'status') ~= 'offline' then
    redis.call('HSET', key, 'disconnected_at', last)
    redis.call('ZADD', KEYS[2], last, agent)
    marked[#marked + 1] = agent
  end
end
return marked
"""


class PresenceError(Exception):
    """Base of the errors about agent presence."""


class NotOnline(PresenceError):
    """The agent has never come online (their account may well exist)."""


@dataclass(frozen=True)
class AgentState:
    """An agent as the router sees them; ``load`` is how many chats they hold.

    Name, skills and capacity are copied from the account (``records.agents.Agent``)
    when the agent comes online, so routing reads Redis alone, never SQL.
    """

    agent_id: str
    name: str
    status: str
    skills: tuple[str, ...]
    capacity: int
    load: int
    disconnected_at: float | None
    joining: bool = False

    def can_handle(self, skill: str) -> bool:
        """Whether the agent may take a chat needing ``skill``; any agent takes "general"."""
        return skill == GENERAL_SKILL or skill in self.skills

    @property
    def routable(self) -> bool:
        """Connected, available, and their console has its state: chats may be routed to
        them (if they have room)."""
        return self.status == "available" and self.disconnected_at is None and not self.joining

    @property
    def presence(self) -> str:
        """What supervisors are told: available, away, disconnected (within the grace period,
        chats kept) or offline (gone: logged out, or the grace period ran out)."""
        if self.status != "offline" and self.disconnected_at is not None:
            return "disconnected"
        return self.status

    @property
    def free(self) -> int:
        """How many more chats the agent can take."""
        return max(0, self.capacity - self.load)


class Presence:
    """Agents' live state; the client must decode responses."""

    def __init__(self, redis: redis.Redis) -> None:
        require_text_client(redis)
        self._redis = redis
        self._online = redis.register_script(_ONLINE)
        self._set_status = redis.register_script(_SET_STATUS)
        self._disconnected = redis.register_script(_DISCONNECTED)
        self._all = redis.register_script(_ALL)
        self._tick = redis.register_script(_TICK)
        self._reap = redis.register_script(_REAP)

    def online(
        self,
        agent_id: str,
        name: str,
        skills: Iterable[str],
        capacity: int,
        *,
        joining: bool = False,
    ) -> AgentState:
        """The agent connected: grace period over, chats they hold kept; available, unless
        they were away (a reload or a reconnect keeps the status they chose).

        ``joining`` keeps chats from being routed to them until ``ready``: a console that
        is still being sent its state would otherwise get a chat before that state.
        """
        if capacity < 0:
            raise ValueError("Capacity is a number of chats, 0 or more.")
        reply = self._online(
            keys=[agent_key(agent_id), AGENTS_KEY, DISCONNECTED_KEY, agent_chats_key(agent_id)],
            args=[agent_id, name, json.dumps(list(skills)), int(capacity), int(joining)],
        )
        return _state(agent_id, *reply)

    def ready(self, agent_id: str) -> None:
        """The agent's console has its state: chats may be routed to them again."""
        self._redis.hdel(agent_key(agent_id), "joining")

    def set_status(self, agent_id: str, status: str) -> AgentState:
        """Set available, away or offline; raises NotOnline."""
        if status not in AGENT_STATUSES:
            raise ValueError(
                f"Unknown status {status!r}; statuses are {', '.join(AGENT_STATUSES)}."
            )
        try:
            reply = self._set_status(
                keys=[agent_key(agent_id), DISCONNECTED_KEY, agent_chats_key(agent_id)],
                args=[agent_id, status],
            )
        except redis.ResponseError as error:
            raise script_error(error, {"UNKNOWN": NotOnline}) from None
        return _state(agent_id, *reply)

    def disconnected(self, agent_id: str, at: float) -> None:
        """The agent's connection dropped at ``at``: they keep their chats for a grace period."""
        try:
            self._disconnected(
                keys=[agent_key(agent_id), DISCONNECTED_KEY], args=[agent_id, repr(float(at))]
            )
        except redis.ResponseError as error:
            raise script_error(error, {"UNKNOWN": NotOnline}) from None

    def held(self, process_id: str, agent_id: str) -> None:
        """A socket of the agent is open on gateway process ``process_id``."""
        self._redis.hincrby(gateway_agents_key(process_id), agent_id, 1)

    def released(self, process_id: str, agent_id: str) -> None:
        """A socket of the agent on ``process_id`` closed (the process saw it close)."""
        key = gateway_agents_key(process_id)
        if self._redis.hincrby(key, agent_id, -1) <= 0:
            self._redis.hdel(key, agent_id)

    def tick(self, process_id: str, now: float, silent_seconds: float) -> list[str]:
        """Gateway process ``process_id`` is alive at ``now``; returns the agents whose
        sockets were on processes silent for ``silent_seconds``, now disconnected.

        A killed process never sees its sockets close; this is how the grace period
        starts for its agents. A process that was itself silent that long (Redis paused,
        the machine stalled) reaps nobody this time: the others get a tick to show they live.
        """
        previous = float(self._tick(keys=[GATEWAYS_KEY], args=[process_id, repr(now)]))
        if previous < 0 or now - previous > silent_seconds:
            return []
        dead = self._redis.zrangebyscore(GATEWAYS_KEY, "-inf", f"({now - silent_seconds!r}")
        marked: list[str] = []
        for process in dead:
            marked += self._reap(
                keys=[GATEWAYS_KEY, DISCONNECTED_KEY],
                args=[process, gateway_agents_key(""), agent_key("")],
            )
        return marked

    def claim_expired(self, agent_id: str) -> bool:
        """Take the agent off the grace-period list; True for the one process that did, which
        then acts on it (several processes' housekeeping find them expired at once)."""
        return bool(self._redis.zrem(DISCONNECTED_KEY, agent_id))

    def offline(self, agent_id: str) -> None:
        """The agent is gone (logged out, or the grace period ran out)."""
        self.set_status(agent_id, "offline")

    def get(self, agent_id: str) -> AgentState | None:
        """The agent's state, or None if they never came online."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hgetall(agent_key(agent_id))
        pipe.scard(agent_chats_key(agent_id))
        fields, load = pipe.execute()
        return _state(agent_id, fields, load) if fields else None

    def all(self) -> list[AgentState]:
        """Every agent presence knows, offline ones included, by id."""
        reply = self._all(keys=[AGENTS_KEY], args=[agent_key(""), agent_chats_key("")])
        return sorted((_state(*agent) for agent in reply), key=lambda a: a.agent_id)

    def chats(self, agent_id: str) -> set[str]:
        """Ids of the conversations assigned to the agent."""
        return set(self._redis.smembers(agent_chats_key(agent_id)))

    def grace_expired(self, grace_seconds: float, now: float) -> list[str]:
        """Ids of agents disconnected for longer than ``grace_seconds``, longest first."""
        return list(
            self._redis.zrangebyscore(DISCONNECTED_KEY, "-inf", f"({now - grace_seconds!r}")
        )


def _state(agent_id: str, fields: list[str] | dict[str, str], load: Any) -> AgentState:
    """An AgentState from the agent's hash, as HGETALL returns it, and load."""
    values = hash_from_reply(fields)
    disconnected_at = values.get("disconnected_at")
    return AgentState(
        agent_id=agent_id,
        name=values["name"],
        status=values["status"],
        skills=tuple(json.loads(values["skills"])),
        capacity=int(values["capacity"]),
        load=int(load),
        disconnected_at=float(disconnected_at) if disconnected_at else None,
        joining=values.get("joining") == "1",
    )
