"""`python -m bot suggest`: learn from the humans — what customers said just before the bot
fell back or handed them over to a person, grouped by similarity, with counts.

It reads the conversations the gateway archived in SQL (handoff/records/archive.py) when
agents closed them, and writes a draft (reports/suggestions.yml) an editor reviews
and copies from into data/. It never edits data/ itself. A message counts as said
"before a fallback" when the bot's next message is one of the fallback responses
of domain.yml (`FALLBACK_RESPONSES`), and "before a handoff" when the next thing
in the conversation is the chat going to the queue or to an agent.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from core.redaction import mask_card_numbers
from core.settings import Settings

FALLBACK_RESPONSES = ("utter_default",)
# The transcript's status lines that mean the chat left the bot for a person.
HANDOFF_STATUSES = ("queued", "assigned", "offline")
BACK_TO_BOT = ("returned_to_bot", "closed")
DRAFT = Path("reports/suggestions.yml")
# Two messages are alike when they share this share of their words (Jaccard).
ALIKE = 0.4
_TOKEN = re.compile(r"[a-z0-9']+")
_STOPWORDS = frozenset(
    (
        "a",
        "an",
        "the",
        "i",
        "i'm",
        "im",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "it",
        "it's",
        "its",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "to",
        "of",
        "for",
        "on",
        "in",
        "at",
        "by",
        "with",
        "from",
        "and",
        "or",
        "but",
        "so",
        "this",
        "that",
        "these",
        "those",
        "what",
        "why",
        "how",
        "when",
        "can",
        "could",
        "would",
        "will",
        "please",
        "just",
        "again",
        "there",
        "here",
        "hi",
        "hello",
        "hey",
    )
)


@dataclasses.dataclass(frozen=True)
class Said:
    """A customer's message just before the bot fell back or handed the chat over."""

    text: str
    before: str  # "fallback" or "handoff (<reason>)"


@dataclasses.dataclass
class Group:
    """Similar messages, how often each was said, and what followed them."""

    texts: Counter[str] = dataclasses.field(default_factory=Counter)
    before: Counter[str] = dataclasses.field(default_factory=Counter)
    words: list[set[str]] = dataclasses.field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(self.texts.values())

    def add(self, said: Said) -> None:
        self.texts[said.text] += 1
        self.before[said.before] += 1
        self.words.append(words(said.text))


def fallback_texts(domain: Path) -> set[str]:
    """What the bot says when it did not understand, from domain.yml."""
    responses = (yaml.safe_load(domain.read_text(encoding="utf-8")) or {}).get("responses", {})
    return {
        variant["text"]
        for name in FALLBACK_RESPONSES
        for variant in responses.get(name, [])
        if isinstance(variant, dict) and variant.get("text")
    }


def archived_moments(database_url: str, fallbacks: set[str]) -> tuple[int, list[Said]]:
    """The number of archived conversations, and what was said before a fallback or handoff."""
    from core.sql import engine_for
    from handoff.records.archive import archived_conversations, archived_messages

    engine = engine_for(database_url)
    c, m = archived_conversations.c, archived_messages.c
    try:
        if not inspect(engine).has_table(archived_conversations.name):
            return 0, []  # no gateway has archived anything in this database yet
        with engine.connect() as conn:
            reasons = dict(conn.execute(select(c.id, c.reason)).all())
            rows = conn.execute(
                select(m.conversation_id, m.kind, m.text, m.data).order_by(m.conversation_id, m.seq)
            ).all()
    finally:
        engine.dispose()
    found: list[Said] = []
    for conversation_id, lines in groupby(rows, key=lambda row: row.conversation_id):
        found += moments(lines, fallbacks, reasons.get(conversation_id))
    return len(reasons), found


def moments(lines: Iterable[Any], fallbacks: set[str], reason: str | None) -> list[Said]:
    """In one transcript (kind, text, data), the messages said before a fallback or handoff."""
    found: list[Said] = []
    last: str | None = None
    with_person = False
    for line in lines:
        status = json.loads(line.data or "{}").get("status") if line.kind == "system" else None
        if line.kind == "customer":
            last = None if with_person else line.text
        elif line.kind == "bot" and line.text in fallbacks and last:
            found.append(Said(last, "fallback"))
            last = None
        elif status in HANDOFF_STATUSES and not with_person:
            if last:
                found.append(Said(last, f"handoff ({reason or 'unknown reason'})"))
            last, with_person = None, True
        elif status in BACK_TO_BOT:
            with_person = False
    return found


