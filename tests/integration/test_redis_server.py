"""The embedded Redis: a real redis-server on a TCP port, with a password."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from bot.process import free_port
from bot.redis_server import EmbeddedRedis, RedisError, RedisInfo, parse_redis_url, wait_for_redis


def test_embedded_redis_answers_over_tcp_and_stops(tmp_path: Path) -> None:
    embedded = EmbeddedRedis(tmp_path / "data", tmp_path / "redis.log")
    info = embedded.start()
    try:
        assert info.host == "127.0.0.1"
        client = redis.Redis(host=info.host, port=info.port, password=info.password)
        assert client.ping()
        client.set("tandem:probe", "1")
        client.close()
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(host=info.host, port=info.port).ping()
    finally:
        embedded.stop()
    assert embedded.process is not None
    assert not embedded.process.running
    with pytest.raises(redis.ConnectionError):
        redis.Redis(host=info.host, port=info.port, socket_connect_timeout=1).ping()


def test_data_survives_a_restart(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path / "data", tmp_path / "redis.log") as info:
        redis.Redis(host=info.host, port=info.port, password=info.password).set("k", "v")
    with EmbeddedRedis(tmp_path / "data", tmp_path / "redis.log") as info:
        client = redis.Redis(host=info.host, port=info.port, password=info.password)
        assert client.get("k") == b"v"


def test_password_stays_out_of_the_process_list_and_repr(tmp_path: Path) -> None:
    embedded = EmbeddedRedis(tmp_path / "data", tmp_path / "redis.log")
    with embedded as info:
        assert embedded.process is not None
        assert info.password
        assert info.password not in repr(info)
        cmdline = Path(f"/proc/{embedded.process.pid}/cmdline").read_bytes()
        assert info.password.encode() not in cmdline


def test_redis_url_is_split_for_endpoints() -> None:
    info = parse_redis_url("redis://:p%40ss@redis.internal:6380/2")
    assert (info.host, info.port, info.db, info.password) == ("redis.internal", 6380, 2, "p@ss")
    assert info.env()["REDIS_PORT"] == "6380"
    defaults = parse_redis_url("redis://localhost")
    assert (defaults.port, defaults.db, defaults.password) == (6379, 0, "")


@pytest.mark.parametrize("url", ["rediss://host", "redis://alice:pw@host", "redis://host/cache"])
def test_unusable_redis_urls_are_refused(url: str) -> None:
    with pytest.raises(RedisError):
        parse_redis_url(url)


def test_unreachable_redis_is_a_clear_error() -> None:
    with pytest.raises(RedisError, match="did not answer PING"):
        wait_for_redis(RedisInfo("127.0.0.1", free_port()), timeout=0.5)
