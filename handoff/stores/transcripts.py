"""Transcripts: every message of a conversation, in order, with a sequence number.

Each conversation's messages live in a Redis Stream whose entry ids are
``<seq>-0``: the sequence number is taken from the conversation hash
(``last_seq``) and written in the same script, so numbers start at 1 and rise
by one with no gaps, whatever the number of gateway processes. A client that
says which number it saw last gets exactly the later messages (``since``); clients
are sent a page at a time (``page``), newest first, and ask for older ones.
A transcript expires with its conversation (``lifetime.py``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import redis

from handoff.stores.conversations import masked, script_error
from handoff.stores.keys import LIVE_KEY, conversation_key, message_ids_key, transcript_key
from handoff.stores.lifetime import Retention, lifetime_lua
from handoff.stores.redis_io import require_text_client

KINDS = ("customer", "bot", "agent", "system", "note")
# Lines a client is sent at once: on (re)connection, and each time it asks for older ones.
PAGE = 50
# The queue's preview of a waiting customer: their newest line among this many latest lines.
PREVIEW_SCAN = 20
# A resend is recognised among the latest this many client message ids of a conversation.
MESSAGE_IDS_KEPT = 500
# ... for this long after the conversation's last line with one.
MESSAGE_IDS_TTL_SECONDS = 7 * 24 * 3600

# KEYS: conversation, transcript, live index, client message ids. ARGV: id, kind, text,
# sender, at, data JSON, client message id ("" for none), ids kept, ids' lifetime.
# Returns {seq, 1} for a new line, {seq, 0} for a message id already stored under seq.
_APPEND = """
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('UNKNOWN ' .. ARGV[1]) end
if ARGV[7] ~= '' then
  local stored = redis.call('ZSCORE', KEYS[4], ARGV[7])
  if stored then return {tonumber(stored), 0} end
end
local seq = redis.call('HINCRBY', KEYS[1], 'last_seq', 1)
redis.call('HSET', KEYS[1], 'last_message_at', ARGV[5])
redis.call('XADD', KEYS[2], seq .. '-0', 'kind', ARGV[2], 'text', ARGV[3], 'sender', ARGV[4],
           'at', ARGV[5], 'data', ARGV[6])
keep(KEYS[1], KEYS[3], ARGV[1], redis.call('HGET', KEYS[1], 'mode'), ARGV[5])
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[4], seq, ARGV[7])
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[8]) - 1)
  redis.call('EXPIRE', KEYS[4], ARGV[9])
