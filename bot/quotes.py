"""What conversation tests quote the bot saying, against what its responses say now.

A `bot:` turn passes when the bot's message contains its text, so rewording a
response breaks every test that quotes it, and test-bot finds out minutes later.
`make check` finds such a turn in seconds (``stale_quotes``): it names the turn and
the response now closest to it, with both places. `python -m bot update-quotes`
shows each stale turn beside the text it would quote instead and rewrites the
turn only when the editor answers yes.

A response's `{placeholders}` stand for any text, so "Your balance is $120.50"
quotes "Your balance is {balance}, due on {due_date}." as long as most of the
turn is the response's own words.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

from bot.content import Content, Located, Problem
from bot.conversation_tests import ConversationTest, ConversationTestError, load
from bot.differences import first_difference, normal

CONVERSATIONS = Path("tests/conversations")
_PLACEHOLDER = re.compile(r"\{\w+\}")
# Below this share of a turn's characters matching a response's own words (not what its
# placeholders stand for), the turn does not quote it; this many characters always suffice,
# so a long value ("45 Maple Ave Apt 3, Shelbyville, IL 62566") does not hide the quote.
MIN_LITERAL_SHARE = 0.5
MIN_LITERAL_CHARS = 16
UPDATE = "python -m bot update-quotes"


@dataclasses.dataclass(frozen=True)
class Said:
    """One text a response can say, and where it is written."""

    response: str
    place: Located
    text: str


@dataclasses.dataclass(frozen=True)
class Stale:
    """A `bot:` turn no response says, the response now closest, and what to quote instead."""

    turn: Located
    closest: Said | None
    replacement: str | None  # the closest response's words in place of the turn's; None: unsure

    def problem(self) -> Problem:
        what = f"the test expects the bot to say “{self.turn.value}”, which no response says"
        if self.closest is not None:
            near = self.closest
            what += (
                f"; the closest is '{near.response}' ({near.place.file}:{near.place.line}): "
                f"“{near.text}”"
            )
            difference = first_difference(self.turn.value, near.text)
            if difference:
                what += f" ({difference})"
        fix = (
            f"if you reworded that response, `{UPDATE}` updates the test (it asks first); "
            "otherwise correct the turn"
            if self.replacement
            else "correct the turn to quote what the bot says now"
        )
        return Problem(self.turn.file, self.turn.line, what, fix)


def said(content: Content) -> list[Said]:
    """Every text variant of every response."""
    found = []
    for name, variants in content.responses.items():
        for variant in variants.value if isinstance(variants, yaml.SequenceNode) else []:
            for key, value in variant.value if isinstance(variant, yaml.MappingNode) else []:
                if key.value == "text" and isinstance(value, yaml.ScalarNode):
                    found.append(Said(name, content.response_places[name], value.value))
    return found


def quotes(expected: str, template: str) -> bool:
    """Whether some message ``template`` renders contains ``expected`` (case and spaces aside)."""
    return _quotes(normal(expected), normal(template))


@functools.lru_cache(maxsize=4096)
def _quotes(want: str, template: str) -> bool:
    parts = _PLACEHOLDER.split(template)
    if any(want in part for part in parts):
        return True
    needed = min(MIN_LITERAL_SHARE * len(want), MIN_LITERAL_CHARS)
    for first in range(len(parts)):
        for last in range(first + 1, len(parts)):
            inner = parts[first + 1 : last]
            # Cheap tests first: the middle parts must all be in ``want``, and the most
            # literal text a match could hold must reach the share asked.
            most = len(parts[first]) + len(parts[last]) + sum(len(part) for part in inner)
            if min(most, len(want)) < needed or not all(part in want for part in inner):
                continue
            middle = [re.escape(part) for part in inner]
            pattern = (
                f"^(?P<tail>{_ends(parts[first], tail=True)})(?:.+?)"
                + "".join(f"{part}(?:.+?)" for part in middle)
                + f"(?P<head>{_ends(parts[last], tail=False)})$"
            )
            found = re.match(pattern, want, re.DOTALL)
            if found:
                literal = len(found["tail"]) + len(found["head"])
                literal += sum(len(part) for part in inner)
                if literal >= needed:
                    return True
    return False


def _ends(text: str, tail: bool) -> str:
    """A regex of every end (or start) of ``text``, longest first, the empty one last."""
    pieces = [text[i:] if tail else text[: len(text) - i] for i in range(len(text) + 1)]
    return "|".join(re.escape(piece) for piece in pieces)


def stale_quotes(content: Content) -> list[Stale]:
    """The `bot:` turns of tests/conversations/ that no response says now."""
    texts = said(content)
    found = []
    for test in _readable_tests(content.root):
        for step in test.steps:
            if step.kind != "bot" or any(quotes(step.text, s.text) for s in texts):
                continue
            turn = Located(step.text, test.file, step.line)
            closest = max(texts, key=lambda s: _likeness(step.text, s.text), default=None)
            if closest is not None and _likeness(step.text, closest.text) < MIN_LITERAL_SHARE:
                closest = None
            replacement = _replacement(step.text, closest.text) if closest else None
            found.append(Stale(turn, closest, replacement))
    return found


def _readable_tests(root: Path) -> list[ConversationTest]:
    """The conversation tests of every file that reads (check reports the others)."""
    tests = []
    for path in sorted((root / CONVERSATIONS).glob("*.yml")):
        try:
            tests += load(path, root)
        except ConversationTestError:
            continue
    return tests


def _likeness(expected: str, text: str) -> float:
    """How alike ``expected`` is to the part of ``text`` it lines up with (0 to 1)."""
    window = _window(expected, text)
    if window is None:
        return 0.0
    return difflib.SequenceMatcher(None, normal(expected), window.lower()).ratio()


def _window(expected: str, text: str) -> str | None:
    """The words of ``text`` that line up with ``expected``, spaces made single."""
    want, have = normal(expected), " ".join(text.split())
    blocks = [
        b
        for b in difflib.SequenceMatcher(None, want, have.lower()).get_matching_blocks()
        if b.size >= 3
    ]
    if not blocks:
        return None
    start = max(0, blocks[0].b - blocks[0].a)
    end = min(len(have), blocks[-1].b + len(want) - blocks[-1].a)
    while start > 0 and have[start - 1] != " ":
        start -= 1
    while end < len(have) and have[end] != " ":
        end += 1
    return have[start:end].strip() or None


def _replacement(expected: str, text: str) -> str | None:
    """What the turn should quote now: the words of ``text`` standing where ``expected`` stood.

    None when they would include a placeholder, whose value only the bot knows.
    """
    window = _window(expected, text)
    return None if window is None or _PLACEHOLDER.search(window) else window


def quotes_current(content: Content) -> Iterator[Problem]:
    """`check`'s rule: every `bot:` turn quotes what a response says."""
    for stale in stale_quotes(content):
        yield stale.problem()


