"""rasa-webchat 1.0.1 from npm, unchanged, on a host site of its own origin: a task with the
bot, the queue, an agent, and the bot again.

rasa-webchat speaks Rasa's SocketIO channel protocol and knows nothing of Tandem, so it is
told handoff status changes as bot text. `make test-browser` installs it from
webchat/package-lock.json (npm ci). The agent is the product's Socket.IO client.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Locator, Page, expect

from bot.gateway_client import AgentClient
from bot.stack import Stack
from tests.browser.conftest import HOST_SITE_DIR
from tests.browser.widget import BOT
from tests.conftest import RASA_TOKEN

BUNDLE = HOST_SITE_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
# rasa-webchat's stylesheet imports a web font from Google: answered empty, so the test
# stays on this machine and the browser logs no failed request.
ELSEWHERE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


class RasaWebchat:
    """rasa-webchat on a page, by its own class names (it has no accessible names to use)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(".rw-launcher")
        self.input = page.get_by_placeholder("Type a message...")
        # Bot, agent and status lines alike: rasa-webchat has one kind of reply.
        self.replies = page.locator(".rw-response")
        self.customer = page.locator(".rw-client")
        self.quick_replies = page.locator(".rw-replies .rw-reply")

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def hears(self, text: str) -> Locator:
        """The latest reply containing ``text``, once it is on screen."""
        line = self.replies.filter(has_text=text).last
        expect(line).to_be_visible(timeout=BOT)
        return line


@pytest.mark.usefixtures("accounts")  # the demo customers, for the password reset
def test_rasa_webchat_does_a_task_talks_to_an_agent_and_is_handed_back(
    stack: Stack,
    host_site: str,
    new_page: Callable[..., Page],
    agent: Callable[..., tuple[AgentClient, str]],
    screenshot: Callable[[Page, str], object],
) -> None:
    if not BUNDLE.exists():
        pytest.fail(f"{BUNDLE} is missing: run `make test-browser`, which runs npm ci for it")
    ann, _ = agent(name="Ann Lee")
    ann.set_status("away")  # so the customer waits in the queue, and is told so

    page = new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route(ELSEWHERE, lambda route: route.fulfill(content_type="text/css", body=""))
    page.goto(f"{host_site}/index.html?gateway={stack.gateway_url}")
    chat = RasaWebchat(page)
    chat.launcher.click()  # opening the chat sends the initPayload, answered by the greeting
    chat.hears("I'm Tandem's assistant")

    chat.say("what can you do?")
    chat.hears("I can reset your password")
    expect(chat.quick_replies).to_have_text(
        ["Reset my password", "Change my address", "Pay my bill", "Talk to a person"]
    )
    chat.quick_replies.filter(has_text="Reset my password").click()
    expect(chat.customer.last).to_have_text("Reset my password")
    chat.hears("What's the email address or username on your account?")
    chat.say("dana@example.com")
    chat.hears("a reset link is on its way")

    chat.say("I want to talk to a person")
    chat.hears("connecting you to a person")
    chat.hears("You're next in line.")
    ann.set_status("available")
    conversation = ann.wait_for("assigned")["conversation"]["id"]
    chat.hears("Ann Lee has joined the chat.")
    ann.act("send", conversation_id=conversation, text="Hi, I'm Ann. Did the reset link arrive?")
    chat.hears("Hi, I'm Ann. Did the reset link arrive?")
    chat.say("Yes, thanks. Can I ask the assistant about my bill?")
    got = ann.wait_for("message", lambda m: m["kind"] == "customer")
    assert got["text"] == "Yes, thanks. Can I ask the assistant about my bill?"
    expect(chat.customer.last).to_have_text(got["text"])
    screenshot(page, "rasa-webchat")

    # A reload: rasa-webchat sends back the session id it kept, and the chat with Ann goes on.
    page.reload()
    chat.hears("Hi, I'm Ann. Did the reset link arrive?")  # from rasa-webchat's own storage
    ann.act("send", conversation_id=conversation, text="Still with you after your reload.")
    chat.hears("Still with you after your reload.")

    ann.act("hand_back", conversation_id=conversation, resume=False)
    chat.hears("Ann Lee handed you back to the assistant.")
    chat.hears("You're back with the assistant. How can I help?")
    chat.say("what's my balance")
    chat.hears("confirm who you are")
    assert not errors, f"rasa-webchat logged errors: {errors}"
    # The bot got the opening payload as a greeting, the tapped reply's payload, and
    # rasa-webchat's customData with every line.
    said = customer_lines(stack, conversation)
    assert [text for text, _ in said] == [
        "/greet",
        "what can you do?",
        "/reset_password",
        "dana@example.com",
        "I want to talk to a person",
        "what's my balance",
    ]
    assert all(metadata.get("language") == "en" for _, metadata in said)


def customer_lines(stack: Stack, conversation_id: str) -> list[tuple[str, dict]]:
    """The customer's lines in Rasa's tracker, with their metadata (not the gateway's
    external events)."""
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": RASA_TOKEN},
        timeout=10,
    ).json()
    return [
        (event["text"], event.get("metadata") or {})
        for event in tracker["events"]
        if event["event"] == "user" and not (event.get("metadata") or {}).get("is_external")
    ]