def words(text: str) -> set[str]:
    """The words that carry meaning, lower case, with plural and -ing/-ed endings cut."""
    found = set()
    for token in _TOKEN.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        for ending in ("ing", "ed", "s"):
            if token.endswith(ending) and len(token) - len(ending) >= 3:
                token = token[: -len(ending)]
                break
        found.add(token)
    return found


def alike(a: set[str], b: set[str]) -> bool:
    return bool(a and b) and len(a & b) / len(a | b) >= ALIKE


def group(said: Iterable[Said]) -> list[Group]:
    """Messages joined with every group holding one alike (single linkage), largest first."""
    groups: list[Group] = []
    for item in said:
        mine = words(item.text)
        matching = [g for g in groups if any(alike(mine, other) for other in g.words)]
        target = matching[0] if matching else Group()
        for other in matching[1:]:  # the message bridges groups: merge them
            target.texts.update(other.texts)
            target.before.update(other.before)
            target.words.extend(other.words)
            groups.remove(other)
        if not matching:
            groups.append(target)
        target.add(item)
    return sorted(groups, key=lambda g: (-g.count, min(g.texts)))


def draft(groups: list[Group], conversations: int) -> str:
    """The draft YAML for an editor: each group with its count, what followed, its lines."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"# Drafted by `python -m bot suggest` on {now} from {conversations} archived "
        "conversations.",
        "# What customers said just before the bot fell back or handed them to a person,",
        "# grouped by similarity. Nothing here is training data: for each group, pick an",
        "# intent (or name a new one), then copy the examples you agree with into data/nlu/.",
        '# See docs/editing.md, "Learn from the humans".',
        "suggestions:",
    ]
    for g in groups:
        before = ", ".join(f"{what} x{n}" for what, n in g.before.most_common())
        out += [
            f"  - count: {g.count}",
            f"    before: {json.dumps(before)}",
            '    intent: ""  # choose one',
            "    examples: |",
            *(f"      - {' '.join(text.split())}" for text, _ in g.texts.most_common()),
        ]
    if not groups:
        out[-1] = "suggestions: []"
    text, _ = mask_card_numbers("\n".join(out) + "\n")
    return text


def table(groups: list[Group]) -> str:
    lines = [f"{'count':>5}  {'before':<40}  what customers said"]
    for g in groups:
        before = ", ".join(g.before)
        shown = "; ".join(f"{t} (x{n})" if n > 1 else t for t, n in g.texts.most_common(3))
        more = f" ... +{len(g.texts) - 3}" if len(g.texts) > 3 else ""
        lines.append(f"{g.count:>5}  {before:<40}  {shown}{more}")
    text, _ = mask_card_numbers("\n".join(lines))
    return text


def main(settings: Settings, out: Path | None = None) -> int:
    """Print the groups and write the draft; data/ is never touched."""
    target = out or settings.root / DRAFT
    fallbacks = fallback_texts(settings.root / "domain.yml")
    conversations, said = archived_moments(settings.database_url, fallbacks)
    groups = group(said)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(draft(groups, conversations), encoding="utf-8")
    if groups:
        print(table(groups))
    shown = target.relative_to(settings.root) if target.is_relative_to(settings.root) else target
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    if not conversations:
        print(
            f"No archived conversations in {where} (DATABASE_URL), so nothing to suggest. Chats "
            "are archived when an agent closes them in the console: let the bot and agents "
            "talk to customers for a while (`make run`), or set DATABASE_URL to the database "
            "your deployment uses, and run this again."
        )
    elif not said:
        print(
            f"{conversations} archived conversations in {where}, and in none of them did the "
            "bot fall back or hand over to a person: nothing to suggest."
        )
    else:
        print(
            f"{len(said)} messages before a fallback or handoff in {conversations} archived "
            f"conversations in {where}, in {len(groups)} groups. Draft for review: {shown}"
        )
    return 0
