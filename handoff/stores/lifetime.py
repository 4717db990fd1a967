"""How long a conversation's keys live, and the live index by last activity.

Every script that writes a conversation (opening it, moving it, appending to its
transcript) ends by calling ``keep(...)``, which sets the expiry of the conversation's
hash, transcript and command record together: a chat with the bot expires a while after
its last activity, a closed one sooner (its archived copy stays in SQL), one held
by people (queued or assigned) never while it is held. Redis drops the keys itself
(EXPIRE), so nothing ever scans for old conversations.

The same call files the conversation in the live index, a sorted set by last
activity: held chats score above every plain time, so reading the newest slice
always includes them, and pruning chats idle past the bot's retention never
drops them.
"""

from __future__ import annotations

from dataclasses import dataclass

from handoff.stores.keys import commands_key, transcript_key

# Added to a held chat's score: far above any Unix time, so held chats sort first.
HELD = 10**10


@dataclass(frozen=True)
class Retention:
    """Seconds a conversation lives after its last activity: with the bot, and once closed.

    ``None`` keeps it forever (the stores' own tests, which check the state machine alone).
    """

    bot_seconds: float | None = None
    closed_seconds: float | None = None

    @classmethod
    def hours(cls, bot: float, closed: float) -> Retention:
        """From the settings (RETENTION_BOT_HOURS, RETENTION_CLOSED_HOURS)."""
        return cls(bot_seconds=bot * 3600, closed_seconds=closed * 3600)


def _milliseconds(seconds: float | None) -> int:
    return 0 if seconds is None else max(1, round(seconds * 1000))


# keep(conversation key, live index, id, mode, now): expiry and live index after a write.
# prune(live index, now): forget the index entries of bot chats idle past their retention.
_LIFETIME_LUA = """
local BOT_TTL_MS = __BOT_TTL_MS__
local CLOSED_TTL_MS = __CLOSED_TTL_MS__
local TRANSCRIPT_PREFIX = '__TRANSCRIPT_PREFIX__'
local COMMANDS_PREFIX = '__COMMANDS_PREFIX__'
local HELD = __HELD__

local function keep(conv_key, live_key, id, mode, now)
  local ttl = 0
  if mode == 'bot' then ttl = BOT_TTL_MS elseif mode == 'closed' then ttl = CLOSED_TTL_MS end
  for _, key in ipairs({conv_key, TRANSCRIPT_PREFIX .. id, COMMANDS_PREFIX .. id}) do
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) else redis.call('PERSIST', key) end
  end
  if mode == 'closed' then
    redis.call('ZREM', live_key, id)
  elseif mode == 'bot' then
    redis.call('ZADD', live_key, tonumber(now), id)
  else
    redis.call('ZADD', live_key, tonumber(now) + HELD, id)
  end
end

local function prune(live_key, now)
  if BOT_TTL_MS > 0 then
    redis.call('ZREMRANGEBYSCORE', live_key, '-inf', tonumber(now) - BOT_TTL_MS / 1000)
  end
end
"""


def lifetime_lua(retention: Retention) -> str:
    """The Lua functions ``keep`` and ``prune`` for ``retention``, to prepend to a script."""
    return (
        _LIFETIME_LUA.replace("__BOT_TTL_MS__", str(_milliseconds(retention.bot_seconds)))
        .replace("__CLOSED_TTL_MS__", str(_milliseconds(retention.closed_seconds)))
        .replace("__TRANSCRIPT_PREFIX__", transcript_key(""))
        .replace("__COMMANDS_PREFIX__", commands_key(""))
        .replace("__HELD__", str(HELD))
    )
