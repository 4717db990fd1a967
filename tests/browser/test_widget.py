"""The customer's chat widget in Chromium, against the real stack (gateway, Redis, Rasa, actions).

Customers use the widget by what a screen reader announces: "Open chat", the "Message" box,
"Send", the "Conversation" log whose lines carry `data-sender`. Where a test needs an agent,
the agent is the product's Socket.IO client (bot/gateway_client.py): no console needed.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
import redis
from playwright.sync_api import ConsoleMessage, Page, WebSocketRoute, expect

from actions.accounts import AccountClient
from bot.gateway_client import AgentClient
from bot.stack import Stack
from handoff.customer_tokens import sign_customer_token
from handoff.service.customers import MESSAGES_PER_MINUTE
from handoff.stores.keys import rate_key
from tests.browser import a11y
from tests.browser.widget import BOT, Widget, demo
from tests.conftest import CUSTOMER_TOKEN_SECRET

NewPage = Callable[..., Page]
AgentAccount = Callable[..., tuple[str, str]]
Screenshot = Callable[[Page, str], object]

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'
PHONE = {"width": 390, "height": 844}


def modules_page(page: Page, stack: Stack) -> None:
    """A page on the gateway's origin without the widget, for importing its modules."""
    page.goto(f"{stack.gateway_url}/health")


def host_page(page: Page, stack: Stack, **attributes: str) -> list[str]:
    """Turn the page into a host site whose tag has these data- attributes; return the list
    that collects the widget's console messages.

    The site is written over a page the gateway served, so it has the gateway's origin (the
    allowed one) and Chromium knows it comes from this machine.
    """
    tag = " ".join(
        f'data-{name.replace("_", "-")}="{html.escape(value)}"'
        for name, value in attributes.items()
    )
    said: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.text.startswith("Tandem:"):
            said.append(f"{message.type}: {message.text}")

    page.on("console", record)
    modules_page(page, stack)
    page.set_content(
        "<!doctype html><html lang='en'><head><title>A shop</title></head>"
        "<body><main><h1>A shop</h1><p>Things for sale.</p></main>"
        f'<script type="module" src="/widget/tandem.js" {tag}></script></body></html>'
    )
    return said


class Network:
    """Carries the page's sockets through Playwright, so a test can break them as a bad network
    would (the browser's offline switch leaves open WebSockets alone)."""

    def __init__(self, page: Page) -> None:
        self.down = False
        self.swallowing = False
        self.sockets: list[WebSocketRoute] = []
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), self._carry)

    def _carry(self, socket: WebSocketRoute) -> None:
        if self.down:
            socket.close()
            return
        server = socket.connect_to_server()
        socket.on_message(lambda frame: None if self.swallowing else server.send(frame))
        self.sockets.append(socket)

    def swallow(self) -> None:
        """The socket still looks open, but what the page sends never arrives."""
        self.swallowing = True

    def cut(self) -> None:
        """Every socket drops, and new ones fail until `restore`."""
        self.down = True
        for socket in self.sockets:
            socket.close()
        self.sockets.clear()

    def restore(self) -> None:
        self.down = False
        self.swallowing = False


def greeted_over_a_network(stack: Stack, new_page: NewPage) -> tuple[Widget, Network]:
    """An open widget that said hello and got the answer, on a network the test can cut."""
    page = new_page()
    network = Network(page)
    page.goto(f"{stack.gateway_url}/")
    widget = Widget(page)
    widget.open()
    widget.greet()
    return widget, network


@pytest.fixture
def agents(stack: Stack) -> Iterator[list[AgentClient]]:
    opened: list[AgentClient] = []
    yield opened
    for agent in opened:
        agent.close()


def pay_bill_until_the_amount(widget: Widget) -> None:
    widget.say("I want to pay my bill")
    widget.bot_says("confirm who you are")
    widget.say("dana@example.com")
    widget.bot_says("last 4 digits")
    widget.say("4821")
    widget.bot_says("Your balance is $120.50, due on December 15, 2026")
    expect(widget.suggestions.get_by_role("button", name="The full balance")).to_be_visible()


