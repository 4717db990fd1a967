"""Fixtures shared by the test folders: the whole stack on the trained model."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from bot.process import free_port
from bot.settings import ROOT, Settings
from bot.stack import Stack
from bot.training import model_path

RASA_TOKEN = "test-rasa-token"
CUSTOMER_TOKEN_SECRET = "test-customer-token-secret-of-32-bytes!"


@pytest.fixture(scope="session")
def new_stack(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Stack]:
    """Make a Stack (not started) on free ports, fresh tokens and its own temporary database."""
    model = model_path(ROOT)
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make train` first.")

    def make() -> Stack:
        var = tmp_path_factory.mktemp("stack")
        gateway_port = free_port()
        settings = dataclasses.replace(
            Settings.from_env({}),
            database_url=f"sqlite:///{var / 'accounts.db'}",
            rasa_port=free_port(),
            actions_port=free_port(),
            rasa_token=RASA_TOKEN,
            actions_token="test-actions-token",
            gateway_port=gateway_port,
            allowed_origins=(f"http://127.0.0.1:{gateway_port}",),
            secret_key="test-secret-key",
            customer_token_secret=CUSTOMER_TOKEN_SECRET,
            # short, so tests of the SLA and the grace period wait seconds, not minutes
            queue_sla_seconds=3.0,
            agent_grace_seconds=5.0,
        )
        return Stack(settings, model, var_dir=var)

    return make


@pytest.fixture(scope="session")
def stack(new_stack: Callable[[], Stack]) -> Iterator[Stack]:
    """Redis, the action server and Rasa, started once for the whole session."""
    with new_stack() as running:
        yield running
