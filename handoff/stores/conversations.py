"""Conversations in Redis: who owns each chat, and the one state machine that moves it.

A conversation belongs to exactly one owner at a time: the bot, the queue or one
agent. Its mode and the indexes that mirror ownership (the live set, the queue,
each agent's chat set) change together in one Lua function, ``TRANSITION_LUA``,
which every script that moves a conversation embeds; it is the only code that
changes a conversation's mode. Every Redis key of the gateway is named in ``keys.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from core.redaction import mask_card_numbers
from handoff.stores.keys import LIVE_KEY, QUEUE_KEY, agent_chats_key, conversation_key, rate_key
from handoff.stores.lifetime import Retention, lifetime_lua
from handoff.stores.redis_io import (
    count_once_more,
    hash_from_reply,
    lua_table,
    require_text_client,
)

# A chat with the bot this long without a message is over for supervisors' eyes: the customer
# has most likely left (it comes back if they write again).
BOT_QUIET_SECONDS = 5 * 60
# Supervisors see at most this many live chats: those held by people first, then the newest.
LIVE_LIMIT = 200

MODES = ("bot", "queued", "assigned", "closed")
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "bot": frozenset({"queued", "closed"}),
    "queued": frozenset({"assigned", "closed", "bot"}),
    "assigned": frozenset({"assigned", "bot", "closed", "queued"}),
    "closed": frozenset({"bot"}),
}
# Fields of one handoff, cleared when a new one starts (bot -> queued) or the chat starts over.
HANDOFF_FIELDS = (
    "agent_id",
    "skill",
    "priority",
    "reason",
    "packet",
    "queued_at",
    "assigned_at",
    "first_agent_reply_at",
    "closed_at",
    "resolution",
    "csat",
)
_JSON_FIELDS = frozenset({"packet", "customer"})
_TIME_FIELDS = frozenset({"queued_at", "assigned_at", "first_agent_reply_at", "closed_at"})
_SETTABLE = frozenset({"first_agent_reply_at", "csat", "customer", "packet", "resolution"})

# transition(...) returns nil, or an error reply text that starts with a code
# (UNKNOWN, INVALID) for ``script_error``. It checks everything before writing,
# because Redis does not roll a script back.
TRANSITION_LUA = """
local EDGES = __EDGES__
local HANDOFF_FIELDS = __HANDOFF_FIELDS__
local STAMPS = {queued = 'queued_at', assigned = 'assigned_at', closed = 'closed_at'}

local function field_pairs(from)
  local fields = {}
  for i = from, #ARGV, 2 do fields[ARGV[i]] = ARGV[i + 1] end
  return fields
end

local function transition(conv_key, live_key, queue_key, chats_prefix, id, to, expected, fields,
                          now)
  local mode = redis.call('HGET', conv_key, 'mode')
  if not mode then return 'UNKNOWN ' .. id end
  if (expected and not expected[mode]) or not (EDGES[mode] and EDGES[mode][to]) then
    return 'INVALID ' .. id .. ' cannot go from ' .. mode .. ' to ' .. to
  end
  local new_agent = nil
  if to == 'assigned' then
    new_agent = fields.agent_id
    if new_agent == nil or new_agent == '' then
      return 'INVALID ' .. id .. ': assigning needs an agent_id'
    end
  end
  local old_agent = redis.call('HGET', conv_key, 'agent_id')
  if (mode == 'bot' and to == 'queued') or (mode == 'closed' and to == 'bot') then
    redis.call('HDEL', conv_key, unpack(HANDOFF_FIELDS))
  end
  -- A closed chat remembers who handled it (for the archive and reports).
  if to ~= 'assigned' and to ~= 'closed' then fields.agent_id = '' end
  if mode ~= to and STAMPS[to] and fields[STAMPS[to]] == nil then fields[STAMPS[to]] = now end
  for name, value in pairs(fields) do
    if value == '' then
      redis.call('HDEL', conv_key, name)
    else
      redis.call('HSET', conv_key, name, value)
    end
  end
  redis.call('HSET', conv_key, 'mode', to)
  if old_agent and old_agent ~= new_agent then
    redis.call('SREM', chats_prefix .. old_agent, id)
  end
  if to == 'assigned' then redis.call('SADD', chats_prefix .. new_agent, id) end
  if mode == 'queued' and to ~= 'queued' then redis.call('ZREM', queue_key, id) end
  keep(conv_key, live_key, id, to, now)
  return nil