# --- whole conversations ------------------------------------------------------------------


def test_a_customer_pays_their_bill_in_the_widget(
    stack: Stack, new_page: NewPage, accounts: AccountClient
) -> None:
    widget = demo(new_page, stack)
    widget.open()
    pay_bill_until_the_amount(widget)
    widget.quick_reply("The full balance")
    widget.bot_says("I'll pay $120.50 with your Visa ending 4242")
    widget.quick_reply("Yes, pay now")
    paid = widget.bot_says("Payment of $120.50 made")
    expect(paid).to_contain_text("receipt number is RCP-")
    # Quick replies send their payload and show their title, also once confirmed.
    assert widget.texts("customer") == [
        "I want to pay my bill",
        "dana@example.com",
        "••••",  # the answer to the phone-digits question is stored and shown masked
        "The full balance",
        "Yes, pay now",
    ]
    assert accounts.get("ACC-1001").balance == Decimal("0.00")


def test_a_reload_keeps_the_conversation_without_duplicates(
    stack: Stack, new_page: NewPage
) -> None:
    widget = demo(new_page, stack)
    widget.open()
    widget.greet()
    widget.say("help")
    widget.bot_says("You can say")
    before = widget.transcript()
    session = widget.session_id()
    assert [sender for _, sender, _ in before] == ["customer", "bot", "customer", "bot"]

    widget.page.reload()
    expect(widget.panel).to_be_visible()  # it was open, so it opens again
    expect(widget.log.locator("li[data-seq]")).to_have_count(len(before))
    assert widget.transcript() == before
    assert widget.session_id() == session

    # The conversation goes on where it was: the last message's suggestions still work.
    widget.quick_reply("Reset my password")
    widget.bot_says("email address or username")
    after = widget.transcript()
    assert after[: len(before)] == before
    assert len(after) == len(before) + 2
    assert len({seq for seq, _, _ in after}) == len(after)


def test_html_typed_by_a_customer_is_shown_as_text(stack: Stack, new_page: NewPage) -> None:
    widget = demo(new_page, stack)
    widget.open()
    widget.say(HOSTILE)
    expect(widget.log.locator("li[data-seq][data-sender='customer'] .tandem-bubble")).to_have_text(
        HOSTILE
    )
    expect(widget.messages("bot")).to_have_count(1, timeout=BOT)
    widget.page.reload()  # and again from the replayed history
    expect(widget.log.locator("li[data-seq]")).to_have_count(2)
    expect(widget.bubbles("customer")).to_have_text(HOSTILE)
    assert widget.log.locator("img, script, b").count() == 0
    assert widget.page.evaluate("window.__pwned") is None


def test_a_card_number_is_shown_masked_once_stored_and_kept_nowhere_in_clear(
    stack: Stack, new_page: NewPage
) -> None:
    widget, network = greeted_over_a_network(stack, new_page)
    card = "4111 1111 1111 1111"
    widget.say(f"my card is {card}")
    # The gateway's acknowledgement (by the line's client message id) replaces the typed text.
    expect(widget.bubbles("customer").last).to_have_text("my card is [card ending 1111]")
    expect(widget.log.locator("li:not([data-seq])")).to_have_count(0)
    # A reconnection sends nothing again, and nothing in clear stays on screen or in storage.
    network.cut()
    expect(widget.status).to_have_text("Reconnecting…")
    network.restore()
    expect(widget.status).to_be_hidden()
    assert card not in widget.log.inner_text()
    assert card not in widget.page.evaluate("() => JSON.stringify(localStorage)")
    assert [sender for _, sender, _ in widget.transcript()].count("customer") == 2


