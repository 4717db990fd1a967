"""The pure parts of the embedded PostgreSQL: commands, configuration, names and URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.postgres import (
    INSTALL,
    PostgresError,
    PostgresInfo,
    as_user,
    binaries,
    checked_name,
    server_config,
)


def test_missing_binaries_name_the_one_install_command(tmp_path: Path) -> None:
    with pytest.raises(PostgresError) as error:
        binaries(tmp_path)
    assert INSTALL == "apt-get install -y postgresql"
    assert INSTALL in str(error.value)
    assert str(tmp_path / "initdb") in str(error.value)


def test_binaries_are_found_when_executable(tmp_path: Path) -> None:
    for name in ("initdb", "postgres"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    assert binaries(tmp_path) == (tmp_path / "initdb", tmp_path / "postgres")


def test_root_runs_postgres_as_the_postgres_user() -> None:
    assert as_user(["initdb", "-D", "d"], uid=0) == [
        "runuser", "-u", "postgres", "--", "initdb", "-D", "d",
    ]  # fmt: skip
    assert as_user(["initdb", "-D", "d"], uid=1000) == ["initdb", "-D", "d"]


def test_server_listens_on_loopback_only_at_its_port(tmp_path: Path) -> None:
    config = server_config(54321, tmp_path)
    assert "listen_addresses = '127.0.0.1'" in config.splitlines()
    assert "port = 54321" in config.splitlines()
    assert f"unix_socket_directories = '{tmp_path}'" in config.splitlines()


@pytest.mark.parametrize("name", ["tandem", "stack_12", "_x"])
def test_plain_names_go_into_ddl(name: str) -> None:
    assert checked_name(name) == name


@pytest.mark.parametrize("name", ["", "Tandem", "a-b", "x; DROP DATABASE y", "1st", "a" * 64])
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(PostgresError):
        checked_name(name)


def test_url_quotes_the_password_and_repr_hides_it() -> None:
    info = PostgresInfo("127.0.0.1", 5433, "tandem", "stack_1", password="p@ss/word")
    assert info.url == "postgresql://tandem:p%40ss%2Fword@127.0.0.1:5433/stack_1"
    assert "p@ss" not in repr(info)
