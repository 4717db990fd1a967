"""Agent accounts on a real SQLite file: creation, validation, passwords, the CLI."""

from __future__ import annotations

import io
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.__main__ import main
from bot.demo import seed_agents
from handoff.records.agents import (
    Agent,
    AgentDirectory,
    AgentError,
    AgentExists,
    BadLogin,
    InvalidAgent,
    UnknownAgent,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "tandem.db"


@pytest.fixture
def directory(database_path: Path) -> Iterator[AgentDirectory]:
    agents = AgentDirectory(f"sqlite:///{database_path}")
    agents.create_schema()
    yield agents
    agents.close()


@pytest.fixture
def ann(directory: AgentDirectory) -> Agent:
    return directory.add(
        " Ann.Lee ",
        " Ann Lee ",
        PASSWORD,
        role="supervisor",
        skills=["Billing", "account", "billing"],
        capacity=4,
    )


def stored(database_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database_path) as db:
        return db.execute(
            "SELECT login, name, role, skills, capacity, password_hash FROM agents"
        ).fetchall()


# --- accounts -------------------------------------------------------------------------


def test_add_normalises_and_returns_the_agent(ann: Agent) -> None:
    assert ann == Agent(
        id="ann.lee", name="Ann Lee", role="supervisor", skills=("account", "billing"), capacity=4
    )


def test_defaults_are_an_agent_with_general_skill_and_three_chats(
    directory: AgentDirectory,
) -> None:
    assert directory.add("bob", "Bob", PASSWORD) == Agent("bob", "Bob", "agent", ("general",), 3)


def test_get_and_all_ignore_case_and_never_show_the_hash(
    directory: AgentDirectory, ann: Agent
) -> None:
    directory.add("Zed", "Zed Z", PASSWORD, skills=["technical"], capacity=1)
    assert directory.get("ANN.LEE") == ann
    assert [agent.id for agent in directory.all()] == ["ann.lee", "zed"]
    assert not hasattr(ann, "password_hash")


def test_unknown_agent(directory: AgentDirectory) -> None:
    with pytest.raises(UnknownAgent, match="'nobody'"):
        directory.get("Nobody")
    assert issubclass(UnknownAgent, AgentError)


def test_password_is_stored_only_as_a_scrypt_hash(ann: Agent, database_path: Path) -> None:
    [(login, name, role, skills, capacity, password_hash)] = stored(database_path)
    assert (login, name, role, skills, capacity) == (
        "ann.lee",
        "Ann Lee",
        "supervisor",
        "account,billing",
        4,
    )
    assert password_hash.startswith("scrypt:")
    assert PASSWORD not in password_hash


def test_a_login_is_taken_in_any_case(directory: AgentDirectory, ann: Agent) -> None:
    with pytest.raises(AgentExists, match="ann.lee"):
        directory.add("ANN.LEE", "Another Ann", "another password")
    assert len(directory.all()) == 1


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"login": ""}, "login ''"),
        ({"login": "ann lee"}, "letters, digits"),
        ({"login": "-ann"}, "starting with a letter or digit"),
        ({"login": "a" * 65}, "1 to 64"),
        ({"name": "  "}, "display name"),
        ({"password": ""}, "password must not be empty"),
        ({"password": "   "}, "password must not be empty"),
        ({"password": "x" * 11}, "at least 12 characters"),
        ({"password": "x" * 1025}, "longer than 1024"),
        ({"role": "admin"}, "unknown role 'admin'; use agent or supervisor"),
        ({"skills": ["sales", "billing"]}, "unknown skill(s) sales"),
        ({"skills": []}, "at least one skill"),
        ({"capacity": 0}, "from 1 to 10"),
        ({"capacity": 11}, "from 1 to 10"),
        ({"capacity": True}, "from 1 to 10"),
        ({"capacity": 2.5}, "whole number"),
    ],
)
def test_bad_fields_are_refused_with_a_clear_error(
    directory: AgentDirectory, fields: dict[str, Any], complaint: str
) -> None:
    account: dict[str, Any] = {"login": "ann", "name": "Ann Lee", "password": PASSWORD, **fields}
    with pytest.raises(InvalidAgent) as error:
        directory.add(**account)
    assert complaint in str(error.value)
    assert directory.all() == []