def test_a_dropped_network_shows_reconnecting_and_loses_nothing(
    stack: Stack, new_page: NewPage
) -> None:
    widget, network = greeted_over_a_network(stack, new_page)

    network.cut()
    expect(widget.status).to_have_text("Reconnecting…")
    widget.say("I want to pay my bill")
    waiting = widget.messages("customer").last
    expect(waiting).to_contain_text("Waiting for the connection…")

    network.restore()
    widget.bot_says("confirm who you are")
    expect(widget.status).to_be_hidden()
    lines = widget.transcript()
    assert [sender for _, sender, _ in lines] == ["customer", "bot", "customer", "bot"]
    assert widget.texts("customer") == ["hello", "I want to pay my bill"]
    assert len({seq for seq, _, _ in lines}) == len(lines)
    expect(widget.log.locator("li:not([data-seq])")).to_have_count(0)  # nothing left pending


def test_a_message_lost_with_a_dying_socket_is_sent_again(stack: Stack, new_page: NewPage) -> None:
    widget, network = greeted_over_a_network(stack, new_page)

    network.swallow()
    widget.say("I want to pay my bill")  # gone: the gateway never hears it
    network.cut()
    expect(widget.status).to_have_text("Reconnecting…")
    network.restore()
    widget.bot_says("confirm who you are")
    assert widget.texts("customer") == ["hello", "I want to pay my bill"]
    lines = widget.transcript()
    assert [sender for _, sender, _ in lines] == ["customer", "bot", "customer", "bot"]


def test_a_conversation_the_gateway_lost_starts_afresh(stack: Stack, new_page: NewPage) -> None:
    widget, network = greeted_over_a_network(stack, new_page)

    network.cut()
    assert stack.redis is not None
    redis.Redis.from_url(stack.redis.url).flushdb()  # the gateway forgets everything
    network.restore()
    expect(widget.log.locator("li[data-seq]")).to_have_count(0)
    # The new conversation numbers from 1 again; nothing is mistaken for a line seen before.
    widget.greet()
    assert [seq for seq, _, _ in widget.transcript()] == [1, 2]


