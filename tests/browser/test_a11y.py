"""The accessibility check finds faults, so an empty answer on our pages means something."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page

from tests.browser import a11y

FLAWED = """
<main style="background: #ffffff">
  <button type="button"><svg width="10" height="10"></svg></button>
  <input type="text">
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <p style="color: #aaaaaa">Pale grey on white</p>
  <p style="color: #aaaaaa; font-size: 30px">Large pale text</p>
  <p style="color: #767676">Grey just dark enough</p>
  <label for="ok">Name</label> <input id="ok" type="text">
  <button type="button">Send</button>
</main>
"""


def test_unnamed_controls_images_and_pale_text_are_reported(new_page: Callable[..., Page]) -> None:
    page = new_page()
    page.set_content(FLAWED)
    found = a11y.problems(page)
    assert [problem.split(":")[0] for problem in found] == [
        "button without an accessible name",
        "img without an accessible name",  # the icon in it: decorative ones need aria-hidden
        "textbox without an accessible name",
        "img without an accessible name",
        "contrast 2.32",  # body text needs 4.5:1
        "contrast 2.32",  # large text needs 3:1
    ]
    assert "Pale grey on white" in found[4] and "Large pale text" in found[5]
    # #767676 on white is 4.54:1: just over the bar, so not reported.


def test_tab_order_names_what_gets_the_focus(new_page: Callable[..., Page]) -> None:
    page = new_page()
    page.set_content(FLAWED)
    assert a11y.tab_order(page, 3) == ['button ""', 'input ""', 'input "Name"']
