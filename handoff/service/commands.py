"""Exactly once: a client's command sent with a message id is applied once per conversation.

Whichever gateway process receives it, and however often: the first to claim the id
applies the command and records its answer (the event its sender was sent, as sent);
every repeat is sent that answer again and changes nothing. A repeat that arrives while
the first is being applied waits for its answer. A refused command keeps no record, so
the client may correct the cause and retry with the same id. Without an id a command is
applied each time it arrives, as before ids existed (stores/commands.py keeps the ids).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from handoff.service.errors import GatewayError
from handoff.stores.commands import LEASE_SECONDS, CommandLog

# A client message id: up to 64 visible ASCII characters, chosen by the client.
MESSAGE_ID = re.compile(r"[\x21-\x7e]{1,64}")
# An answer: the event the command's sender was sent, and its payload.
Answer = tuple[str, Any]
# How often a repeat looks for the answer of a command another process is applying.
POLL_SECONDS = 0.02


def with_message_id(message_id: str | None) -> dict[str, str]:
    """What a stored line keeps of the command that made it: its message id, if it had one."""
    return {} if message_id is None else {"message_id": message_id}


def once(
    log: CommandLog,
    conversation_id: str,
    sender: str,
    command_id: str | None,
    apply: Callable[[], Answer],
    answer_again: Callable[[str, Any], None],
) -> Answer:
    """Run ``apply`` unless ``command_id`` of ``sender`` was applied; then ``answer_again``
    with the recorded answer instead. The answer, either way; raises what ``apply`` raises
    (and frees the id)."""
    if command_id is None:
        return apply()
    token = secrets.token_hex(8)
    deadline = time.monotonic() + LEASE_SECONDS + 1
    while True:
        claim = log.claim(conversation_id, sender, command_id, token)
        if claim.answer is not None:
            answer_again(*claim.answer)
            return claim.answer
        if claim.mine:
            break
        if time.monotonic() > deadline:  # pragma: no cover - a lease outlives this wait
            raise GatewayError("in_progress", "That is still being done; try again in a moment.")
        time.sleep(POLL_SECONDS)
    try:
        answer = apply()
    except BaseException:
        log.release(conversation_id, sender, command_id, token)
        raise
    log.complete(conversation_id, sender, command_id, answer)
    return answer