end
"""

# KEYS: conversation, live set, queue. ARGV: chats prefix, id, to, expected modes
# (comma-separated, empty for any), now, then field name/value pairs ("" deletes).
_TRANSITION = """
local expected = nil
if ARGV[4] ~= '' then
  expected = {}
  for mode in string.gmatch(ARGV[4], '[^,]+') do expected[mode] = true end
end
local err = transition(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], expected,
                       field_pairs(6), ARGV[5])
if err then return redis.error_reply(err) end
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: conversation, live index. ARGV: now, customer JSON, id, resume secret's hash, owner.
# Opening is activity.
_OPEN = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'mode', 'bot', 'created_at', ARGV[1], 'customer', ARGV[2],
             'secret_hash', ARGV[4], 'owner', ARGV[5])
  prune(KEYS[2], ARGV[1])
end
keep(KEYS[1], KEYS[2], ARGV[3], redis.call('HGET', KEYS[1], 'mode'), ARGV[1])
return redis.call('HGETALL', KEYS[1])
"""

# KEYS: conversation. ARGV: id, the mode it must be in ("" for any), then field name/value
# pairs ("" deletes).
_SET_FIELDS = """
local mode = redis.call('HGET', KEYS[1], 'mode')
if not mode then return redis.error_reply('UNKNOWN ' .. ARGV[1]) end
if ARGV[2] ~= '' and mode ~= ARGV[2] then
  return redis.error_reply('INVALID ' .. ARGV[1] .. ' is ' .. mode .. ', not ' .. ARGV[2])
end
for i = 3, #ARGV, 2 do
  if ARGV[i] == 'first_agent_reply_at' and ARGV[i + 1] ~= '' then
    redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  elseif ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return redis.status_reply('OK')
"""

# KEYS: conversation. ARGV: owner. Only a conversation that exists, and only once.
_BIND_OWNER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= '' then return owner end
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
return ARGV[1]
"""


class ConversationError(Exception):
    """Base of the errors about conversations."""


class InvalidTransition(ConversationError):
    """The conversation may not move to that mode from the mode it is in."""


class UnknownConversation(ConversationError):
    """No conversation has this id."""


@dataclass(frozen=True)
class Conversation:
    """One customer chat as stored; ``last_seq`` is its transcript's latest sequence number."""

    id: str
    mode: str
    agent_id: str | None
    skill: str | None
    priority: str | None
    reason: str | None
    packet: dict[str, Any] | None
    customer: dict[str, Any]
    created_at: float
    queued_at: float | None
    assigned_at: float | None
    first_agent_reply_at: float | None
    closed_at: float | None
    resolution: str | None
    csat: int | None
    last_seq: int
    last_message_at: float | None = None  # when the transcript last grew

    @property
    def verified_customer_id(self) -> str | None:
        """The account the customer proved is theirs: the website's token, or the bot's own
        check (the handoff packet's slots); None for a guest."""
        slots = (self.packet or {}).get("slots") or {}
        if self.customer.get("verified") and self.customer.get("customer_id"):
            return str(self.customer["customer_id"])
        if slots.get("verified") is True and slots.get("customer_id"):
            return str(slots["customer_id"])
        return None


