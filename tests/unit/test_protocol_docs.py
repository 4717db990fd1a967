"""docs/protocol.md's tables from the protocol schema: the notation, the rewrite that keeps the
prose, and the check `make check` runs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.protocol_docs import (
    DOC,
    END,
    ProtocolDocsError,
    differences,
    marker,
    regenerate,
    shape,
    tables,
)
from core.settings import ROOT
from handoff.protocol import schema

PROTOCOL: dict[str, Any] = {
    "$defs": {
        "error_code": {"oneOf": [{"const": "bad_payload", "description": "a wrong field"}]},
        "line": {
            "description": "a line",
            "type": "object",
            "properties": {"text": {"type": "string"}, "seq": {"$ref": "#/$defs/seq"}},
            "required": ["text"],
        },
        "seq": {"description": "a number", "type": "integer", "minimum": 1},
        "unused": {"description": "named by no event", "type": "string"},
    },
    "namespaces": {
        "/": {
            "client_events": {
                "say": {
                    "description": "says | writes",
                    "args": [{"type": "object", "properties": {"text": {"type": "string"}}}],
                }
            },
            "server_events": {
                "confirm": {
                    "description": "an id, and maybe a secret",
                    "args": [{"type": "string"}, {"type": "object"}],
                    "min_args": 1,
                },
                "said": {"description": "a line", "args": [{"$ref": "#/$defs/line"}]},
            },
        }
    },
}


def document(**bodies: str) -> str:
    """A page with prose around each table, whose bodies are given (stale, say)."""
    made = tables(PROTOCOL)
    parts = ["# Protocol", "", "Prose stays as written."]
    for key in made:
        parts += ["", marker(key), bodies.get(key, made[key]), END, "", f"After {key}."]
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize(
    ("node", "written"),
    [
        ({"type": "string"}, "str"),
        ({"type": ["integer", "null"], "minimum": 1}, "int ≥ 1 | null"),
        ({"type": "integer", "minimum": 1, "maximum": 5}, "int 1..5"),
        ({"enum": ["away", "available"]}, '"away" | "available"'),
        ({"const": True}, "true"),
        ({"type": "array", "items": {"$ref": "#/$defs/line"}}, "[line...]"),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "boolean"}, "b": {}},
                "required": ["a"],
            },
            '{"a": bool, "b"?: }',
        ),
        ({"type": "object"}, "object"),
        ({"if": {}, "then": {"$ref": "#/$defs/line"}, "else": {"type": "null"}}, "line | null"),
        ({"anyOf": [{"$ref": "#/$defs/line"}, {"type": "null"}]}, "line | null"),
    ],
)
def test_schemas_are_written_in_the_docs_notation(node: dict[str, Any], written: str) -> None:
    assert shape(node) == written


def test_the_tables_list_events_arguments_and_shapes_in_use() -> None:
    made = tables(PROTOCOL)
    assert made["/ client_events"].splitlines()[2] == (
        '| `say` | `{"text"?: str}` | says \\| writes |'
    )
    assert made["/ server_events"].splitlines()[2:] == [
        "| `confirm` | `str`, optionally `object` | an id, and maybe a secret |",
        "| `said` | `line` | a line |",
    ]
    assert made["/ shapes"].splitlines()[2:] == [
        '| `line` | `{"text": str, "seq"?: seq}` | a line |',
        "| `seq` | `int ≥ 1` | a number |",
    ]
    assert made["error codes"].splitlines()[2:] == ["| `bad_payload` | a wrong field |"]


def test_regenerating_rewrites_the_tables_and_keeps_the_prose() -> None:
    stale = document(**{"/ server_events": "| old | table |"})
    assert regenerate(stale, PROTOCOL) == document()


def test_a_stale_table_is_reported_at_its_marker() -> None:
    stale = document(**{"/ shapes": "| old |"})
    line = stale.splitlines().index(marker("/ shapes")) + 1
    [problem] = differences(stale, PROTOCOL)
    assert str(problem) == (
        f"docs/protocol.md:{line}: the table '/ shapes' differs from "
        "handoff/protocol.schema.json — run python -m bot protocol-docs"
    )
    assert differences(document(), PROTOCOL) == []


def test_a_table_without_its_markers_is_an_error_that_says_what_to_add() -> None:
    without = document().replace(marker("/ shapes"), "")
    with pytest.raises(ProtocolDocsError, match="no place for the table"):
        regenerate(without, PROTOCOL)
    unknown = document() + f"{marker('/ nothing')}\n{END}\n"
    with pytest.raises(ProtocolDocsError, match="no table is generated for / nothing"):
        regenerate(unknown, PROTOCOL)


def test_docs_protocol_md_is_what_the_schema_generates() -> None:
    assert differences((ROOT / DOC).read_text(encoding="utf-8"), schema()) == []
