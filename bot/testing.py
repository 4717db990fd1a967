"""`python -m bot test-bot` (`make test-bot`): every test of the content, and one report on them.

It fails on a failed story or conversation test, a held-out intent F1 below
``bot.evaluation.MIN_F1``, or the understanding bars of `python -m bot evaluate`
(bot/evaluation.py: the independent set, its robustness copies, gibberish).

In order: train if config.yml, domain.yml or data/ changed; run Rasa's story tests
(tests/stories/, `rasa test core`) and held-out NLU test (tests/nlu/heldout.yml);
start a private stack (gateway, Redis, Rasa, action server on free ports, its own
database and logs in var/test-bot/) and play the conversation tests of
tests/conversations/ through it, then the scenarios of tests/scenarios/ (a
measurement: how many of the customers' tasks the bot gets done; only a malformed
scenario or a silent stack fails); write reports/test-bot.md (bot/report.py);
then `python -m bot evaluate`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot import evaluation
from bot.conversation_tests import ConversationTestError, Outcome, load_all, run
from bot.demo import DEMO_CUSTOMERS, load_customers
from bot.evaluation import HELDOUT, MIN_F1, summarise
from bot.faq import conversation_tests as faq_tests
from bot.process import QUIET_ENV
from bot.report import Results, story_failures, write_report
from bot.scenario_play import Played, StackSilent, play_all
from bot.scenario_report import TRANSCRIPTS
from bot.scenario_report import summary as scenario_summary
from bot.scenario_report import transcripts as scenario_transcripts
from bot.scenarios import ScenarioError
from bot.scenarios import load_all as scenarios_in
from bot.stack import Stack, private_settings
from bot.training import train_if_needed
from core.redaction import mask_card_numbers
from core.settings import Settings

STORIES = Path("tests/stories")
CONVERSATIONS = Path("tests/conversations")
SCENARIOS = Path("tests/scenarios")
OUT = Path("results/test-bot")
REPORT = Path("reports/test-bot.md")


class RasaTestError(RuntimeError):
    """`rasa test` could not run; its log says why."""


def run_rasa_tests(settings: Settings, model: Path) -> Path:
    """Rasa's story tests and held-out NLU test, each on its own; the folder of their results.

    The story tests check the dialogue (``rasa test core``: each step's annotated intent);
    how well the model reads customers' wording is the held-out test's job.
    """
    out = settings.root / OUT
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = out / "rasa-test.log"
    runs = [
        ["core", "--stories", str(STORIES)],
        ["nlu", "--nlu", str(HELDOUT)],
    ]
    with log.open("w", encoding="utf-8") as output:
        for what in runs:
            command = [sys.executable, "-m", "rasa", "test", *what, "--model", str(model)]
            result = subprocess.run(
                [*command, "--out", str(OUT)],
                cwd=settings.root,
                env=settings.child_env({**QUIET_ENV, "LOG_LEVEL": "WARNING"}),
                stdout=output,
                stderr=subprocess.STDOUT,
                check=False,
            )
            if result.returncode != 0:
                raise RasaTestError(
                    f"rasa test {what[0]} failed (exit code {result.returncode}); "
                    f"{log.relative_to(settings.root)} says why"
                )
    if not (out / "story_report.json").exists():
        raise RasaTestError(f"rasa test wrote no story report; {log.relative_to(settings.root)}")
    return out


@contextmanager
def private_stack(settings: Settings, model: Path) -> Iterator[Stack]:
    """The whole stack on free ports with its own Redis, database and logs in var/test-bot/."""
    var = settings.root / "var" / "test-bot"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    private = dataclasses.replace(private_settings(settings, var), business_hours="always")
    with Stack(private, model, var_dir=var) as stack:
        yield stack


def run_through_stack(settings: Settings, model: Path) -> tuple[list[Outcome], list[Played]]:
    """Play every conversation test, then every scenario, through one private stack."""
    tests = load_all(settings.root / CONVERSATIONS, settings.root) + faq_tests(settings.root)
    customers = {row["id"] for row in load_customers(DEMO_CUSTOMERS)}
    scenarios = scenarios_in(settings.root / SCENARIOS, settings.root, customers)
    print(
        f"Starting a private stack for {len(tests)} conversation tests and "
        f"{len(scenarios)} scenarios...",
        flush=True,
    )
    with private_stack(settings, model) as stack:
        outcomes = []
        for test in tests:
            outcome = run(test, stack)
            print(f"  {'FAILED' if outcome.failure else 'passed'}  {test.name}", flush=True)
            outcomes.append(outcome)
        print("Playing the scenarios (a measurement: they fail no test)...", flush=True)
        started = time.monotonic()
        played = play_all(scenarios, stack)
        print(f"Played {len(played)} scenarios in {time.monotonic() - started:.0f} s.")
    return outcomes, played


def main(settings: Settings) -> int:
    """Run everything, write the report, print a summary; 1 if any test failed."""
    model = train_if_needed(settings)
    print("Running the story tests and the held-out NLU test...", flush=True)
    try:
        out = run_rasa_tests(settings, model)
        outcomes, played = run_through_stack(settings, model)
    except (RasaTestError, ConversationTestError, ScenarioError, StackSilent) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    results = Results(settings.root, out, story_failures(settings.root, out), outcomes, played)
    write_report(results, settings.root / REPORT)
    for failure in results.failures():
        print(f"FAILED {mask_card_numbers(failure)[0]}")
    print(results.summary())
    print(scenario_summary(played))
    transcripts, _ = mask_card_numbers(scenario_transcripts(played))
    (settings.root / TRANSCRIPTS).write_text(transcripts, encoding="utf-8")
    report = json.loads((out / "intent_report.json").read_text(encoding="utf-8"))
    _, weighted = summarise(report)
    print(f"Held-out intent F1 {weighted:.3f} (required: {MIN_F1}).")
    print(f"Report: {REPORT}")
    print("Evaluating understanding on the held-out and independent sets...", flush=True)
    understood = evaluation.main(settings.root) == 0
    return 1 if results.failures() or weighted < MIN_F1 or not understood else 0
