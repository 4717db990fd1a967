"""The gateway tests' clients: the product's Socket.IO clients in ``bot/gateway_client.py``."""

from __future__ import annotations

from bot.gateway_client import AgentClient, Client, Customer, Event, NoReply, has_text

__all__ = ["AgentClient", "Client", "Customer", "Event", "NoReply", "has_text"]
