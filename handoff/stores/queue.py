"""The handoff queue: conversations waiting for an agent, in one Redis sorted set.

Order is priority first (urgent, high, normal), then arrival. A score is the
priority's centre plus an arrival counter, or minus it for ``front=True``, so a
chat sent back to the front goes before everything of its priority. Queueing
and taking a chat are single Lua scripts that move the conversation through
``ConversationStore``'s transition function, so a chat is never assigned twice
nor left queued outside the set.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import redis

from core.vocabulary import PRIORITIES
from handoff.stores.conversations import (
    Conversation,
    ConversationStore,
    conversation_from_reply,
    encode_fields,
    script_error,
)
from handoff.stores.keys import (
    HANDLE_TIMES_KEY,
    LIVE_KEY,
    QUEUE_ARRIVALS_KEY,
    QUEUE_CHANGED_KEY,
    QUEUE_KEY,
    QUEUE_PUSHED_KEY,
    agent_chats_key,
    agent_key,
    conversation_key,
    sla_raised_key,
    stranded_key,
)
from handoff.stores.presence import Presence

HANDLE_TIME_WINDOW = 20  # closed chats the mean handle time is taken over
DEFAULT_HANDLE_TIME = 300.0  # seconds, until a chat has been handled
# Centre of each priority's score band; arrivals (< 2**40) never cross into the next band.
_BAND = 2**40
_CENTRES = {priority: (2 * rank + 1) * _BAND for rank, priority in enumerate(PRIORITIES)}
_ENQUEUE_FIELDS = frozenset({"reason", "packet", "customer"})

# KEYS: conversation, live set, queue, arrivals counter. ARGV: chats prefix, id, priority,
# skill, front ("1"/"0"), now, score centre, then field name/value pairs.
_ENQUEUE = """
local fields = field_pairs(8)
fields.priority = ARGV[3]
fields.skill = ARGV[4]
local err = transition(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], 'queued', nil, fields, ARGV[6])
if err then return redis.error_reply(err) end
local arrival = redis.call('INCR', KEYS[4])
local score = tonumber(ARGV[7]) + arrival
if ARGV[5] == '1' then score = tonumber(ARGV[7]) - arrival end
redis.call('ZADD', KEYS[3], score, ARGV[2])
return {redis.call('ZRANK', KEYS[3], ARGV[2]), redis.call('HGET', KEYS[1], 'queued_at')}
"""

# KEYS: conversation, live set, queue, agent, agent's chats. ARGV: chats prefix, id, agent id, now.
_CLAIM = """
local agent = redis.call('HMGET', KEYS[4], 'status', 'capacity', 'disconnected_at')
if not agent[1] or agent[1] == 'offline' or agent[3] then
  return redis.error_reply('UNAVAILABLE ' .. ARGV[3] .. ' is not connected')
end
if redis.call('SCARD', KEYS[5]) >= tonumber(agent[2]) then
  return redis.error_reply('ATCAPACITY ' .. ARGV[3] .. ' has no room for another chat')
end
if not redis.call('ZSCORE', KEYS[3], ARGV[2]) then
  return redis.error_reply('NOTQUEUED ' .. ARGV[2] .. ' is not waiting in the queue')
end
local err = transition(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], 'assigned', {queued = true},
                       {agent_id = ARGV[3]}, ARGV[4])
if err then return redis.error_reply('NOTQUEUED ' .. err) end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: queue. ARGV: conversation key prefix. A consistent snapshot of the queue.
_ENTRIES = """
local entries = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local entry = redis.call('HMGET', ARGV[1] .. id, 'priority', 'skill', 'queued_at', 'last_seq')
  entries[#entries + 1] = {id, entry[1], entry[2], entry[3], entry[4]}
end
return entries
"""


class QueueError(Exception):
    """Base of the errors about the queue."""


class NotQueued(QueueError):
    """The conversation is not waiting (someone else took it, or it left the queue)."""


class AtCapacity(QueueError):
    """The agent cannot take another chat now."""


