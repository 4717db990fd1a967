"""Several gateways behind HAProxy and two Rasa servers: one stack, as `bot run --gateways 2
--rasa 2` starts it. Clients go through the balancer, pinned to a gateway by its sticky cookie;
services are killed with SIGKILL, as a crash would, and the stack must bring them back.
"""

from __future__ import annotations

import pytest
import redis
import requests

from bot.gateway_client import Client
from bot.stack import Stack
from handoff.stores import keys
from tests.clusters import back_up, crash, new_agent, new_customer, new_login, scrape

pytestmark = pytest.mark.usefixtures("fresh_cluster")


def total(cluster: Stack, name: str, **labels: str) -> float:
    """A per-process figure summed over every gateway, as Prometheus users would."""
    key = (name, tuple(sorted(labels.items())))
    return sum(scrape(url).get(key, 0.0) for url in cluster.gateway_urls)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_customer_on_one_gateway_chats_with_an_agent_on_the_other(
    cluster: Stack, clients: list[Client], transport: str
) -> None:
    ann = new_agent(cluster, clients, transport=transport, gateway="gateway-2")
    alice = new_customer(cluster, clients, transport=transport, gateway="gateway-1")
    sockets = {url: scrape(url) for url in cluster.gateway_urls}  # which gateway holds which socket
    first, second = (sockets[url] for url in cluster.gateway_urls)
    assert first[("tandem_sockets", (("namespace", "/"),))] == 1
    assert second[("tandem_sockets", (("namespace", "/agent"),))] == 1
    assert first.get(("tandem_sockets", (("namespace", "/agent"),)), 0) == 0

    alice.say("I want to talk to a person")
    chat = ann.wait_for("assigned")
    assert chat["conversation"]["id"] == alice.session_id
    ann.act("send", conversation_id=alice.session_id, text="Hi, I'm Ann. How can I help?")
    assert alice.bot_says("I'm Ann")["metadata"]["agent_name"] == "Ann Lee"
    alice.say("my bill looks wrong")
    line = ann.wait_for("message", lambda m: m["kind"] == "customer")
    assert line["text"] == "my bill looks wrong"


def test_one_action_reaching_both_gateways_is_applied_once(
    cluster: Stack, clients: list[Client]
) -> None:
    """Two consoles of one agent, on different gateways, send the same line and the same close
    (as a console's resend may land on another gateway): the customer hears each once."""
    login = new_login(cluster)
    ann = new_agent(cluster, clients, login, gateway="gateway-1")
    again = new_agent(cluster, clients, login, gateway="gateway-2")
    alice = new_customer(cluster, clients, gateway="gateway-1")
    alice.say("I want to talk to a person")
    for console in (ann, again):
        console.wait_for("assigned")
    alice.status("assigned")

    line = {"conversation_id": alice.session_id, "text": "Hello from Ann", "message_id": "l1"}
    for console in (ann, again):
        console.emit("send", line)
    alice.bot_says("Hello from Ann")
    close = {"conversation_id": alice.session_id, "resolution": "resolved", "message_id": "c1"}
    for console in (ann, again):
        console.emit("close", close)
    alice.status("closed")

    heard = [(name, d.get("text")) for name, d in alice.drain(1.5) if name != "typing"]
    assert heard == []  # today's gateways send the line twice and answer one close with an error
    for console in (ann, again):  # each console: both answers of each action, no refusal
        answers = console.drain(0.5)
        assert [d for name, d in answers if name == "error"] == []
        lines = [d["data"]["message_id"] for name, d in answers if name == "message"]
        released = [d["message_id"] for name, d in answers if name == "released"]
        assert (lines, released) == (["l1", "l1"], ["c1", "c1"])


