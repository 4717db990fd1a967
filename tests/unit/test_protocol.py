"""The protocol schema (handoff/protocol.schema.json): its validator, and that it names every event,
status and error code the gateway's code has, and no other.

The code is read, not run: each emit with a literal event name, each status line
and each ``GatewayError`` in handoff/ is found in its syntax tree, so an event
added to the code without the schema (or left in the schema after the code lost
it) fails here, long before a gateway test meets it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core.vocabulary import RESOLUTIONS, ROLES, SKILLS
from handoff.protocol import (
    FROM_CLIENTS,
    FROM_GATEWAY,
    ProtocolViolation,
    arguments_schema,
    check_from_client,
    check_from_gateway,
    events,
    schema,
)
from handoff.service.relay import AGENTS, CUSTOMERS
from handoff.sockets.agents import AgentNamespace
from handoff.sockets.customers import CustomerNamespace
from handoff.stores.conversations import MODES
from handoff.stores.transcripts import KINDS

HANDOFF = Path(__file__).parents[2] / "handoff"
LINE: dict[str, Any] = {
    "text": "Hi!",
    "metadata": {"seq": 3, "timestamp": 1795452849.7, "sender": "bot"},
}


def test_every_events_arguments_are_a_valid_schema() -> None:
    for namespace in schema()["namespaces"]:
        for side in (FROM_CLIENTS, FROM_GATEWAY):
            for name, event in events(namespace, side).items():
                assert event["description"], name
                Draft202012Validator.check_schema(arguments_schema(schema(), event))


def test_events_the_code_sends_pass() -> None:
    check_from_client("/", "user_uttered", [{"message": "hi", "message_id": "m-1"}])
    check_from_client("/", "user_uttered", [{"customData": {"language": "en"}}])
    check_from_client("/agent", "transfer", [{"conversation_id": "c1", "to_skill": "billing"}])
    check_from_gateway("/", "bot_uttered", [LINE])
    check_from_gateway(
        "/", "bot_uttered", [{"text": "Busy.", "metadata": {"sender": "system", "status": "error"}}]
    )
    check_from_gateway("/", "session_confirm", ["c1"])
    check_from_gateway("/", "session_confirm", ("c1", {"resume_secret": "s3cret"}))
    check_from_gateway("/", "handoff", [{"status": "queued", "position": 2, "wait_seconds": None}])


@pytest.mark.parametrize(
    ("namespace", "event", "args", "where", "problem"),
    [
        ("/", "user_uttered", [{"message": "x" * 5001}], "args[0].message", "is too long"),
        ("/", "user_uttered", [{"message": "  "}], "args[0].message", "does not match"),
        ("/", "user_uttered", [{"message": "a\x00b"}], "args[0].message", "does not match"),
        ("/", "user_uttered", [{"message": "hi", "message_id": "a b"}], "args[0].message_id", ""),
        ("/", "user_uttered", [{"mesage": "hi"}], "args[0]", "('mesage' was unexpected)"),
        ("/", "user_uttered", [], "arguments", "too short"),
        ("/", "csat", [{"rating": 6}], "args[0].rating", "maximum of 5"),
        ("/agent", "transfer", [{"conversation_id": "c1"}], "args[0]", "any of the given"),
        (
            "/agent",
            "close",
            [{"conversation_id": "c1", "resolution": "fixed"}],
            "args[0].resolution",
            "",
        ),
        ("/", "dance", [{}], "event", "not in the schema"),
    ],
)
def test_what_clients_may_not_send_is_refused_with_where_and_why(
    namespace: str, event: str, args: list[Any], where: str, problem: str
) -> None:
    with pytest.raises(ProtocolViolation) as refused:
        check_from_client(namespace, event, args)
    assert (refused.value.event, refused.value.where) == (event, where)
    assert problem in refused.value.problem
    assert str(refused.value).startswith(f"{event!r} sent by a client on {namespace!r}: {where}: ")


@pytest.mark.parametrize(
    ("event", "args", "where"),
    [
        # an agent's line must name the agent
        (
            "bot_uttered",
            [{**LINE, "metadata": {**LINE["metadata"], "sender": "agent"}}],
            "args[0].metadata",
        ),
        ("user_message", [{**LINE, "seq": 3}], "args[0]"),
        (
            "history_page",
            [{"before_seq": 4, "messages": [{"text": "hi"}], "has_more": False}],
            "args[0].messages[0]",
        ),
        ("handoff", [{"status": "queued", "position": 1}], "args[0]"),
        ("session_confirm", ["c1", {"resume_secret": "s"}, "more"], "arguments"),
        ("error", [{"code": "oops", "message": "m", "event": None}], "args[0].code"),
    ],
)
def test_what_the_gateway_may_not_emit_is_refused(event: str, args: list[Any], where: str) -> None:
    with pytest.raises(ProtocolViolation) as refused:
        check_from_gateway("/", event, args)
    assert refused.value.where == where
    assert "emitted by the gateway" in str(refused.value)


def test_a_long_value_is_cut_short_in_the_problem() -> None:
    with pytest.raises(ProtocolViolation) as refused:
        check_from_client("/", "user_uttered", [{"message": "x" * 100_000}])
    assert refused.value.problem == "'xxxxxxxxxxxx...xxxxxxxxxxxxx' is too long"


def handlers(namespace: type) -> set[str]:
    return {name[3:] for name in dir(namespace) if name.startswith("on_")} - {
        "connect",
        "disconnect",
    }


def test_every_handler_is_a_client_event_of_the_schema_and_back() -> None:
    assert handlers(CustomerNamespace) == set(events(CUSTOMERS, FROM_CLIENTS))
    assert handlers(AgentNamespace) == set(events(AGENTS, FROM_CLIENTS))


# Methods that emit, with the position of the event's name and the namespace they emit on;
# None: the `namespace=` argument's, else the module's (handoff/sockets/namespace.py: both).
EMITTERS: dict[str, tuple[int, str | None]] = {
    "to_customer": (1, CUSTOMERS),
    "to_agent": (1, AGENTS),
    "to_all_agents": (0, AGENTS),
    "to_supervisors": (0, AGENTS),
    "reply": (0, None),
    "emit": (0, None),
    "_emit": (0, None),
}
MODULE_NAMESPACES = {
    "sockets/customers.py": (CUSTOMERS,),
    "sockets/agents.py": (AGENTS,),
    "sockets/namespace.py": (CUSTOMERS, AGENTS),
}
NAMED_NAMESPACES = {"CUSTOMERS": CUSTOMERS, "AGENTS": AGENTS}


def calls(path: Path) -> Iterator[tuple[str, ast.Call]]:
    """Every call in a module, with the name of what is called."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            yield name, node


