"""``/metrics``: only with its token, and the figures of this process and of the cluster."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from core.settings import Settings
from handoff.app import create_app
from handoff.service.gateway import Gateway

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def app(gateway_settings: Settings) -> Iterator[Flask]:
    flask_app = create_app(dataclasses.replace(gateway_settings, metrics_token=TOKEN))
    yield flask_app
    tandem = flask_app.extensions["tandem"]
    tandem.canned.close()
    tandem.directory.close()
    tandem.gateway.archive.close()


def scrape(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_need_the_token(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert TOKEN not in wrong.get_data(as_text=True)


def test_without_a_token_there_is_no_metrics_page(gateway_settings: Settings) -> None:
    app = create_app(dataclasses.replace(gateway_settings, metrics_token=""))
    assert app.test_client().get("/metrics").status_code == 404
    app.extensions["tandem"].gateway.archive.close()


def test_the_cluster_figures_come_from_redis(app: Flask) -> None:
    gateway: Gateway = app.extensions["tandem"].gateway
    conversations = gateway.stores.conversations
    for name in ("a", "b", "c"):
        conversations.open(name, {})
    gateway.stores.queue.enqueue("b", "normal", "general", reason="explicit_request", packet={})
    gateway.stores.queue.enqueue("c", "high", "general", reason="explicit_request", packet={})
    gateway.stores.presence.online("ann", "Ann", ["general"], 3)
    gateway.stores.queue.claim("c", "ann")
    figures = scrape(app)
    assert figures[("tandem_cluster_conversations", (("mode", "bot"),))] == 1
    assert figures[("tandem_cluster_conversations", (("mode", "queued"),))] == 1
    assert figures[("tandem_cluster_conversations", (("mode", "assigned"),))] == 1
    assert figures[("tandem_cluster_queue_length", ())] == 1
    assert figures[("tandem_cluster_queue_longest_wait_seconds", ())] >= 0


def test_this_process_counts_handoffs_refusals_and_rasa_errors(app: Flask) -> None:
    gateway: Gateway = app.extensions["tandem"].gateway
    gateway.stores.conversations.open("conv-1", {})
    gateway.stores.presence.online("ann", "Ann", ["general"], 3)
    gateway.handoffs.hand_off("conv-1", {"reason": "explicit_request", "skill": "general"})
    gateway.metrics.refusals.labels("events").inc()
    with gateway.metrics.bot_turn():
        pass
    figures = scrape(app)
    assert figures[("tandem_handoffs_total", (("reason", "explicit_request"),))] == 1
    assert figures[("tandem_rate_limit_refusals_total", (("limit", "events"),))] == 1
    assert figures[("tandem_bot_turn_seconds_count", ())] == 1