def test_schema_creation_is_idempotent(directory: AgentDirectory, ann: Agent) -> None:
    directory.create_schema()
    assert directory.all() == [ann]


# --- passwords ------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["ann.lee", "ANN.Lee", "  ann.lee "])
def test_authenticate_with_the_right_password(
    directory: AgentDirectory, ann: Agent, login: str
) -> None:
    assert directory.authenticate(login, PASSWORD) == ann


def test_password_checks_run_where_the_server_sends_them(
    directory: AgentDirectory, ann: Agent
) -> None:
    """The gevent server sends them to a native thread, so a login never stalls other sockets."""
    ran: list[bool] = []

    def elsewhere(work: Callable[[], bool]) -> bool:
        ran.append(work())
        return ran[-1]

    directory.offload = elsewhere
    assert directory.authenticate("ann.lee", PASSWORD) == ann
    with pytest.raises(BadLogin):
        directory.authenticate("ann.lee", "wrong")
    with pytest.raises(BadLogin):
        directory.authenticate("nobody", PASSWORD)  # the dummy hash is checked there too
    assert ran == [True, False, False]


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("ann.lee", "wrong"),
        ("ann.lee", ""),
        ("ann.lee", PASSWORD.upper()),
        ("nobody", PASSWORD),
        ("", PASSWORD),
        ("not a login!", PASSWORD),
    ],
)
def test_bad_logins_all_get_the_same_error(
    directory: AgentDirectory, ann: Agent, login: str, password: str
) -> None:
    with pytest.raises(BadLogin) as error:
        directory.authenticate(login, password)
    assert str(error.value) == "wrong login or password"


