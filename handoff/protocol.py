"""The gateway's Socket.IO protocol, machine-readable: every event of both namespaces.

``protocol.schema.json`` beside this module describes, per namespace, the events
clients send and those the gateway emits, each argument as JSON Schema (draft
2020-12). The tests check every event their clients send and receive against it,
and docs/protocol.md's tables are generated from it (``python -m bot
protocol-docs``), so neither the code nor the documentation can drift from it
unnoticed. The schema is read on first use.
"""

from __future__ import annotations

import functools
import json
import reprlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

SCHEMA_PATH = Path(__file__).with_name("protocol.schema.json")
FROM_CLIENTS = "client_events"
FROM_GATEWAY = "server_events"


class ProtocolViolation(Exception):
    """An event the schema refuses; not an ``AssertionError``, which tests catch for timeouts."""

    def __init__(self, namespace: str, side: str, event: str, where: str, problem: str) -> None:
        who = "sent by a client" if side == FROM_CLIENTS else "emitted by the gateway"
        super().__init__(f"{event!r} {who} on {namespace!r}: {where}: {problem}")
        self.namespace, self.side, self.event = namespace, side, event
        self.where, self.problem = where, problem


@functools.cache
def schema() -> dict[str, Any]:
    """The protocol schema, read once."""
    found: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return found


def events(namespace: str, side: str) -> dict[str, Any]:
    """The events of one side of a namespace, by name, from this gateway's schema."""
    found: dict[str, Any] = schema()["namespaces"][namespace][side]
    return found


def arguments_schema(root: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """One event's argument list as a JSON Schema of an array, with the shared ``$defs``."""
    args = event["args"]
    return {
        "$defs": root["$defs"],
        "type": "array",
        "prefixItems": args,
        "items": False,
        "minItems": event.get("min_args", len(args)),
    }


@functools.cache
def _validator(namespace: str, side: str, event: str) -> Draft202012Validator | None:
    described = events(namespace, side).get(event)
    if described is None:
        return None
    return Draft202012Validator(arguments_schema(schema(), described))


def check_from_client(namespace: str, event: str, args: Sequence[Any]) -> None:
    """Raise ``ProtocolViolation`` unless a client may send ``event`` with ``args``."""
    _check(namespace, FROM_CLIENTS, event, args)


def check_from_gateway(namespace: str, event: str, args: Sequence[Any]) -> None:
    """Raise ``ProtocolViolation`` unless the gateway may emit ``event`` with ``args``."""
    _check(namespace, FROM_GATEWAY, event, args)


def _check(namespace: str, side: str, event: str, args: Sequence[Any]) -> None:
    if namespace not in schema()["namespaces"]:
        raise ProtocolViolation(namespace, side, event, "namespace", "no such namespace")
    validator = _validator(namespace, side, event)
    if validator is None:
        raise ProtocolViolation(namespace, side, event, "event", "not in the schema")
    # What crosses the wire is JSON: tuples become lists, keys strings.
    error = best_match(validator.iter_errors(json.loads(json.dumps(list(args)))))
    if error is not None:
        # jsonschema quotes the faulty value whole: a 100,000-character text is quoted short.
        problem = error.message.replace(repr(error.instance), reprlib.repr(error.instance))
        raise ProtocolViolation(namespace, side, event, _where(error.absolute_path), problem)


def _where(path: Sequence[Any]) -> str:
    """``args[0].metadata.seq``: where in the arguments the fault is."""
    if not path:
        return "arguments"
    where = f"args[{path[0]}]"
    for part in list(path)[1:]:
        where += f"[{part}]" if isinstance(part, int) else f".{part}"
    return where
