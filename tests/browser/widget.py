"""The customer's chat widget, driven as a customer would: by what a screen reader announces
("Open chat", the "Message" box, the "Conversation" log whose lines carry `data-sender`)."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from bot.stack import Stack

# The bot through the gateway, with custom actions, on a busy 2-core machine.
BOT = 20_000


class Widget:
    """The chat widget on a page, used as a customer would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.get_by_role("button", name="Open chat")
        self.panel = page.get_by_role("dialog")
        self.input = page.get_by_role("textbox", name="Message")
        self.log = page.get_by_role("log", name="Conversation")
        self.status = page.locator(".tandem-status")
        self.subtitle = page.locator(".tandem-subtitle")
        self.badge = page.locator(".tandem-badge")
        self.suggestions = page.get_by_role("group", name="Suggested replies")

    def messages(self, sender: str | None = None) -> Locator:
        """Lines of the conversation (optionally from one sender), confirmed or still pending."""
        return self.log.locator(f"li[data-sender{f'={sender!r}' if sender else ''}]")

    def bubbles(self, sender: str) -> Locator:
        """The text of each line `sender` wrote, as the widget shows it."""
        return self.messages(sender).locator(".tandem-bubble")

    def open(self) -> None:
        self.launcher.click()
        expect(self.input).to_be_focused()

    def say(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def bot_says(self, text: str) -> Locator:
        said = self.messages("bot").filter(has_text=text).last
        expect(said).to_be_visible(timeout=BOT)
        return said

    def greet(self) -> None:
        """Say hello and wait for the bot's answer."""
        self.say("hello")
        self.bot_says("I can reset your password")

    def quick_reply(self, title: str) -> None:
        self.suggestions.get_by_role("button", name=title, exact=True).click()

    def texts(self, sender: str) -> list[str]:
        return self.bubbles(sender).all_text_contents()

    def transcript(self) -> list[tuple[int, str, str]]:
        """(seq, sender, text) of every line the gateway confirmed."""
        lines = self.page.evaluate(
            """() => [...document.querySelectorAll('.tandem-messages li[data-seq]')].map(
                (li) => [Number(li.dataset.seq), li.dataset.sender,
                         li.querySelector('.tandem-bubble').textContent])"""
        )
        return [tuple(line) for line in lines]

    def session_id(self) -> str:
        stored: str = self.page.evaluate(
            """() => Object.entries(localStorage).find(([key]) => key.endsWith(':session'))[1]"""
        )
        return stored


def demo(new_page: Callable[..., Page], stack: Stack, viewport: dict | None = None) -> Widget:
    """The widget on the gateway's demo site, in a fresh browser context."""
    page = new_page(viewport=viewport) if viewport else new_page()
    page.goto(f"{stack.gateway_url}/")
    return Widget(page)
