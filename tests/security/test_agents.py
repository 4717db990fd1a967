"""Attacks on agents' accounts and sessions, origins and hand-back, against the real stack.

Each test is one attack of issue 10; a second and third gateway process (same Redis,
same database) stand for a deployment behind a load balancer and one served over HTTPS.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import flask.json.tag
import pytest
import redis
import requests
import socketio
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot.__main__ import main
from bot.demo import seed_agents
from bot.gateway_client import AgentClient, Client, Customer
from bot.process import free_port
from bot.stack import Stack
from core.settings import Settings
from handoff.records.agents import AgentDirectory, InvalidAgent

pytestmark = pytest.mark.usefixtures("empty_redis")

NewAgent = Callable[..., tuple[AgentClient, str]]
SHOP = "https://shop.example.test"


@pytest.fixture(autouse=True)
def forget_failed_logins(stack: Stack) -> Iterator[None]:
    """Every test here logs in from 127.0.0.1: leave no block behind for the next tests."""
    yield
    assert stack.redis is not None
    client = redis.Redis.from_url(stack.redis.url)
    for key in client.scan_iter("tandem:login-*"):
        client.delete(key)


def start_gateway(stack: Stack, tmp: Path, port: int = 0, **env: str) -> Generator[str, None, None]:
    """One more gateway process on the stack's Redis, database and secret; yields its URL."""
    assert stack.redis is not None
    port = port or free_port()
    child_env = stack.settings.child_env(
        {
            **stack.redis.env(),
            "GATEWAY_PORT": str(port),
            "ALLOWED_ORIGINS": f"http://127.0.0.1:{port}",
            **env,
        }
    )
    log = (tmp / f"gateway-{port}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "handoff"],
        env=child_env,
        cwd=stack.settings.root,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp / f"gateway-{port}.log").read_text()
            try:
                if requests.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the second gateway did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def second_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another process of the same deployment (same Redis, database and secret key)."""
    yield from start_gateway(stack, tmp_path_factory.mktemp("gateway2"))


@pytest.fixture(scope="module")
def shop_gateway(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway whose widget is embedded on a shop's site (an allowed origin)."""
    port = free_port()
    own = f"http://127.0.0.1:{port}"
    yield from start_gateway(
        stack, tmp_path_factory.mktemp("shop"), port, ALLOWED_ORIGINS=f"{own},{SHOP}"
    )


def console_at(stack: Stack, url: str, clients: list[Client]) -> AgentClient:
    """An agent console talking to the gateway at ``url`` (another process of the stack)."""
    client = AgentClient(cast(Stack, SimpleNamespace(gateway_url=url, settings=stack.settings)))
    clients.append(client)
    return client


def log_in(url: str, login: str, password: str, **headers: str) -> requests.Response:
    return requests.post(
        f"{url}/agent/login",
        json={"login": login, "password": password},
        headers=headers,
        timeout=10,
    )


def ended(client: AgentClient, timeout: float = 10) -> None:
    """The console was told its session ended, and the gateway closed its socket."""
    client.wait_for("session_ended", timeout=timeout)
    deadline = time.monotonic() + timeout
    while client.sio.connected:
        assert time.monotonic() < deadline, "the socket of an ended session stayed open"
        time.sleep(0.1)


# --- 1. login throttling -----------------------------------------------------------------


def test_password_guessing_is_throttled_per_login_and_per_client(
    stack: Stack, agent_account: Callable[..., tuple[str, str]]
) -> None:
    url = stack.gateway_url
    login, password = agent_account()
    for _ in range(5):
        assert log_in(url, login, "wrong password!").status_code == 401
    refused = log_in(url, login, password)  # even the right password, until the delay is over
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"] == "too_many_attempts"

    # A login that does not exist gets exactly the same treatment.
    for _ in range(5):
        assert log_in(url, "nobody-here", "wrong password!").status_code == 401
    ghost = log_in(url, "nobody-here", "wrong password!")
    assert ghost.status_code == 429 and ghost.json().keys() == refused.json().keys()

    # Spraying many logins from one client: the client itself is slowed down.
    other, other_password = agent_account()
    for number in range(10):
        log_in(url, f"spray-{number}", "wrong password!")
    blocked = log_in(url, other, other_password)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


