"""The shared words: every task, step and intent of the bot's domain has words for agents."""

from __future__ import annotations

import yaml

from core import vocabulary
from core.settings import ROOT


def test_the_bots_tasks_steps_and_intents_have_words_for_agents() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    steps = {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    # Every task and step the bot can be interrupted at reads as plain words in the console.
    assert set(domain["forms"]) <= set(vocabulary.TASKS)
    assert steps <= set(vocabulary.TASK_STEPS)
    typed = {intent for intent in domain["intents"] if not intent.startswith("EXTERNAL_")}
    assert typed <= set(vocabulary.INTENTS)
