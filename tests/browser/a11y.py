"""An accessibility check for our pages: names of controls, focus order and text contrast.

Names come from Chromium's own accessibility tree (Playwright's ARIA snapshot), so
they are what a screen reader announces. Contrast follows WCAG 2: 4.5:1 for body
text, 3:1 for large text (24 px, or 18.66 px bold).
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page

# Roles a screen-reader user operates or must be told about: each needs a name.
NAMED_ROLES = {
    "button",
    "link",
    "textbox",
    "searchbox",
    "checkbox",
    "radio",
    "combobox",
    "listbox",
    "slider",
    "spinbutton",
    "switch",
    "tab",
    "menuitem",
    "img",
    "dialog",
}
SNAPSHOT_LINE = re.compile(r'^\s*- (?P<role>[a-z]+)(?: "(?P<name>(?:[^"\\]|\\.)*)")?')

# Scripts run in the page: the contrast of every visible text, and what has the focus.
SCRIPTS = Path(__file__).parent


def unnamed(snapshot: str) -> list[str]:
    """The lines of an ARIA snapshot whose role needs a name and has none."""
    found = []
    for line in snapshot.splitlines():
        match = SNAPSHOT_LINE.match(line)
        if match and match["role"] in NAMED_ROLES and not (match["name"] or "").strip():
            found.append(f"{match['role']} without an accessible name: {line.strip()}")
    return found


def problems(page: Page) -> list[str]:
    """Every control without a name and every text below its contrast bar, on the visible page."""
    found = unnamed(page.locator("body").aria_snapshot())
    found += page.evaluate((SCRIPTS / "contrast.js").read_text())
    return found


def tab_order(page: Page, steps: int) -> list[str]:
    """What pressing Tab `steps` times focuses, one description per press."""
    order = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        order.append(page.evaluate((SCRIPTS / "focused.js").read_text()))
    return order
