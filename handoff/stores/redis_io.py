"""What every Redis store shares: a text client, HGETALL replies, Lua literals, counters."""

from __future__ import annotations

from collections.abc import Mapping

import redis


def require_text_client(client: redis.Redis) -> None:
    """Refuse a client that returns bytes: the stores parse replies as text."""
    if not client.connection_pool.connection_kwargs.get("decode_responses"):
        raise ValueError("The handoff stores need a Redis client with decode_responses=True.")


def hash_from_reply(reply: list[str] | dict[str, str]) -> dict[str, str]:
    """HGETALL's reply as a dict: scripts get a flat name, value list, redis-py a dict."""
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2], strict=True))


def lua_table(value: Mapping[str, frozenset[str]] | tuple[str, ...]) -> str:
    """A Python edge map or tuple of names as a Lua table literal."""
    if isinstance(value, tuple):
        return "{" + ", ".join(f"'{name}'" for name in value) + "}"
    return (
        "{"
        + ", ".join(
            f"{mode} = {{" + ", ".join(f"{to} = true" for to in sorted(targets)) + "}"
            for mode, targets in value.items()
        )
        + "}"
    )


def count_once_more(client: redis.Redis, key: str, seconds: int = 120) -> int:
    """Add one to a counter that expires ``seconds`` after its last count; its new total.

    A key per clock minute (e.g. ``rate_key``) makes it a per-minute rate limit.
    """
    pipe = client.pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, seconds)
    count, _ = pipe.execute()
    return int(count)