# --- 2. weak passwords --------------------------------------------------------------------


def test_one_character_passwords_are_refused(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = AgentDirectory(stack.settings.database_url)
    try:
        with pytest.raises(InvalidAgent, match="at least 12 characters"):
            directory.add(f"weak-{uuid.uuid4().hex[:6]}", "Weak", "a")
    finally:
        directory.close()
    monkeypatch.setenv("DATABASE_URL", stack.settings.database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a\n"))
    assert main(["agents", "add", "weak-cli", "--name", "Weak", "--password-stdin"]) == 1

    demo = AgentDirectory(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        demo.create_schema()
        assert all(len(password) >= 12 for _, password in seed_agents(demo))
    finally:
        demo.close()


# --- 3. body limit ------------------------------------------------------------------------


def test_a_huge_login_body_is_refused_before_it_is_read(stack: Stack) -> None:
    answer = log_in(stack.gateway_url, "ann", "x" * 1_000_000)
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"


# --- 4. revocation: logout and role changes -----------------------------------------------


def test_logout_ends_the_cookie_the_token_and_every_open_console(
    stack: Stack,
    second_gateway: str,
    agent_account: Callable[..., tuple[str, str]],
    clients: list[Client],
) -> None:
    login, password = agent_account()
    browser = requests.Session()
    answer = browser.post(
        f"{stack.gateway_url}/agent/login", json={"login": login, "password": password}
    )
    token = answer.json()["token"]
    cookie = browser.cookies.get("session") or ""
    here = console_at(stack, stack.gateway_url, clients)
    here.connect(auth={"token": token})
    here.wait_for("state")
    there = console_at(stack, second_gateway, clients)  # another process, same session
    there.connect(origin=second_gateway, auth={"token": token})
    there.wait_for("state")

    assert browser.post(f"{stack.gateway_url}/agent/logout", json={}).status_code == 200
    ended(here)
    ended(there)
    stolen = requests.get(
        f"{stack.gateway_url}/agent/api/queue", cookies={"session": cookie}, timeout=10
    )
    assert stolen.status_code == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        console_at(stack, stack.gateway_url, clients).connect(auth={"token": token})


def test_a_role_change_ends_the_agents_sessions(
    stack: Stack, agent: NewAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    console, login = agent()
    monkeypatch.setenv("DATABASE_URL", stack.settings.database_url)
    assert main(["agents", "set-role", login, "supervisor"]) == 0
    ended(console)
    relogged = log_in(stack.gateway_url, login, "correct horse battery")
    assert relogged.json()["role"] == "supervisor"


# --- 5. cookies: Secure behind HTTPS, a working day at most -------------------------------


def forged_cookie(secret_key: str, data: dict[str, Any], age: float) -> str:
    """A session cookie signed with the gateway's key ``age`` seconds ago, as Flask makes it."""

    class Signed(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - age)

    serializer = URLSafeTimedSerializer(
        secret_key,
        salt="cookie-session",
        serializer=flask.json.tag.TaggedJSONSerializer(),
        signer=Signed,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return serializer.dumps(data)


def test_cookies_are_secure_over_https_and_last_a_working_day(
    stack: Stack,
    agent_account: Callable[..., tuple[str, str]],
    tmp_path: Path,
) -> None:
    login, password = agent_account()
    gateways = start_gateway(stack, tmp_path, PUBLIC_URL="https://chat.example.test")
    cookie = log_in(next(gateways), login, password).headers["Set-Cookie"]
    gateways.close()
    assert "Secure" in cookie and "HttpOnly" in cookie

    session = {"agent": login, "generation": 0}
    queue = f"{stack.gateway_url}/agent/api/queue"
    fresh = forged_cookie(stack.settings.secret_key, session, age=60)
    assert requests.get(queue, cookies={"session": fresh}, timeout=10).status_code == 200
    day_old = forged_cookie(stack.settings.secret_key, session, age=13 * 3600)
    assert requests.get(queue, cookies={"session": day_old}, timeout=10).status_code == 401


# --- 6. hand-back corrects task slots only ------------------------------------------------


def rasa_slots(stack: Stack, conversation_id: str) -> dict[str, Any]:
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": stack.settings.rasa_token},
        timeout=10,
    ).json()
    slots: dict[str, Any] = tracker["slots"]
    return slots


def test_hand_back_cannot_make_a_customer_verified_as_someone_else(
    stack: Stack, customer: Callable[[], Customer], agent: NewAgent
) -> None:
    ann, _ = agent()
    uma = customer()
    uma.start()
    uma.say("I want to talk to a person")
    chat = ann.wait_for("assigned")["conversation"]["id"]

    ann.act("hand_back", conversation_id=chat, slots={"verified": True, "customer_id": "ACC-1001"})
    refused = ann.error("slot_refused")
    assert "'verified' cannot be corrected" in refused["message"]
    ann.act("hand_back", conversation_id=chat, slots={"postal_code": "not a zip"})
    assert "'postal_code' must be a US ZIP code" in ann.error("slot_refused")["message"]
    assert not rasa_slots(stack, chat).get("verified")

    ann.act("send", conversation_id=chat, text="still mine")  # nothing changed: still assigned
    uma.bot_says("still mine")
    ann.act("hand_back", conversation_id=chat, slots={"postal_code": " 62704 ", "city": "austin"})
    ann.wait_for("released")
    # The chat is released before the gateway gives Rasa the corrected slots: wait for them.
    deadline = time.monotonic() + 15
    while rasa_slots(stack, chat).get("postal_code") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    slots = rasa_slots(stack, chat)
    assert (slots["postal_code"], slots["city"], slots["verified"]) == ("62704", "Austin", None)


# --- 7. origins ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["*", "", " , ", f"{SHOP},*"])
def test_a_wildcard_or_empty_origin_list_refuses_to_start(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="ALLOWED_ORIGINS must list"):
        Settings.from_env({"ALLOWED_ORIGINS": value})
    monkeypatch.setenv("ALLOWED_ORIGINS", value)
    assert main(["agents", "list"]) == 2
    assert "'*' and an empty value are refused" in capsys.readouterr().err


def test_agents_connect_and_post_only_from_the_gateways_own_pages(
    stack: Stack,
    shop_gateway: str,
    agent_account: Callable[..., tuple[str, str]],
    clients: list[Client],
) -> None:
    login, password = agent_account()
    token = log_in(shop_gateway, login, password).json()["token"]
    shopper = Customer(cast(Stack, SimpleNamespace(gateway_url=shop_gateway)))
    clients.append(shopper)
    shopper.connect(origin=SHOP)  # the shop's widget may talk to the gateway...
    with pytest.raises(socketio.exceptions.ConnectionError):  # ...a page there is no console
        console_at(stack, shop_gateway, clients).connect(origin=SHOP, auth={"token": token})
    own = console_at(stack, shop_gateway, clients)
    own.connect(origin=shop_gateway, auth={"token": token})
    own.wait_for("state")

    assert log_in(shop_gateway, login, password, Origin=SHOP).status_code == 403
    browser = requests.Session()
    browser.post(f"{shop_gateway}/agent/login", json={"login": login, "password": password})
    foreign = browser.post(
        f"{shop_gateway}/agent/api/canned/1/render",
        json={"conversation_id": "x"},
        headers={"Origin": SHOP},
    )
    assert (foreign.status_code, foreign.json()["error"]) == (403, "foreign_origin")
    logout = browser.post(f"{shop_gateway}/agent/logout", json={}, headers={"Origin": SHOP})
    assert logout.status_code == 403
