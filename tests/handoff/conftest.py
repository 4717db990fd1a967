"""Fixtures of the handoff tests: one real redis-server for the session, emptied per test,
and gateways on it with a scripted Rasa, a recorded emit and their own SQLite archive."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from bot.redis_server import EmbeddedRedis, RedisInfo
from core.settings import Settings
from handoff.records.archive import Archive
from handoff.service.gateway import Gateway
from handoff.stores import Bounds
from handoff.stores.conversations import ConversationStore
from handoff.stores.lifetime import Retention
from handoff.stores.presence import Presence
from handoff.stores.queue import HandoffQueue
from handoff.stores.transcripts import TranscriptStore
from tests.handoff.service_doubles import EmitRecorder, ScriptedRasa

Connect = Callable[[], redis.Redis]
MakeGateway = Callable[..., Gateway]
SECRET = "a-customer-token-secret-of-at-least-32-bytes"
GRACE = 60.0
SLA = 120.0


@pytest.fixture(scope="session")
def redis_info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisInfo]:
    """A private redis-server, started once for the session."""
    folder = tmp_path_factory.mktemp("redis")
    with EmbeddedRedis(folder / "data", folder / "redis.log") as info:
        yield info


@pytest.fixture
def connect(redis_info: RedisInfo) -> Iterator[Connect]:
    """Opens clients of the test Redis (one per thread in race tests); closes them at the end."""
    opened: list[redis.Redis] = []

    def make() -> redis.Redis:
        client = redis.Redis(
            host=redis_info.host,
            port=redis_info.port,
            password=redis_info.password,
            decode_responses=True,
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def redis_client(connect: Connect) -> redis.Redis:
    """A client of an empty database: nothing left over from another test."""
    client = connect()
    client.flushdb()
    return client


@pytest.fixture
def conversations(redis_client: redis.Redis) -> ConversationStore:
    return ConversationStore(redis_client)


@pytest.fixture
def transcripts(redis_client: redis.Redis) -> TranscriptStore:
    return TranscriptStore(redis_client)


@pytest.fixture
def presence(redis_client: redis.Redis) -> Presence:
    return Presence(redis_client)


@pytest.fixture
def queue(redis_client: redis.Redis, conversations: ConversationStore) -> HandoffQueue:
    return HandoffQueue(redis_client, conversations)


@pytest.fixture
def gateway_settings(redis_info: RedisInfo, redis_client: redis.Redis, tmp_path: Path) -> Settings:
    """Settings of a gateway on the emptied test Redis and its own SQLite file."""
    return dataclasses.replace(
        Settings.from_env({}),
        database_url=f"sqlite:///{tmp_path / 'tandem.db'}",
        redis_url=redis_info.url,
        secret_key="test-secret-key",
    )


def always_open(now: float) -> bool:
    return True


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    store = Archive(f"sqlite:///{tmp_path / 'tandem.db'}")
    store.create_schema()
    yield store
    store.close()


@pytest.fixture
def rasa() -> ScriptedRasa:
    return ScriptedRasa()


@pytest.fixture
def emitted() -> EmitRecorder:
    return EmitRecorder()


@pytest.fixture
def make_gateway(
    redis_client: redis.Redis, rasa: ScriptedRasa, archive: Archive, emitted: EmitRecorder
) -> MakeGateway:
    """A gateway on the emptied test Redis; ``sla_seconds`` and ``is_open`` may be changed, and
    a second gateway process stood for with its own Redis ``client`` and ``emit``."""

    def make(
        sla_seconds: float = SLA,
        is_open: Callable[[float], bool] = always_open,
        client: redis.Redis | None = None,
        emit: EmitRecorder | None = None,
    ) -> Gateway:
        return Gateway(
            client or redis_client,
            rasa=rasa,
            archive=archive,
            emit=emit or emitted,
            customer_token_secret=SECRET,
            grace_seconds=GRACE,
            sla_seconds=sla_seconds,
            is_open=is_open,
            bounds=Bounds(Retention(), max_connections_per_client=20),
        )

    return make


@pytest.fixture
def gateway(make_gateway: MakeGateway) -> Gateway:
    return make_gateway()