def masked(value: Any) -> Any:
    """``value`` with card numbers masked in every string, however deeply nested."""
    if isinstance(value, str):
        return mask_card_numbers(value)[0]
    if isinstance(value, dict):
        return {masked(key): masked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [masked(item) for item in value]
    return value


def script_error(
    error: redis.ResponseError, codes: Mapping[str, type[Exception]] | None = None
) -> Exception:
    """The exception a script's error reply stands for; the reply starts with a code word."""
    code, _, message = str(error).partition(" ")
    known: dict[str, type[Exception]] = {
        "UNKNOWN": UnknownConversation,
        "INVALID": InvalidTransition,
        **(codes or {}),
    }
    return known[code](message) if code in known else error


def encode_fields(fields: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    """Field name/value pairs as the scripts take them: text, masked, "" for None."""
    pairs: list[str] = []
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"{name!r} is not a conversation field that can be set here.")
        if name == "csat" and value is not None and not _is_rating(value):
            raise ValueError("CSAT is a whole number from 1 to 5.")
        if value is None:
            text = ""
        elif name in _JSON_FIELDS:
            text = json.dumps(masked(value))
        elif name in _TIME_FIELDS:
            text = repr(float(value))
        else:
            text = masked(str(value))
        pairs += [name, text]
    return pairs


def _is_rating(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def conversation_from_reply(
    conversation_id: str, reply: list[str] | dict[str, str]
) -> Conversation:
    """A Conversation from its hash, as HGETALL returns it; raises UnknownConversation."""
    fields = hash_from_reply(reply)
    if not fields:
        raise UnknownConversation(conversation_id)

    def text(name: str) -> str | None:
        return fields.get(name) or None

    def number(name: str) -> float | None:
        value = fields.get(name)
        return float(value) if value else None

    csat = fields.get("csat")
    return Conversation(
        id=conversation_id,
        mode=fields["mode"],
        agent_id=text("agent_id"),
        skill=text("skill"),
        priority=text("priority"),
        reason=text("reason"),
        packet=json.loads(fields["packet"]) if fields.get("packet") else None,
        customer=json.loads(fields.get("customer") or "{}"),
        created_at=float(fields["created_at"]),
        queued_at=number("queued_at"),
        assigned_at=number("assigned_at"),
        first_agent_reply_at=number("first_agent_reply_at"),
        closed_at=number("closed_at"),
        resolution=text("resolution"),
        csat=int(csat) if csat else None,
        last_seq=int(fields.get("last_seq") or 0),
        last_message_at=number("last_message_at"),
    )


def _quiet_with_the_bot(conversation: Conversation, quiet_since: float) -> bool:
    last = conversation.last_message_at or conversation.created_at
    return conversation.mode == "bot" and last < quiet_since


class ConversationStore:
    """Create, read and move conversations; the client must decode responses."""

    def __init__(self, redis: redis.Redis, retention: Retention | None = None) -> None:
        require_text_client(redis)
        self._redis = redis
        self.retention = retention or Retention()
        self._open = self.register_script(_OPEN)
        self._set_fields = redis.register_script(_SET_FIELDS)
        self._bind_owner = redis.register_script(_BIND_OWNER)
        self._transition = self.register_script(_TRANSITION)

    def register_script(self, body: str) -> Any:
        """A Lua script that may call ``transition(...)``: how other stores move conversations.

        The queue's scripts embed the same function, so the edges are checked in
        one place however a conversation moves.
        """
        source = TRANSITION_LUA.replace("__EDGES__", lua_table(TRANSITIONS)).replace(
            "__HANDOFF_FIELDS__", lua_table(HANDOFF_FIELDS)
        )
        return self._redis.register_script(lifetime_lua(self.retention) + source + body)

    def open(
        self,
        conversation_id: str,
        customer: dict[str, Any] | None = None,
        secret_hash: str = "",
        owner: str = "",
    ) -> Conversation:
        """Create the conversation in mode bot, or return it unchanged if it exists.

        ``secret_hash`` and ``owner`` (the customer id a customer token vouched for) are
        what resuming it needs (``service/customers.py``); they are not Conversation fields,
        so they never reach agents or supervisors.
        """
        reply = self._open(
            keys=[conversation_key(conversation_id), LIVE_KEY],
            args=[
                repr(time.time()),
                json.dumps(masked(customer or {})),
                conversation_id,
                secret_hash,
                owner,
            ],
        )
        return conversation_from_reply(conversation_id, reply)

    def credentials(self, conversation_id: str) -> tuple[str, str] | None:
        """The resume secret's hash and the owner ("" for a guest's); None if unknown."""
        secret_hash, owner, mode = self._redis.hmget(
            conversation_key(conversation_id), "secret_hash", "owner", "mode"
        )
        return None if mode is None else (secret_hash or "", owner or "")

    def bind_owner(self, conversation_id: str, owner: str) -> str:
        """Make a guest's conversation the customer's (once); the owner it has now."""
        reply: str = self._bind_owner(keys=[conversation_key(conversation_id)], args=[owner])
        return reply

    def get(self, conversation_id: str) -> Conversation:
        """The conversation; raises UnknownConversation."""
        return conversation_from_reply(
            conversation_id, self._redis.hgetall(conversation_key(conversation_id))
        )

    def transition(
        self,
        conversation_id: str,
        to: str,
        *,
        expected: set[str] | None = None,
        **fields: Any,
    ) -> Conversation:
        """Move the conversation to mode ``to`` and set ``fields``, atomically.

        Raises InvalidTransition if the edge is not allowed or the mode is not in
        ``expected``. Entering queued, assigned or closed stamps ``queued_at``,
        ``assigned_at`` or ``closed_at`` (now) unless given; leaving assigned clears
        ``agent_id`` and frees the agent; leaving queued leaves the queue. Going to
        queued needs a place in the queue, so it is ``HandoffQueue.enqueue``'s job.
        """
        if to not in MODES:
            raise ValueError(f"Unknown mode {to!r}; modes are {', '.join(MODES)}.")
        if to == "queued":
            raise ValueError("Queue a conversation with HandoffQueue.enqueue, which orders it.")
        try:
            reply = self._transition(
                keys=[conversation_key(conversation_id), LIVE_KEY, QUEUE_KEY],
                args=[
                    agent_chats_key(""),
                    conversation_id,
                    to,
                    ",".join(sorted(expected or ())),
                    repr(time.time()),
                    *encode_fields(fields, frozenset(HANDOFF_FIELDS) | {"customer"}),
                ],
            )
        except redis.ResponseError as error:
            raise script_error(error) from None
        return conversation_from_reply(conversation_id, reply)

    def set_fields(self, conversation_id: str, **fields: Any) -> None:
        """Set fields that do not change the owner: first_agent_reply_at (kept if already
        set), csat, customer, packet, resolution."""
        try:
            self._set_fields(
                keys=[conversation_key(conversation_id)],
                args=[conversation_id, "", *encode_fields(fields, _SETTABLE)],
            )
        except redis.ResponseError as error:
            raise script_error(error) from None

    def keep_untaken_handoff(
        self,
        conversation_id: str,
        skill: str,
        priority: str,
        reason: str | None,
        packet: dict[str, Any],
    ) -> None:
        """Keep a handoff nobody could take (no agent, or closed hours) on the bot's chat, so a
        ticket left now, and the archive, have its skill, priority, reason and packet. Raises
        InvalidTransition unless the bot has the chat; a later handoff replaces them."""
        fields = {"skill": skill, "priority": priority, "reason": reason, "packet": packet}
        try:
            self._set_fields(
                keys=[conversation_key(conversation_id)],
                args=[conversation_id, "bot", *encode_fields(fields, frozenset(fields))],
            )
        except redis.ResponseError as error:
            raise script_error(error) from None

    def count_message(self, conversation_id: str, now: float) -> int:
        """Count one more message from the conversation in this minute; the minute's total."""
        return count_once_more(self._redis, rate_key(conversation_id, int(now // 60)))

    def reasons_and_names(self, conversation_ids: list[str]) -> list[tuple[str | None, Any]]:
        """Each conversation's handoff reason and customer name, in one round trip.

        Two fields, not whole conversations (packets can be large): for the queue's table.
        """
        pipe = self._redis.pipeline(transaction=False)
        for conversation_id in conversation_ids:
            pipe.hmget(conversation_key(conversation_id), "reason", "customer")
        return [
            (reason, json.loads(customer or "{}").get("name"))
            for reason, customer in pipe.execute()
        ]

    def count_live_by_mode(self, now: float) -> dict[str, int]:
        """How many conversations are live in each mode (the same index as ``live``, uncapped)."""
        ids = self._redis.zrangebyscore(LIVE_KEY, now - BOT_QUIET_SECONDS, "+inf")
        pipe = self._redis.pipeline(transaction=False)
        for conversation_id in ids:
            pipe.hget(conversation_key(conversation_id), "mode")
        counts: dict[str, int] = {}
        for mode in pipe.execute():
            if mode and mode != "closed":
                counts[mode] = counts.get(mode, 0) + 1
        return counts

    def live(self, now: float | None = None, limit: int = LIVE_LIMIT) -> list[Conversation]:
        """Conversations that are not closed, oldest first (for supervisors), at most ``limit``.

        Read from the live index, newest activity first, so the cost does not grow with
        idle chats: those held by people always, then chats with the bot active within
        ``BOT_QUIET_SECONDS`` (a quiet one comes back if the customer writes again).
        """
        quiet_since = (time.time() if now is None else now) - BOT_QUIET_SECONDS
        ids = self._redis.zrevrangebyscore(LIVE_KEY, "+inf", quiet_since, start=0, num=limit)
        pipe = self._redis.pipeline(transaction=False)
        for conversation_id in ids:
            pipe.hgetall(conversation_key(conversation_id))
        conversations = [
            conversation_from_reply(conversation_id, reply)
            for conversation_id, reply in zip(ids, pipe.execute(), strict=True)
            if reply
        ]
        return sorted(
            (c for c in conversations if not _quiet_with_the_bot(c, quiet_since)),
            key=lambda c: (c.created_at, c.id),
        )
