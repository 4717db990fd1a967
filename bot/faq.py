"""FAQs: questions that always get the same answer, one file each in data/faq/.

A file holds one question's examples (`- intent: faq/<name>`) and its answer
(`utter_faq/<name>`), as Rasa reads retrieval intents; one rule
(data/rules/faq.yml) answers them all, the ResponseSelector of config.yml telling
them apart. ``conversation_tests`` makes a conversation test of each, which
test-bot plays with the others: the customer asks the question the first way the
file writes it, and the bot must give the answer, word for word.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.content import RETRIEVAL_SEPARATOR, Content, line_of
from bot.conversation_tests import ConversationTest, Step

FOLDER = Path("data/faq")


def conversation_tests(root: Path) -> list[ConversationTest]:
    """One test per FAQ question that has examples and one answer (`check` asks for both)."""
    content = Content.read(root)
    tests = []
    for name, where in sorted(content.intent_blocks.items()):
        if RETRIEVAL_SEPARATOR not in name or not content.examples.get(name):
            continue
        variants = content.responses.get(f"utter_{name}")
        texts = [
            (line_of(value), value.value)
            for variant in (variants.value if isinstance(variants, yaml.SequenceNode) else [])
            for key, value in (variant.value if isinstance(variant, yaml.MappingNode) else [])
            if key.value == "text"
        ]
        if len(texts) != 1:
            continue
        ((answer_line, answer),) = texts
        asked = content.examples[name][0]
        steps = [
            Step(1, asked.line, "customer", text=asked.value),
            Step(2, answer_line, "bot", text=answer),
        ]
        tests.append(ConversationTest(f"FAQ {name}", where.file, where.line, steps))
    return tests