def test_an_unknown_login_takes_as_long_as_a_wrong_password(
    directory: AgentDirectory, ann: Agent
) -> None:
    def median_seconds(login: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            with pytest.raises(BadLogin):
                directory.authenticate(login, "wrong password")
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_seconds("nobody")  # the dummy hash is made once, on first use
    unknown, known = median_seconds("nobody"), median_seconds("ann.lee")
    # Both run one scrypt check (~0.1 s); without the dummy check, "nobody" takes < 1 ms.
    assert unknown > known * 0.5
    assert known > unknown * 0.5


# --- CLI ------------------------------------------------------------------------------


@pytest.fixture
def cli(
    database_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Run ``python -m bot`` in this process on the test database, with ``stdin`` as input."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database_path}")

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def test_cli_adds_an_agent_with_the_password_from_stdin(
    cli: Callable[..., tuple[int, str, str]], database_path: Path
) -> None:
    status, out, _ = cli(
        "agents",
        "add",
        "Ann",
        "--name",
        "Ann Lee",
        "--skills",
        "account,billing",
        "--role",
        "supervisor",
        "--capacity",
        "5",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert status == 0
    assert "Agent ann (Ann Lee) added: supervisor, skills account, billing" in out
    directory = AgentDirectory(f"sqlite:///{database_path}")
    assert directory.authenticate("ann", PASSWORD).capacity == 5
    directory.close()


def test_cli_lists_agents(cli: Callable[..., tuple[int, str, str]]) -> None:
    status, out, _ = cli("agents", "list")
    assert (status, out.strip()) == (
        0,
        "No agents yet. Add one with: python -m bot agents add LOGIN --name NAME",
    )
    cli("agents", "add", "zed", "--name", "Zed", "--password-stdin", stdin=f"{PASSWORD}\n")
    cli(
        "agents",
        "add",
        "amy",
        "--name",
        "Amy",
        "--skills",
        "technical",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    status, out, _ = cli("agents", "list")
    lines = out.splitlines()
    assert status == 0
    assert [line.split()[0] for line in lines] == ["amy", "zed"]
    assert "skills technical" in lines[0] and "capacity 3" in lines[0]


@pytest.mark.parametrize(
    ("extra", "stdin", "complaint"),
    [
        (["--skills", "sales"], f"{PASSWORD}\n", "error: unknown skill(s) sales"),
        (["--capacity", "11"], f"{PASSWORD}\n", "from 1 to 10"),
        (["--role", "boss"], f"{PASSWORD}\n", "unknown role 'boss'"),
        ([], "\n", "password must not be empty"),
        ([], "short pass\n", "at least 12 characters"),
    ],
)
def test_cli_refuses_bad_input_with_a_clear_error(
    cli: Callable[..., tuple[int, str, str]], extra: list[str], stdin: str, complaint: str
) -> None:
    status, out, err = cli(
        "agents", "add", "ann", "--name", "Ann", *extra, "--password-stdin", stdin=stdin
    )
    assert (status, out) == (1, "")
    assert complaint in err


def test_cli_refuses_a_login_twice(cli: Callable[..., tuple[int, str, str]]) -> None:
    assert (
        cli("agents", "add", "ann", "--name", "Ann", "--password-stdin", stdin=f"{PASSWORD}\n")[0]
        == 0
    )
    status, _, err = cli(
        "agents", "add", "ANN", "--name", "Ann", "--password-stdin", stdin=f"{PASSWORD}\n"
    )
    assert status == 1
    assert "exists already" in err


def test_cli_asks_for_the_password_twice_without_stdin(
    cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["first", "second"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    status, _, err = cli("agents", "add", "ann", "--name", "Ann")
    assert status == 1
    assert "the two passwords differ" in err

    answers = iter([PASSWORD, PASSWORD])
    assert cli("agents", "add", "ann", "--name", "Ann")[0] == 0


def test_cli_needs_a_name(cli: Callable[..., tuple[int, str, str]]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli("agents", "add", "ann")
    assert exit_.value.code == 2


# --- demo agents ----------------------------------------------------------------------


def test_demo_agents_are_added_once_and_never_overwritten(directory: AgentDirectory) -> None:
    first = seed_agents(directory)
    logins = [agent.id for agent, _ in first]
    assert logins == ["ann", "ben", "sam"]
    assert [agent.role for agent, _ in first] == ["agent", "agent", "supervisor"]
    assert seed_agents(directory) == []
    for agent, password in first:
        assert directory.authenticate(agent.id, password) == agent
    assert [agent.id for agent in directory.all()] == logins


def test_demo_agents_leave_other_accounts_alone(directory: AgentDirectory, ann: Agent) -> None:
    seed_agents(directory)
    assert directory.authenticate("ann.lee", PASSWORD) == ann


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("agents: nope", "expected a top-level 'agents:' list"),
        ("agents: [[1]]", "expected a top-level 'agents:' list"),
        ("agents:\n  - {login: 'bad login', name: X}", "agent 1: login 'bad login'"),
        ("agents:\n  - {login: x, name: X, capacity: many}", "agent 1: invalid literal"),
        ("agents: [", "cannot read the demo agents"),
    ],
)
def test_a_bad_demo_agents_file_names_the_entry(
    directory: AgentDirectory, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "agents.yml"
    path.write_text(content)
    with pytest.raises(InvalidAgent, match=message):
        seed_agents(directory, path)


def test_make_run_prints_each_demo_agent_with_a_password_that_works(
    database_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import print_demo_agents
    from core.settings import Settings

    database_url = f"sqlite:///{database_path}"
    print_demo_agents(Settings.from_env({"DATABASE_URL": database_url, "TANDEM_DEMO": "1"}))
    lines = [line.split() for line in capsys.readouterr().out.splitlines() if " password " in line]
    assert [line[0] for line in lines] == ["ann", "ben", "sam"]
    directory = AgentDirectory(database_url)
    try:
        for login, _, password, *_ in lines:
            assert directory.authenticate(login, password).id == login
    finally:
        directory.close()