def emitted() -> set[tuple[str, str]]:
    """(namespace, event) of every emit in handoff/ with a literal event name."""
    found: set[tuple[str, str]] = set()
    for path in HANDOFF.rglob("*.py"):
        for name, call in calls(path):
            if name not in EMITTERS or not call.args:
                continue
            position, namespace = EMITTERS[name]
            event = call.args[position]
            if not isinstance(event, ast.Constant):
                # only Relay's own methods pass an event name on
                assert isinstance(event, ast.Name) and event.id == "event", (path, call.lineno)
                continue
            named = next((k.value for k in call.keywords if k.arg == "namespace"), None)
            if namespace is not None:
                namespaces: tuple[str, ...] = (namespace,)
            elif isinstance(named, ast.Name):
                namespaces = (NAMED_NAMESPACES[named.id],)
            else:
                namespaces = MODULE_NAMESPACES[path.relative_to(HANDOFF).as_posix()]
            found.update((each, str(event.value)) for each in namespaces)
    return found


def test_every_event_the_gateway_emits_is_in_the_schema_and_back() -> None:
    described = {
        (namespace, event)
        for namespace in schema()["namespaces"]
        for event in events(namespace, FROM_GATEWAY)
    }
    assert emitted() == described


def literals(method: str, position: int) -> set[str]:
    """The literal ``position``-th arguments of every call of ``method`` in handoff/."""
    found = set()
    for path in HANDOFF.rglob("*.py"):
        for name, call in calls(path):
            if name == method and len(call.args) > position:
                argument = call.args[position]
                if isinstance(argument, ast.Constant):
                    found.add(str(argument.value))
    return found


def test_every_status_line_and_error_code_is_in_the_schema_and_back() -> None:
    defs = schema()["$defs"]
    assert literals("system", 1) | literals("status_line", 1) == set(defs["status"]["enum"])
    codes = {code["const"] for code in defs["error_code"]["oneOf"]}
    assert literals("GatewayError", 0) == codes


def test_the_schemas_words_are_the_codes() -> None:
    defs, agents = schema()["$defs"], schema()["namespaces"][AGENTS]
    assert defs["conversation"]["properties"]["mode"]["enum"] == list(MODES)
    assert defs["agent_line"]["properties"]["kind"]["enum"] == list(KINDS)
    assert defs["account"]["properties"]["role"]["enum"] == list(ROLES)
    assert defs["account"]["properties"]["skills"]["items"]["enum"] == list(SKILLS)
    close = agents[FROM_CLIENTS]["close"]["args"][0]["properties"]["resolution"]
    released = agents[FROM_GATEWAY]["released"]["args"][0]["properties"]["resolution"]
    assert close["enum"] == released["enum"] == list(RESOLUTIONS)