end
return {seq, 1}
"""


@dataclass(frozen=True)
class Message:
    """One transcript entry; ``note`` messages are internal, for agents only."""

    seq: int
    kind: str
    text: str
    sender: str | None
    at: float
    data: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """Consecutive messages, oldest first; ``has_more``: older ones in the range were left out."""

    messages: list[Message]
    has_more: bool


class TranscriptStore:
    """Append to and read transcripts; the client must decode responses."""

    def __init__(self, redis: redis.Redis, retention: Retention | None = None) -> None:
        require_text_client(redis)
        self._redis = redis
        self._append = redis.register_script(lifetime_lua(retention or Retention()) + _APPEND)

    def append(
        self,
        conversation_id: str,
        kind: str,
        text: str,
        sender: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Message:
        """Store a message under the next sequence number; card numbers are masked first.

        Raises UnknownConversation: messages belong to an opened conversation.
        """
        message, _ = self._store(conversation_id, kind, text, sender, data, "")
        return message

    def append_once(
        self, conversation_id: str, message_id: str, text: str, data: dict[str, Any] | None = None
    ) -> tuple[Message, bool]:
        """Store a customer's line sent with a client message id, unless that id is stored.

        Returns the line and True, or the line first stored under that id and False:
        a resend is answered, never stored twice. Atomic, whatever the number of
        gateway processes and connections sending it.
        """
        message, new = self._store(
            conversation_id,
            "customer",
            text,
            None,
            {**(data or {}), "message_id": message_id},
            message_id,
        )
        if new:
            return message, True
        entry = f"{message.seq}-0"
        found = self._redis.xrange(transcript_key(conversation_id), min=entry, max=entry)
        # Once archived, the stream is gone: the resend, masked, stands in for the original.
        return (_message(*found[0]) if found else message), False

    def _store(
        self,
        conversation_id: str,
        kind: str,
        text: str,
        sender: str | None,
        data: dict[str, Any] | None,
        message_id: str,
    ) -> tuple[Message, bool]:
        if kind not in KINDS:
            raise ValueError(f"Unknown message kind {kind!r}; kinds are {', '.join(KINDS)}.")
        text = masked(text)
        sender = masked(sender) if sender else None
        sent_id = (data or {}).get("message_id")
        data = masked(data or {})
        if sent_id:
            # A client's id, not what it wrote: kept as sent, or the acknowledgement it is
            # echoed back in would not match ("…8d7a4111111111111111e…" reads as a card).
            data["message_id"] = sent_id
        at = time.time()
        try:
            seq, new = self._append(
                keys=[
                    conversation_key(conversation_id),
                    transcript_key(conversation_id),
                    LIVE_KEY,
                    message_ids_key(conversation_id),
                ],
                args=[
                    conversation_id,
                    kind,
                    text,
                    sender or "",
                    repr(at),
                    json.dumps(data),
                    message_id,
                    MESSAGE_IDS_KEPT,
                    MESSAGE_IDS_TTL_SECONDS,
                ],
            )
        except redis.ResponseError as error:
            raise script_error(error) from None
        message = Message(seq=int(seq), kind=kind, text=text, sender=sender, at=at, data=data)
        return message, bool(new)

    def since(
        self, conversation_id: str, last_seq: int = 0, include_notes: bool = False
    ) -> list[Message]:
        """The messages numbered above ``last_seq``, in order.

        Customers are not sent notes (``include_notes=False``), so the numbers
        they see may skip a note's; what they missed is still everything above
        the last number they saw.
        """
        entries = self._redis.xrange(
            transcript_key(conversation_id), min=f"{max(last_seq, 0) + 1}-0"
        )
        messages = [_message(entry_id, fields) for entry_id, fields in entries]
        return [m for m in messages if include_notes or m.kind != "note"]

    def page(
        self,
        conversation_id: str,
        *,
        after_seq: int = 0,
        before_seq: int | None = None,
        include_notes: bool = False,
        limit: int = PAGE,
    ) -> Page:
        """The newest ``limit`` messages numbered above ``after_seq`` and below ``before_seq``.

        Read newest first, a chunk at a time, so a page costs the same however long the
        transcript is; notes are skipped for customers without shortening their page.
        """
        low = max(after_seq, 0) + 1
        high = None if before_seq is None else before_seq - 1
        found: list[Message] = []
        while len(found) <= limit and (high is None or high >= low):
            entries = self._redis.xrevrange(
                transcript_key(conversation_id),
                max="+" if high is None else f"{high}-0",
                min=f"{low}-0",
                count=limit + 1,
            )
            messages = [_message(entry_id, fields) for entry_id, fields in entries]
            found += [m for m in messages if include_notes or m.kind != "note"]
            if len(entries) <= limit:
                break
            high = messages[-1].seq - 1
        return Page(messages=found[:limit][::-1], has_more=len(found) > limit)

    def last_customer_lines(self, conversation_ids: list[str]) -> list[str | None]:
        """Each conversation's newest customer line among its latest ``PREVIEW_SCAN`` lines, in
        one round trip: the queue's preview of what a waiting customer last wrote."""
        pipe = self._redis.pipeline(transaction=False)
        for conversation_id in conversation_ids:
            pipe.xrevrange(transcript_key(conversation_id), count=PREVIEW_SCAN)
        return [
            next((fields["text"] for _, fields in entries if fields["kind"] == "customer"), None)
            for entries in pipe.execute()
        ]

    def all(self, conversation_id: str) -> list[Message]:
        """The whole transcript, notes included (for agents and the archive)."""
        return self.since(conversation_id, 0, include_notes=True)

    def delete(self, conversation_id: str) -> None:
        """Drop the messages once archived; numbering carries on if the chat does."""
        self._redis.delete(transcript_key(conversation_id))


def _message(entry_id: str, fields: dict[str, str]) -> Message:
    return Message(
        seq=int(entry_id.partition("-")[0]),
        kind=fields["kind"],
        text=fields["text"],
        sender=fields["sender"] or None,
        at=float(fields["at"]),
        data=json.loads(fields["data"]),
    )