# --- `python -m bot update-quotes` -----------------------------------------------------------


def update(root: Path, ask: Callable[[str], str] = input) -> int:
    """Offer each stale turn's new text; rewrite the turns the editor says yes to.

    0 when no stale turn is left, 1 otherwise. End of input counts as no to the rest.
    """
    stale = stale_quotes(Content.read(root))
    left = 0
    for item in stale:
        print(f"{item.turn.file}:{item.turn.line}: “{item.turn.value}”")
        if item.replacement is None or item.closest is None:
            print("  No response says anything like it now: correct it by hand.")
            left += 1
            continue
        near = item.closest
        where = f"{near.response}, {near.place.file}:{near.place.line}"
        print(f"  now:  “{item.replacement}” ({where})")
        try:
            answer = ask("  Update this turn? [y/N] ")
        except EOFError:
            print()
            answer = ""
        if answer.strip().lower() in ("y", "yes") and _rewrite(root, item.turn, item.replacement):
            print("  Updated.")
        else:
            left += 1
    print(f"{len(stale) - left} of {len(stale)} stale turns updated.")
    return 1 if left else 0


def _rewrite(root: Path, turn: Located, text: str) -> bool:
    """Put ``text`` after `bot:` on the turn's line; False for a turn written over several lines."""
    path = root / turn.file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    line = lines[turn.line - 1]
    head, found, rest = line.partition("bot:")
    if not found or rest.strip() in ("|", ">", ""):
        print("  This turn spans several lines: change it by hand.")
        return False
    scalar = yaml.safe_dump(text, allow_unicode=True, width=1_000_000).removesuffix("\n...\n")
    lines[turn.line - 1] = f"{head}bot: {scalar.strip()}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return True
