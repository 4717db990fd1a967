"""widget/socket.js in Chromium against the real gateway: events, refusal, reconnection."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from bot.stack import Stack


def page_with_socket(stack: Stack, new_page: Callable[..., Page]) -> Page:
    """A page on the gateway's origin (allowed) with the socket module loaded as `Connection`."""
    page = new_page()
    page.goto(f"{stack.gateway_url}/health")
    page.evaluate(
        "async () => { window.Connection = (await import('/widget/socket.js')).Connection; }"
    )
    return page


def test_a_customer_opens_a_session_and_the_bot_answers(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = page_with_socket(stack, new_page)
    page.evaluate(
        """(url) => {
        window.got = [];
        const conn = new Connection({ url });
        conn.on("open", () => conn.emit("session_request", { session_id: null }));
        for (const event of ["session_confirm", "history", "bot_uttered"]) {
          conn.on(event, (data) => window.got.push([event, data]));
        }
        // queued while connecting, sent right after the session request
        conn.emit("user_uttered", { message: "hello" });
        conn.connect();
        window.conn = conn;
      }""",
        stack.gateway_url,
    )
    page.wait_for_function("() => window.got.some(([event]) => event === 'bot_uttered')")
    events = [event for event, _ in page.evaluate("window.got")]
    assert events[:2] == ["session_confirm", "history"]
    assert page.evaluate("window.conn.connected") is True


def test_a_refused_namespace_is_reported_and_not_retried(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = page_with_socket(stack, new_page)
    page.evaluate(
        """(url) => {
        window.refusals = [];
        window.retries = 0;
        const conn = new Connection({ url, namespace: "/agent" });
        conn.on("refused", (message) => window.refusals.push(message));
        conn.on("reconnecting", () => window.retries++);
        conn.connect();
      }""",
        stack.gateway_url,
    )
    page.wait_for_function("() => window.refusals.length > 0")
    assert "Log in" in page.evaluate("window.refusals[0]")
    page.wait_for_timeout(1500)  # longer than the first retry delay would be
    assert page.evaluate("window.retries") == 0


def test_a_dropped_socket_reconnects_and_sends_what_was_queued(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = page_with_socket(stack, new_page)
    page.evaluate(
        """(url) => {
        window.log = [];
        const conn = new Connection({ url });
        conn.on("open", () => { window.log.push("open"); conn.emit("session_request", {}); });
        conn.on("close", () => window.log.push("close"));
        conn.on("reconnecting", () => window.log.push("reconnecting"));
        conn.on("session_confirm", () => window.log.push("confirm"));
        conn.connect();
        window.conn = conn;
      }""",
        stack.gateway_url,
    )
    page.wait_for_function("() => window.log.includes('confirm')")
    # The network drops: the browser's socket closes under the connection.
    page.evaluate("window.conn._socket.close()")
    page.wait_for_function("() => window.log.filter((e) => e === 'confirm').length === 2")
    assert page.evaluate("window.log") == [
        "open",
        "confirm",
        "close",
        "reconnecting",
        "open",
        "confirm",
    ]
