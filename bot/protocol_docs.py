"""docs/protocol.md's event tables, generated from the protocol schema (handoff/protocol.py).

Each table sits between a marker naming what it shows and an end marker; the prose
around them is written by hand. ``python -m bot protocol-docs`` rewrites the tables,
``--check`` (run by ``make check``) reports each one that differs from what the
schema generates, so the documentation cannot drift from the schema the tests hold
the gateway to.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.content import Problem
from core.settings import ROOT
from handoff.protocol import FROM_CLIENTS, FROM_GATEWAY, schema

DOC = Path("docs/protocol.md")
SCHEMA_NAME = "handoff/protocol.schema.json"
END = "<!-- end of generated table -->"
_BLOCK = re.compile(
    r"(?P<start><!-- generated from handoff/protocol\.schema\.json: (?P<key>[^;>]+);[^>]*-->\n)"
    r"(?P<body>.*?)" + re.escape(END),
    re.DOTALL,
)
# Shown in a table of its own (the error codes), not among the shapes.
OWN_TABLE = {"error_code"}
TYPE_NAMES = {"string": "str", "integer": "int", "number": "number", "boolean": "bool"}
SIDE_HEADINGS = {FROM_CLIENTS: "what it does", FROM_GATEWAY: "what it says"}


class ProtocolDocsError(Exception):
    """docs/protocol.md's markers are missing or malformed."""


def marker(key: str) -> str:
    """The comment that opens the generated table ``key``."""
    return (
        f"<!-- generated from {SCHEMA_NAME}: {key}; "
        "edit the schema, then run python -m bot protocol-docs -->"
    )


def shape(node: dict[str, Any]) -> str:
    """A schema in the docs' compact notation: ``{"text": str, "quick_replies"?: [...]}``."""
    if "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[1]
    if "const" in node:
        return json.dumps(node["const"], ensure_ascii=False)
    if "enum" in node:
        return " | ".join(json.dumps(value, ensure_ascii=False) for value in node["enum"])
    if "type" in node:  # beside it, ``anyOf`` and the like only add constraints
        kinds = node["type"]
        return " | ".join(
            _typed(kind, node) for kind in ([kinds] if isinstance(kinds, str) else kinds)
        )
    if "if" in node:
        return f"{shape(node['then'])} | {shape(node['else'])}"
    return " | ".join(shape(option) for option in node.get("anyOf", node.get("oneOf", [])))


def _typed(kind: str, node: dict[str, Any]) -> str:
    if kind == "object":
        properties = node.get("properties")
        if not properties:
            return "object"
        required = set(node.get("required", []))
        return (
            "{"
            + ", ".join(
                f'"{name}"{"" if name in required else "?"}: {shape(field)}'
                for name, field in properties.items()
            )
            + "}"
        )
    if kind == "array":
        return f"[{shape(node['items'])}...]" if "items" in node else "[...]"
    if kind == "integer" and ("minimum" in node or "maximum" in node):
        if "maximum" not in node:
            return f"int ≥ {node['minimum']}"
        return f"int {node.get('minimum', '')}..{node['maximum']}"
    return TYPE_NAMES.get(kind, kind)


def _arguments(event: dict[str, Any]) -> str:
    """An event's arguments: the payload, and any optional ones after it."""
    required = event.get("min_args", len(event["args"]))
    return ", ".join(
        f"`{shape(arg)}`" if n < required else f"optionally `{shape(arg)}`"
        for n, arg in enumerate(event["args"])
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(heading: tuple[str, ...], rows: Iterator[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(heading) + " |", "|" + "---|" * len(heading)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _refs(node: Any) -> Iterator[str]:
    """The names of the shapes a schema refers to, directly."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield str(node["$ref"]).rsplit("/", 1)[1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(protocol: dict[str, Any], namespace: str) -> list[str]:
    """The shapes a namespace's events use, through each other too, in the schema's order."""
    defs = protocol["$defs"]
    found: set[str] = set()
    todo = list(_refs(protocol["namespaces"][namespace]))
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo.extend(_refs(defs[name]))
    return [name for name in defs if name in found and name not in OWN_TABLE]


def tables(protocol: dict[str, Any]) -> dict[str, str]:
    """Every generated table of docs/protocol.md, by its marker's key."""
    defs = protocol["$defs"]
    made = {
        "error codes": _table(
            ("code", "when"),
            ((f"`{code['const']}`", code["description"]) for code in defs["error_code"]["oneOf"]),
        )
    }
    shown: set[str] = set()
    for namespace, described in protocol["namespaces"].items():
        for side in (FROM_CLIENTS, FROM_GATEWAY):
            made[f"{namespace} {side}"] = _table(
                ("event", "payload", SIDE_HEADINGS[side]),
                (
                    (f"`{name}`", _arguments(event), event["description"])
                    for name, event in described[side].items()
                ),
            )
        names = [name for name in _reachable(protocol, namespace) if name not in shown]
        shown.update(names)
        made[f"{namespace} shapes"] = _table(
            ("shape", "fields", "what it is"),
            ((f"`{name}`", f"`{shape(defs[name])}`", defs[name]["description"]) for name in names),
        )
    return made


def regenerate(text: str, protocol: dict[str, Any]) -> str:
    """``text`` with every generated table as the schema makes it; the prose as it was."""
    made = tables(protocol)
    found = [match.group("key") for match in _BLOCK.finditer(text)]
    unknown = sorted(set(found) - set(made))
    if unknown:
        raise ProtocolDocsError(f"{DOC}: no table is generated for {', '.join(unknown)}.")
    missing = [key for key in made if key not in found]
    if missing:
        raise ProtocolDocsError(
            f"{DOC} has no place for the table(s) {', '.join(missing)}: add a line "
            f"{marker(missing[0])!r} and a line {END!r} where each goes."
        )
    return _BLOCK.sub(
        lambda match: match.group("start") + made[match.group("key")] + "\n" + END, text
    )


def differences(text: str, protocol: dict[str, Any]) -> list[Problem]:
    """Each table of ``text`` that differs from what the schema generates, at its marker."""
    made = regenerate(text, protocol)
    wanted = {match.group("key"): match.group("body") for match in _BLOCK.finditer(made)}
    return [
        Problem(
            DOC.as_posix(),
            text[: match.start()].count("\n") + 1,
            f"the table '{match.group('key')}' differs from {SCHEMA_NAME}",
            "run python -m bot protocol-docs",
        )
        for match in _BLOCK.finditer(text)
        if match.group("body") != wanted[match.group("key")]
    ]


def main(root: Path = ROOT, check: bool = False) -> int:
    """`python -m bot protocol-docs`: rewrite the tables; with ``check``, report stale ones."""
    path = root / DOC
    text = path.read_text(encoding="utf-8")
    try:
        if check:
            found = differences(text, schema())
            for problem in found:
                print(problem)
            if not found:
                print(f"The tables of {DOC} match {SCHEMA_NAME}.")
            return 1 if found else 0
        made = regenerate(text, schema())
    except ProtocolDocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if made != text:
        path.write_text(made, encoding="utf-8")
        print(f"Rewrote the tables of {DOC} from {SCHEMA_NAME}.")
    else:
        print(f"The tables of {DOC} already match {SCHEMA_NAME}.")
    return 0
