"""Every Redis key of the gateway, named in one place.

A store owns the keys it reads and writes; the names live here so that no two
stores can pick the same one, and an operator can see at a glance what Tandem
keeps in Redis.
"""

from __future__ import annotations

PREFIX = "tandem:"
# sorted set: ids of conversations not closed, by last activity; held by people (queued or
# assigned) scored above every plain time, so they come first and are never pruned
LIVE_KEY = f"{PREFIX}conversations:by-activity"
QUEUE_KEY = f"{PREFIX}queue"  # sorted set: queued conversation ids, in queue order
QUEUE_ARRIVALS_KEY = f"{PREFIX}queue:arrivals"  # counter: arrival order within a priority
HANDLE_TIMES_KEY = f"{PREFIX}handle-times"  # list: the latest handle times, newest first
AGENTS_KEY = f"{PREFIX}agents"  # set: ids of agents presence knows
DISCONNECTED_KEY = f"{PREFIX}agents:disconnected"  # sorted set: agent id by disconnect time
QUEUE_CHANGED_KEY = f"{PREFIX}queue:changed"  # flag: the queue changed since the last push
QUEUE_PUSHED_KEY = f"{PREFIX}queue:pushed"  # hash: conversation id -> "position|wait" last pushed
GATEWAYS_KEY = f"{PREFIX}gateways"  # sorted set: gateway process ids by their last tick


def rate_key(conversation_id: str, minute: int) -> str:
    """Counter: messages a conversation sent in one minute (expires)."""
    return f"{PREFIX}rate:{conversation_id}:{minute}"


def api_calls_key(agent_id: str, minute: int) -> str:
    """Counter: requests an agent made to the console's API in one minute (expires)."""
    return f"{PREFIX}api-calls:{agent_id}:{minute}"


def connections_key(client: str) -> str:
    """Counter: sockets open from one client address, across gateway processes (expires)."""
    return f"{PREFIX}connections:{client}"


def sla_raised_key(conversation_id: str) -> str:
    """Flag: supervisors were told this conversation waited past the SLA."""
    return f"{PREFIX}sla-raised:{conversation_id}"


def stranded_key(conversation_id: str) -> str:
    """Flag: this waiting customer was offered email because no one could come (expires)."""
    return f"{PREFIX}stranded:{conversation_id}"


def conversation_key(conversation_id: str) -> str:
    """Hash: mode, owner, handoff details, timestamps and ``last_seq`` of one conversation."""
    return f"{PREFIX}conversation:{conversation_id}"


def transcript_key(conversation_id: str) -> str:
    """Stream: the conversation's messages, entry id ``<seq>-0``."""
    return f"{PREFIX}transcript:{conversation_id}"


def message_ids_key(conversation_id: str) -> str:
    """Sorted set: the customer's client message ids, scored by the seq of the line each sent."""
    return f"{PREFIX}message-ids:{conversation_id}"


def commands_key(conversation_id: str) -> str:
    """Hash: the outcome of each client command on the conversation, by who sent it and its id."""
    return f"{PREFIX}commands:{conversation_id}"


def ticket_offer_key(conversation_id: str) -> str:
    """Flag: the gateway offered this conversation to leave an email (expires)."""
    return f"{PREFIX}ticket-offer:{conversation_id}"


def ticket_taken_key(conversation_id: str) -> str:
    """Flag: this conversation left its one ticket (expires)."""
    return f"{PREFIX}ticket-taken:{conversation_id}"


def tickets_to_key(recipient_hash: str, day: int) -> str:
    """Counter: tickets mailed to one address (by its hash) on one UTC day (expires)."""
    return f"{PREFIX}tickets-to:{recipient_hash}:{day}"


def tickets_from_key(client: str, hour: int) -> str:
    """Counter: tickets one client (its address) left in one hour (expires)."""
    return f"{PREFIX}tickets-from:{client}:{hour}"


def agent_key(agent_id: str) -> str:
    """Hash: an agent's name, status, skills, capacity and disconnect time."""
    return f"{PREFIX}agent:{agent_id}"


def gateway_agents_key(process_id: str) -> str:
    """Hash: agent id -> how many of the agent's sockets the gateway process holds."""
    return f"{PREFIX}gateway-agents:{process_id}"


def agent_chats_key(agent_id: str) -> str:
    """Set: ids of the conversations assigned to the agent (its size is the agent's load)."""
    return f"{PREFIX}chats:{agent_id}"


def login_failures_key(kind: str, digest: str) -> str:
    """Counter: recent failed agent logins of one login name or client address (expires)."""
    return f"{PREFIX}login-failures:{kind}:{digest}"


def login_block_key(kind: str, digest: str) -> str:
    """Flag: logins by this name or from this address are refused until it expires."""
    return f"{PREFIX}login-block:{kind}:{digest}"


def inbound_token_key(token_hash: str) -> str:
    """Flag: a mail webhook's token (by its hash) was used; a replay is refused (expires)."""
    return f"{PREFIX}inbound-token:{token_hash}"


def inbound_calls_key(client: str, minute: int) -> str:
    """Counter: mail webhook posts from one client address in one clock minute (expires)."""
    return f"{PREFIX}inbound-calls:{client}:{minute}"
