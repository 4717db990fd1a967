"""Clients' commands on a conversation, each applied once: claimed, then its answer recorded.

A command (an agent's line, note, accept, transfer, hand-back or close; a customer's
rating or ticket) sent with a client message id is claimed under that id before it
is applied, and its answer (the event its sender was sent) recorded after. The claim
is a lease: a process that dies while applying a command frees the id after
``LEASE_SECONDS``, and a refused command frees it at once, so a retry is applied
again. Whoever claims second, in any gateway process, finds the claim or the answer.
The record lives as long as the conversation's other keys (``lifetime.py``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import redis

from handoff.stores.keys import commands_key, conversation_key
from handoff.stores.redis_io import require_text_client

# How long a claim holds an id while its command is applied (a Rasa turn at most).
LEASE_SECONDS = 30.0

# KEYS: commands, conversation. ARGV: field, claim token, now, lease seconds.
# Returns "" once claimed, "P..." while another claim holds the id, "D<answer JSON>" once
# applied, "N" for a conversation that does not exist (nothing is recorded for it).
_CLAIM = """
local found = redis.call('HGET', KEYS[1], ARGV[1])
if found then
  if string.sub(found, 1, 1) == 'D' then return found end
  local deadline = tonumber(string.match(found, '^P %S+ (%S+)$'))
  if deadline and deadline > tonumber(ARGV[3]) then return found end
end
if redis.call('EXISTS', KEYS[2]) == 0 then return 'N' end
local deadline = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], 'P ' .. ARGV[2] .. ' ' .. deadline)
live_as_long_as(KEYS[1], KEYS[2])
return ''
"""

# KEYS: commands, conversation. ARGV: field, answer JSON. The first answer stays.
_COMPLETE = """
local found = redis.call('HGET', KEYS[1], ARGV[1])
if found and string.sub(found, 1, 1) == 'D' then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], 'D' .. ARGV[2])
live_as_long_as(KEYS[1], KEYS[2])
return 1
"""

# KEYS: commands. ARGV: field, claim token. Only the claim's own holder frees it.
_RELEASE = """
local found = redis.call('HGET', KEYS[1], ARGV[1])
if found and string.match(found, '^P (%S+) ') == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# The record expires with the conversation: keep() moves both later on.
_LIVE_AS_LONG_AS = """
local function live_as_long_as(key, conversation)
  local ttl = redis.call('PTTL', conversation)
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
end
"""


@dataclass(frozen=True)
class Claim:
    """What claiming a command found: ``mine`` (apply it), an ``answer`` (it was applied),
    or neither (another process is applying it now)."""

    mine: bool
    answer: tuple[str, Any] | None = None


class CommandLog:
    """Claims and answers of clients' commands; the client must decode responses."""

    def __init__(self, redis: redis.Redis) -> None:
        require_text_client(redis)
        self._claim = redis.register_script(_LIVE_AS_LONG_AS + _CLAIM)
        self._complete = redis.register_script(_LIVE_AS_LONG_AS + _COMPLETE)
        self._release = redis.register_script(_RELEASE)

    def claim(self, conversation_id: str, sender: str, command_id: str, token: str) -> Claim:
        """Claim ``command_id`` of ``sender`` (who sent it: an agent, the customer) for ``token``.

        An unknown conversation is claimed without a record: the command is refused anyway.
        """
        reply: str = self._claim(
            keys=[commands_key(conversation_id), conversation_key(conversation_id)],
            args=[_field(sender, command_id), token, repr(time.time()), LEASE_SECONDS],
        )
        if reply in ("", "N"):
            return Claim(mine=True)
        if reply.startswith("D"):
            event, payload = json.loads(reply[1:])
            return Claim(mine=False, answer=(event, payload))
        return Claim(mine=False)

    def complete(
        self, conversation_id: str, sender: str, command_id: str, answer: tuple[str, Any]
    ) -> None:
        """Record the command's answer (the event and payload its sender was sent)."""
        self._complete(
            keys=[commands_key(conversation_id), conversation_key(conversation_id)],
            args=[_field(sender, command_id), json.dumps(list(answer))],
        )

    def release(self, conversation_id: str, sender: str, command_id: str, token: str) -> None:
        """Free a claim whose command was refused or failed: a retry may apply it."""
        self._release(
            keys=[commands_key(conversation_id)], args=[_field(sender, command_id), token]
        )


def _field(sender: str, command_id: str) -> str:
    """Ids are the sender's own: another agent's or the customer's same id is another command."""
    return f"{sender} {command_id}"