def test_metrics_add_up_across_gateways(cluster: Stack, clients: list[Client]) -> None:
    ann = new_agent(cluster, clients, gateway="gateway-2")
    ann.set_status("away")  # on shift, so the chat waits in the queue for her
    turns = total(cluster, "tandem_bot_turn_seconds_count")
    handoffs = total(cluster, "tandem_handoffs_total", reason="explicit_request")
    bob = new_customer(cluster, clients, gateway="gateway-1")
    carol = new_customer(cluster, clients, gateway="gateway-2")
    for customer in (bob, carol):
        customer.say("hello")
        customer.bot_says("I can reset your password")
    bob.say("I want to talk to a person")
    bob.status("queued")
    assert total(cluster, "tandem_bot_turn_seconds_count") == turns + 3
    assert total(cluster, "tandem_handoffs_total", reason="explicit_request") == handoffs + 1
    for url in cluster.gateway_urls:  # the cluster's state: the same on every process
        figures = scrape(url)
        assert figures[("tandem_cluster_queue_length", ())] == 1
        assert figures[("tandem_cluster_conversations", (("mode", "queued"),))] == 1
        assert figures[("tandem_cluster_conversations", (("mode", "bot"),))] == 1
    assert requests.get(f"{cluster.gateway_url}/metrics", timeout=5).status_code == 404


def test_turns_are_served_while_one_rasa_server_is_down_and_it_comes_back(
    cluster: Stack, clients: list[Client]
) -> None:
    crash(cluster, "rasa-1")
    # Conversations spread over both servers: those of the dead one move to the other.
    # (A turn already sent to a server as it dies is not sent again: its actions may have
    # run. That customer is offered a person; tests/gateway/test_rasa_down.py shows it.)
    for _ in range(6):
        customer = new_customer(cluster, clients)
        customer.say("hello")
        customer.bot_says("I can reset your password")
    back_up(cluster, "rasa-1")
    assert cluster.restarts()["rasa-1"] == 1


@pytest.mark.parametrize("service", ["gateway-1", "actions"])
def test_a_crashed_service_is_restarted_and_the_stack_stays_up(
    cluster: Stack, clients: list[Client], service: str
) -> None:
    before = cluster.restarts()[service]
    crash(cluster, service)
    # Meanwhile the balancer sends new customers to the gateway that is still there.
    customer = new_customer(cluster, clients)
    customer.say("hello")
    customer.bot_says("I can reset your password")
    back_up(cluster, service)
    assert cluster.restarts()[service] == before + 1
    cluster.check()
    assert requests.get(f"{cluster.gateway_url}/health", timeout=5).status_code == 200


# Keys that belong to the deployment, not to a conversation: they do not grow with traffic
# (agents are people on the staff; the queue and the live index drop what ends).
LASTING = (
    keys.LIVE_KEY,
    keys.QUEUE_KEY,
    keys.QUEUE_ARRIVALS_KEY,
    keys.HANDLE_TIMES_KEY,
    keys.AGENTS_KEY,
    keys.DISCONNECTED_KEY,
    keys.QUEUE_PUSHED_KEY,
    keys.QUEUE_CHANGED_KEY,
    keys.GATEWAYS_KEY,
)
LASTING_PREFIXES = (keys.agent_key(""), keys.agent_chats_key(""), keys.gateway_agents_key(""))


def test_everything_a_conversation_leaves_in_redis_expires(
    cluster: Stack, clients: list[Client]
) -> None:
    """Redis stays flat under traffic: Rasa's tracker and the gateway's keys all expire."""
    ann = new_agent(cluster, clients)
    dana = new_customer(cluster, clients)
    dana.say("hello")
    dana.bot_says("I can reset your password")
    erin = new_customer(cluster, clients)
    erin.say("I want to talk to a person")
    ann.wait_for("assigned")
    ann.act("send", conversation_id=erin.session_id, text="Hello, I'm Ann.", message_id="l1")
    erin.bot_says("I'm Ann")
    ann.act("close", conversation_id=erin.session_id, resolution="resolved", message_id="c1")
    erin.status("closed")
    erin.emit("csat", {"rating": 5, "message_id": "r1"})
    erin.status("rated")
    assert cluster.redis is not None
    store = redis.Redis.from_url(cluster.redis.url, decode_responses=True)
    forever = sorted(
        key
        for key in store.scan_iter(count=1000)
        if store.ttl(key) == -1 and key not in LASTING and not key.startswith(LASTING_PREFIXES)
    )
    assert forever == []
    for conversation_id in (dana.session_id, erin.session_id):
        tracker = f"tandem:tracker:{conversation_id}"  # Rasa's (endpoints.yml's key_prefix)
        assert store.ttl(tracker) > 0
        assert store.ttl(keys.conversation_key(conversation_id)) > 0
        assert store.ttl(keys.transcript_key(conversation_id)) > 0
    assert store.ttl(keys.commands_key(erin.session_id)) > 0  # the actions applied once