def test_a_refused_message_is_marked_not_sent_with_the_reason(
    stack: Stack, new_page: NewPage
) -> None:
    widget = demo(new_page, stack)
    widget.open()
    widget.greet()
    # This conversation has used up its messages for this minute (and the next).
    assert stack.redis is not None
    store = redis.Redis.from_url(stack.redis.url)
    minute = int(time.time() // 60)
    for window in (minute, minute + 1):
        store.set(rate_key(widget.session_id(), window), MESSAGES_PER_MINUTE)

    widget.say("hello again")
    refused = widget.messages("customer").last
    expect(refused).to_have_attribute("data-delivery", "failed")
    expect(refused).to_contain_text("Not sent")
    notice = widget.page.get_by_role("alert").filter(has_text="Too many messages in a minute")
    expect(notice).to_be_visible()
    assert a11y.problems(widget.page) == []


# --- people -------------------------------------------------------------------------------


def handed_to_ann(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, agents: list[AgentClient]
) -> tuple[Widget, AgentClient, str]:
    """A customer who asked for a person, first queued, then taken by Ann Lee."""
    ann = AgentClient(stack)
    agents.append(ann)
    ann.login(*agent_account(name="Ann Lee"))
    ann.set_status("away")  # online but not taking chats: the customer waits
    widget = demo(new_page, stack)
    widget.open()
    widget.say("I want to talk to a person")
    widget.bot_says("connecting you to a person")
    expect(widget.status).to_contain_text("You're next in line.")
    expect(widget.subtitle).to_have_text("Waiting for a person")

    ann.set_status("available")
    conversation_id: str = ann.wait_for("assigned")["conversation"]["id"]
    expect(widget.messages("system").last).to_have_text("Ann Lee has joined the chat.")
    expect(widget.subtitle).to_have_text("You're chatting with Ann Lee")
    expect(widget.status).to_be_hidden()
    return widget, ann, conversation_id


def test_an_agent_takes_over_with_typing_both_ways_and_an_unread_badge(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, agents: list[AgentClient]
) -> None:
    widget, ann, conversation_id = handed_to_ann(stack, new_page, agent_account, agents)

    widget.input.press_sequentially("is anyone")
    assert ann.wait_for("typing")["typing"] is True
    assert ann.wait_for("typing")["typing"] is False  # after a pause in typing

    widget.page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    ann.act("send", conversation_id=conversation_id, text="Hi, I'm Ann. How can I help?")
    ann.act("send", conversation_id=conversation_id, text="I can see your conversation so far.")
    unread = widget.page.get_by_role("button", name="Open chat, 2 unread messages")
    expect(unread).to_be_visible()
    expect(widget.badge).to_have_text("2")
    assert a11y.problems(widget.page) == []

    widget.open()
    expect(widget.badge).to_be_hidden()
    first = widget.messages("agent").first
    expect(first.locator(".tandem-author")).to_have_text("Ann Lee")
    expect(first.locator(".tandem-bubble")).to_have_text("Hi, I'm Ann. How can I help?")

    typing = widget.page.get_by_text("Ann Lee is typing…")
    ann.act("typing", conversation_id=conversation_id, typing=True)
    expect(typing).to_be_visible()
    ann.act("send", conversation_id=conversation_id, text="Still there?")
    expect(widget.messages("agent")).to_have_count(3)
    expect(typing).to_be_hidden()

    widget.page.keyboard.press("Escape")
    widget.page.reload()  # what was seen stays seen
    expect(widget.launcher).to_have_accessible_name("Open chat")
    expect(widget.badge).to_be_hidden()


def test_a_closed_chat_asks_for_a_rating_then_thanks(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, agents: list[AgentClient]
) -> None:
    widget, ann, conversation_id = handed_to_ann(stack, new_page, agent_account, agents)
    ann.act("send", conversation_id=conversation_id, text=HOSTILE)  # agents' text is text too
    expect(widget.bubbles("agent")).to_have_text(HOSTILE)
    assert widget.log.locator("img, script, b").count() == 0
    assert widget.page.evaluate("window.__pwned") is None

    ann.act("close", conversation_id=conversation_id, resolution="resolved")
    expect(widget.messages("system").last).to_contain_text("This chat has ended")
    expect(widget.subtitle).to_have_text("This chat has ended")
    rating = widget.page.get_by_role("group", name="Rate this chat")
    expect(rating).to_be_visible()
    assert a11y.problems(widget.page) == []
    rating.get_by_role("button", name="Rate 5 of 5").click()
    expect(widget.messages("system").last).to_have_text("Thanks for your feedback!")
    expect(rating).to_be_hidden()


def test_with_nobody_available_the_customer_leaves_an_email(
    stack: Stack, new_page: NewPage
) -> None:
    widget = demo(new_page, stack)
    widget.open()
    widget.say("I want to talk to a person")
    expect(widget.messages("system").last).to_contain_text("No one from our team is available")
    form = widget.page.get_by_role("form", name="Leave your email")
    email = form.get_by_label("Your email address")
    email.fill("dana@example")  # the browser accepts it; the gateway wants a domain
    form.get_by_role("button", name="Email me").click()
    expect(form.get_by_role("alert")).to_have_text("That doesn't look like an email address.")
    email.fill("dana@example.com")
    form.get_by_role("button", name="Email me").click()
    expect(widget.messages("system").last).to_contain_text(
        "Thanks, we'll email you at dana@example.com. Your reference is"
    )
    expect(form).to_be_hidden()
    expect(widget.subtitle).to_have_text("This chat has ended")


# --- keyboard, screen readers, phones -------------------------------------------------------


def test_the_keyboard_alone_opens_types_sends_picks_and_closes(
    stack: Stack, new_page: NewPage
) -> None:
    widget = demo(new_page, stack)
    page = widget.page
    assert a11y.tab_order(page, 4) == [
        'a "Plans"',
        'a "Billing"',
        'a "Moving home"',
        'button "Open chat"',
    ]
    page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    page.keyboard.type("help")
    page.keyboard.press("Enter")
    widget.bot_says("You can say")

    # Backwards from the message box: the suggestions, then the panel's close button.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.textContent") == "Talk to a person"
    page.keyboard.press("Enter")
    widget.bot_says("connecting you to a person")
    expect(widget.input).to_be_focused()

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()


def test_the_open_widget_has_names_contrast_and_a_sensible_tab_order(
    stack: Stack, new_page: NewPage, accounts: AccountClient, screenshot: Screenshot
) -> None:
    widget = demo(new_page, stack)
    assert a11y.problems(widget.page) == []  # closed: the launcher alone
    widget.open()
    pay_bill_until_the_amount(widget)
    assert a11y.problems(widget.page) == []
    screenshot(widget.page, "widget-desktop")

    expect(widget.panel).to_have_attribute("aria-modal", "false")  # the page stays usable
    widget.page.locator(".brand").click()  # Tab on from the top of the page
    assert a11y.tab_order(widget.page, 7) == [
        'a "Plans"',
        'a "Billing"',
        'a "Moving home"',
        'button "Close chat"',
        'button "The full balance"',
        'input "Message"',
        'button "Send"',
    ]


def test_on_a_phone_the_panel_fills_the_screen(
    stack: Stack, new_page: NewPage, accounts: AccountClient, screenshot: Screenshot
) -> None:
    widget = demo(new_page, stack, viewport=PHONE)
    widget.open()
    pay_bill_until_the_amount(widget)
    box = widget.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    # It covers the page, so it is modal: Tab goes round inside it.
    expect(widget.panel).to_have_attribute("aria-modal", "true")
    assert a11y.tab_order(widget.page, 3) == [
        'button "Send"',
        'button "Close chat"',
        'button "The full balance"',
    ]
    widget.page.keyboard.press("Shift+Tab")
    widget.page.keyboard.press("Shift+Tab")
    expect(widget.page.get_by_role("button", name="Send")).to_be_focused()
    assert a11y.problems(widget.page) == []
    screenshot(widget.page, "widget-phone")


# --- the embedding tag ----------------------------------------------------------------------


def test_the_tag_sets_title_and_colour_and_text_stays_readable(
    stack: Stack, new_page: NewPage
) -> None:
    page = new_page()
    said = host_page(page, stack, title="Shop help", color="#ffd700")
    widget = Widget(page)
    expect(widget.launcher).to_have_css("background-color", "rgb(255, 215, 0)")
    widget.open()
    expect(page.get_by_role("dialog", name="Shop help")).to_be_visible()
    widget.greet()
    # Black, not white, on a light accent: the customer's own message stays readable.
    expect(widget.bubbles("customer")).to_have_css("color", "rgb(0, 0, 0)")
    assert a11y.problems(page) == []
    assert said == []


def test_a_bad_colour_or_a_long_title_is_replaced_with_a_warning(
    stack: Stack, new_page: NewPage
) -> None:
    page = new_page()
    said = host_page(page, stack, color="red", title="Help " * 20)
    widget = Widget(page)
    expect(widget.launcher).to_have_css("background-color", "rgb(29, 95, 168)")
    widget.open()
    title = page.locator(".tandem-title").text_content() or ""
    assert len(title) == 60 and title.endswith("…")
    assert said == [
        "warning: Tandem: data-title is longer than 60 characters; it was shortened.",
        'warning: Tandem: data-color="red" is not a colour like #1d5fa8; using #1d5fa8.',
    ]


def test_with_storage_blocked_the_chat_still_works_for_the_page(
    stack: Stack, new_page: NewPage
) -> None:
    page = new_page()
    # What browsers do when a customer blocks site data: touching localStorage throws.
    page.add_init_script(
        """Object.defineProperty(window, 'localStorage', {
             get() { throw new DOMException('The operation is insecure.', 'SecurityError'); },
           });"""
    )
    said = host_page(page, stack)
    widget = Widget(page)
    widget.open()
    widget.greet()
    assert said == ["warning: Tandem: localStorage is blocked; the chat will not survive a reload."]


def test_a_bad_server_address_is_reported_and_nothing_is_shown(
    stack: Stack, new_page: NewPage
) -> None:
    page = new_page()
    said = host_page(page, stack, server="ftp://files.example.com")
    expect(page.locator(".tandem-root")).to_have_count(0)
    assert said == [
        'error: Tandem: data-server="ftp://files.example.com" is not an http(s) address like '
        "https://chat.example.com; the chat widget is not shown."
    ]


def test_a_signed_customer_token_skips_verification(
    stack: Stack, new_page: NewPage, accounts: AccountClient
) -> None:
    page = new_page()
    token = sign_customer_token("ACC-1001", "Dana", CUSTOMER_TOKEN_SECRET)
    said = host_page(page, stack, customer_token=token)
    widget = Widget(page)
    widget.open()
    widget.say("I want to pay my bill")
    widget.bot_says("Your balance is $120.50")
    assert said == []


def test_a_bad_customer_token_is_reported_and_the_chat_goes_on_as_a_guest(
    stack: Stack, new_page: NewPage
) -> None:
    page = new_page()
    said = host_page(page, stack, customer_token="not-a-token")
    widget = Widget(page)
    widget.open()
    widget.say("I want to pay my bill")
    widget.bot_says("confirm who you are")
    assert len(said) == 1 and said[0].startswith("warning: Tandem:")
    assert "Continuing as a guest" in said[0]


# --- drawing from state (no socket) -----------------------------------------------------------


def test_only_https_links_in_bot_text_become_links(stack: Stack, new_page: NewPage) -> None:
    page = new_page()
    modules_page(page, stack)
    links = page.evaluate(
        """async () => {
        const { ChatView } = await import('/widget/ui.js');
        const view = new ChatView({ title: 'Help' }, {});
        document.body.append(view.root);
        const line = (seq, sender, text, more = {}) =>
          ({ seq, sender, text, agentName: null, status: null, quickReplies: [], ...more });
        view.render({
          mode: 'assigned', connection: 'online', pending: [], queue: null, lastSeq: 3,
          agentName: 'Ann Lee', agentTyping: false, notice: null, emailError: null,
          messages: [
            line(1, 'bot', 'Read https://tandem.example/help. Not http://tandem.example, '
                          + 'javascript:alert(1) or <a href="https://x.example">this</a>.'),
            line(2, 'agent', 'See https://tandem.example/agent', { agentName: 'Ann Lee' }),
            line(3, 'customer', 'Mine: https://tandem.example/me'),
          ],
        }, { open: true, seenSeq: 3 });
        const bot = view.root.querySelector('li[data-sender="bot"] .tandem-bubble');
        return {
          botText: bot.textContent,
          links: [...view.root.querySelectorAll('a')].map((a) => ({
            href: a.getAttribute('href'), text: a.textContent, rel: a.rel, target: a.target,
            sender: a.closest('li').dataset.sender,
          })),
        };
      }"""
    )
    assert links["botText"] == (
        "Read https://tandem.example/help. Not http://tandem.example, "
        'javascript:alert(1) or <a href="https://x.example">this</a>.'
    )
    common = {"rel": "noopener noreferrer", "target": "_blank", "sender": "bot"}
    assert links["links"] == [
        {"href": "https://tandem.example/help", "text": "https://tandem.example/help", **common},
        {"href": "https://x.example/", "text": "https://x.example", **common},
    ]


def test_queue_notices_in_words(stack: Stack, new_page: NewPage) -> None:
    page = new_page()
    modules_page(page, stack)
    said = page.evaluate(
        """async () => {
        const { describeQueue } = await import('/widget/messages.js');
        return [[1, null], [3, 20], [2, 61], [4, 330], [null, null]].map(
          ([position, wait]) => describeQueue(position, wait));
      }"""
    )
    assert said == [
        "You're next in line.",
        "You're number 3 in line. Estimated wait: less than a minute.",
        "You're number 2 in line. Estimated wait: about a minute.",
        "You're number 4 in line. Estimated wait: about 6 minutes.",
        "You're in line for the next person available.",
    ]