class AgentUnavailable(AtCapacity):
    """The agent is offline or disconnected, so has no capacity at all."""


@dataclass(frozen=True)
class QueueEntry:
    """A waiting conversation; ``position`` is 1-based, in the list it came from; ``last_seq``
    (its transcript's latest number) tells the console when the customer wrote again."""

    conversation_id: str
    priority: str
    skill: str
    queued_at: float
    position: int
    last_seq: int = 0


class HandoffQueue:
    """Queue conversations, list them in order and let agents take them."""

    def __init__(self, redis: redis.Redis, conversations: ConversationStore) -> None:
        self._redis = redis
        self._presence = Presence(redis)
        self._enqueue = conversations.register_script(_ENQUEUE)
        self._claim = conversations.register_script(_CLAIM)
        self._entries = redis.register_script(_ENTRIES)

    def enqueue(
        self,
        conversation_id: str,
        priority: str,
        skill: str,
        front: bool = False,
        **fields: Any,
    ) -> QueueEntry:
        """Move the conversation to mode queued and into the queue, in one step.

        From bot this starts a handoff (``fields``: reason, packet, customer);
        from assigned it frees the agent (transfer, grace period over: use
        ``front=True``). Raises InvalidTransition (from closed, or if already
        queued) or UnknownConversation.
        """
        if priority not in PRIORITIES:
            raise ValueError(f"Unknown priority {priority!r}; use {', '.join(PRIORITIES)}.")
        if not skill:
            raise ValueError("A queued conversation needs a skill.")
        try:
            reply = self._enqueue(
                keys=[conversation_key(conversation_id), LIVE_KEY, QUEUE_KEY, QUEUE_ARRIVALS_KEY],
                args=[
                    agent_chats_key(""),
                    conversation_id,
                    priority,
                    skill,
                    "1" if front else "0",
                    repr(time.time()),
                    _CENTRES[priority],
                    *encode_fields(fields, _ENQUEUE_FIELDS),
                ],
            )
        except redis.ResponseError as error:
            raise script_error(error) from None
        rank, queued_at = reply
        return _entry(conversation_id, priority, skill, queued_at, position=int(rank) + 1)

    def entries(self, skill: str | None = None) -> list[QueueEntry]:
        """Waiting conversations in queue order; with ``skill``, only those needing it,
        positioned among themselves."""
        reply = self._entries(keys=[QUEUE_KEY], args=[conversation_key("")])
        waiting = [row for row in reply if skill is None or row[2] == skill]
        return [_entry(*row, position=index) for index, row in enumerate(waiting, start=1)]

    def position(self, conversation_id: str) -> int | None:
        """1-based place in the whole queue, or None if not waiting."""
        rank = self._redis.zrank(QUEUE_KEY, conversation_id)
        return None if rank is None else int(rank) + 1

    def claim(self, conversation_id: str, agent_id: str) -> Conversation:
        """Give a waiting conversation to the agent, atomically; returns it assigned.

        The agent must be connected and not offline ("away" agents may still pick
        by hand) with fewer chats than their capacity. Raises NotQueued if the
        chat is not waiting (someone else got it), AtCapacity if the agent is
        full, AgentUnavailable (an AtCapacity) if they are offline or disconnected.
        """
        try:
            reply = self._claim(
                keys=[
                    conversation_key(conversation_id),
                    LIVE_KEY,
                    QUEUE_KEY,
                    agent_key(agent_id),
                    agent_chats_key(agent_id),
                ],
                args=[agent_chats_key(""), conversation_id, agent_id, repr(time.time())],
            )
        except redis.ResponseError as error:
            raise script_error(
                error,
                {"NOTQUEUED": NotQueued, "ATCAPACITY": AtCapacity, "UNAVAILABLE": AgentUnavailable},
            ) from None
        return conversation_from_reply(conversation_id, reply)

    def estimated_wait(self, conversation_id: str) -> float | None:
        """Seconds until an agent should take the chat; None if it is not waiting or no
        connected, available agent has its skill. See ``estimated_waits``."""
        entry = next((e for e in self.entries() if e.conversation_id == conversation_id), None)
        return None if entry is None else self.estimated_waits([entry])[conversation_id]

    def estimated_waits(self, entries: list[QueueEntry]) -> dict[str, float | None]:
        """Estimated seconds of wait for each entry, reading agents and handle times once.

        With ``p`` an entry's place in the whole queue, ``F`` the free chat slots and ``C``
        the total capacity of the connected, available agents with its skill, and ``H``
        the mean of the last 20 handle times: wait = max(0, p - F) * H / C. The first F
        chats are taken at once; each later one waits for a slot, and C slots free up at
        C / H per second. None when no such agent is there.
        """
        agents = [a for a in self._presence.all() if a.routable]
        handle_time = self._mean_handle_time()
        waits: dict[str, float | None] = {}
        for entry in entries:
            able = [a for a in agents if a.can_handle(entry.skill)]
            capacity = sum(a.capacity for a in able)
            if capacity == 0:
                waits[entry.conversation_id] = None
                continue
            ahead = max(0, entry.position - sum(a.free for a in able))
            waits[entry.conversation_id] = ahead * handle_time / capacity
        return waits

    def record_handle_time(self, seconds: float) -> None:
        """Remember how long a finished chat took, for ``estimated_wait``."""
        if seconds < 0:
            raise ValueError("A handle time cannot be negative.")
        pipe = self._redis.pipeline(transaction=True)
        pipe.lpush(HANDLE_TIMES_KEY, repr(float(seconds)))
        pipe.ltrim(HANDLE_TIMES_KEY, 0, HANDLE_TIME_WINDOW - 1)
        pipe.execute()

    def overdue(self, sla_seconds: float, now: float | None = None) -> list[QueueEntry]:
        """Waiting conversations queued more than ``sla_seconds`` ago, in queue order."""
        deadline = (time.time() if now is None else now) - sla_seconds
        return [entry for entry in self.entries() if entry.queued_at < deadline]

    def mark_changed(self) -> None:
        """Flag the queue for the next push of places and waits (see ``take_changed``)."""
        self._redis.set(QUEUE_CHANGED_KEY, "1")

    def take_changed(self) -> bool:
        """Whether the queue changed since the last call; clears the flag for every process."""
        return bool(self._redis.getdel(QUEUE_CHANGED_KEY))

    def pushed(self) -> dict[str, str]:
        """What each waiting customer was last told, as "position|wait", by conversation id."""
        told: dict[str, str] = self._redis.hgetall(QUEUE_PUSHED_KEY)
        return told

    def record_pushed(self, told: dict[str, str], gone: Iterable[str] = ()) -> None:
        """Remember what customers were told; forget those no longer waiting."""
        pipe = self._redis.pipeline(transaction=True)
        if told:
            pipe.hset(QUEUE_PUSHED_KEY, mapping=told)
        gone = list(gone)
        if gone:
            pipe.hdel(QUEUE_PUSHED_KEY, *gone)
        pipe.execute()

    def first_sla_alert(self, conversation_id: str) -> bool:
        """True only the first time a waiting chat is found past its SLA, in any process."""
        return bool(self._redis.set(sla_raised_key(conversation_id), "1", nx=True, ex=86400))

    def first_stranded(self, conversation_id: str) -> bool:
        """True only the first time a waiting chat is found with no agent able to come."""
        return bool(self._redis.set(stranded_key(conversation_id), "1", nx=True, ex=86400))

    def _mean_handle_time(self) -> float:
        times = [float(t) for t in self._redis.lrange(HANDLE_TIMES_KEY, 0, -1)]
        return sum(times) / len(times) if times else DEFAULT_HANDLE_TIME


def _entry(
    conversation_id: str,
    priority: str,
    skill: str,
    queued_at: str,
    last_seq: str | None = None,
    *,
    position: int,
) -> QueueEntry:
    return QueueEntry(
        conversation_id=conversation_id,
        priority=priority,
        skill=skill,
        queued_at=float(queued_at),
        position=position,
        last_seq=int(last_seq or 0),
    )
