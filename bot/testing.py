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

import requests
import yaml

from bot import evaluation
from bot.content import Content, Located, did_you_mean, relative
from bot.conversation_play import Outcome, run
from bot.conversation_tests import ConversationTest, ConversationTestError, load_all
from bot.demo import DEMO_CUSTOMERS, load_customers
from bot.evaluation import HELDOUT, MIN_F1, summarise
from bot.faq import conversation_tests as faq_tests
from bot.process import QUIET_ENV
from bot.report import Results, StoryFailure, story_failures, takeovers, write_report
from bot.scenario_play import Played, StackSilent, play_all
from bot.scenario_report import TRANSCRIPTS
from bot.scenario_report import summary as scenario_summary
from bot.scenario_report import transcripts as scenario_transcripts
from bot.scenarios import ScenarioError
from bot.scenarios import load_all as scenarios_in
from bot.stack import Stack
from bot.training import train_if_needed
from bot.warm import attach, test_settings
from core.redaction import mask_card_numbers
from core.settings import Settings

STORIES = Path("tests/stories")
CONVERSATIONS = Path("tests/conversations")
SCENARIOS = Path("tests/scenarios")
OUT = Path("results/test-bot")
REPORT = Path("reports/test-bot.md")
# Where a run of a few story tests keeps its copies of their files and Rasa's results.
ONLY = OUT / "only"
# Story tests on the warm stack's loaded model: seconds for a few, a minute for all of them.
WARM_STORIES_TIMEOUT = 300.0


class RasaTestError(RuntimeError):
    """`rasa test` could not run; its log says why."""


def run_rasa_tests(
    settings: Settings, model: Path, stories: Path = STORIES, into: Path = OUT, heldout: bool = True
) -> Path:
    """Rasa's story tests and held-out NLU test, each on its own; the folder of their results.

    The story tests check the dialogue (``rasa test core``: each step's annotated intent);
    how well the model reads customers' wording is the held-out test's job.
    """
    out = settings.root / into
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = out / "rasa-test.log"
    runs = [["core", "--stories", str(stories)]]
    if heldout:
        runs.append(["nlu", "--nlu", str(HELDOUT)])
    with log.open("w", encoding="utf-8") as output:
        for what in runs:
            command = [sys.executable, "-m", "rasa", "test", *what, "--model", str(model)]
            result = subprocess.run(
                [*command, "--out", str(into)],
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
def test_stack(settings: Settings, model: Path) -> Iterator[Stack]:
    """The warm stack of `python -m bot warm` if it runs; else one for this run only.

    That one has free ports, its own Redis, database and logs in var/test-bot/.
    """
    warm = attach(settings, model)
    if warm is not None:
        print("Using the warm stack of `python -m bot warm`.", flush=True)
        yield warm
        return
    var = settings.root / "var" / "test-bot"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    print("Starting a private stack (`python -m bot warm` keeps one between runs)...", flush=True)
    with Stack(test_settings(settings, var), model, var_dir=var) as stack:
        yield stack


def run_through_stack(settings: Settings, model: Path) -> tuple[list[Outcome], list[Played]]:
    """Play every conversation test, then every scenario, through one private stack."""
    tests = load_all(settings.root / CONVERSATIONS, settings.root) + faq_tests(settings.root)
    customers = {row["id"] for row in load_customers(DEMO_CUSTOMERS)}
    scenarios = scenarios_in(settings.root / SCENARIOS, settings.root, customers)
    print(f"{len(tests)} conversation tests and {len(scenarios)} scenarios.", flush=True)
    with test_stack(settings, model) as stack:
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


def main(settings: Settings, only: list[str] | None = None) -> int:
    """Run everything, write the report, print a summary; 1 if any test failed.

    With ``only`` (files or names of tests), run just those and print their results.
    """
    model = train_if_needed(settings)
    if only:
        return run_only(settings, model, only)
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
    for taken in takeovers(out):
        print(f"Understanding: {mask_card_numbers(taken)[0]}")
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


# --- a few tests by name, for the editor's loop ------------------------------------------------


def run_only(settings: Settings, model: Path, names: list[str]) -> int:
    """Run the tests ``names`` picks: files of tests/conversations/, tests/stories/ or
    data/faq/, or the names of conversation tests and story tests. 1 if any failed, 2 if a
    name picks nothing."""
    root = settings.root
    chats = load_all(root / CONVERSATIONS, root) + faq_tests(root)
    stories = [title for title, _ in Content.read(root).test_stories]
    picked_chats: list[ConversationTest] = []
    picked_stories: list[Located] = []
    for name in names:
        file = _as_file(root, name)
        found_chats = [c for c in chats if name == c.name or file == c.file]
        found_stories = [s for s in stories if name == s.value or file == s.file]
        if not found_chats and not found_stories:
            known = [c.name for c in chats] + [s.value for s in stories]
            known += sorted({c.file for c in chats} | {s.file for s in stories})
            print(
                f"error: no test file or test is named “{name}” — "
                f"{did_you_mean(name, known)}give a file of tests/conversations/, tests/stories/ "
                "or data/faq/, or a test's name in quotes",
                file=sys.stderr,
            )
            return 2
        picked_chats += [c for c in found_chats if c not in picked_chats]
        picked_stories += [s for s in found_stories if s not in picked_stories]
    failures: list[str] = []
    if picked_stories:
        print(f"Running {len(picked_stories)} story tests...", flush=True)
        try:
            failures += [str(f) for f in run_some_stories(settings, model, picked_stories)]
        except RasaTestError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if picked_chats:
        with test_stack(settings, model) as stack:
            for test in picked_chats:
                outcome = run(test, stack)
                print(f"  {'FAILED' if outcome.failure else 'passed'}  {test.name}", flush=True)
                failures += [outcome.failure] if outcome.failure else []
    for failure in failures:
        print(f"FAILED {mask_card_numbers(failure)[0]}")
    total = len(picked_chats) + len(picked_stories)
    print(f"{total - len(failures)} of {total} tests passed.")
    return 1 if failures else 0


def _as_file(root: Path, name: str) -> str:
    """``name`` as a path from the project root, when it names a file in the project."""
    path = Path(name).resolve()
    return relative(root, path) if path.is_file() and path.is_relative_to(root) else ""


def run_some_stories(settings: Settings, model: Path, chosen: list[Located]) -> list[StoryFailure]:
    """Rasa's story tests of ``chosen`` stories only, failures at their own files' lines.

    Each file is copied with every other story blanked out, line for line, so the
    copy's line numbers are the original's. The warm stack's Rasa runs them on
    the model it has loaded; without one, `rasa test core` loads it first.
    """
    root, copies = settings.root, settings.root / ONLY / "stories"
    shutil.rmtree(root / ONLY, ignore_errors=True)
    texts = {
        (copies / file).relative_to(root).as_posix(): only_stories(
            (root / file).read_text(encoding="utf-8"), {s.line for s in chosen if s.file == file}
        )
        for file in sorted({s.file for s in chosen})
    }
    warm = attach(settings, model)
    if warm is not None:
        print("The warm stack's Rasa runs them (`python -m bot warm`).", flush=True)
        out = stories_on_warm_stack(warm, texts, root / ONLY / "out")
    else:
        for name, text in texts.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        out = run_rasa_tests(settings, model, copies.relative_to(root), ONLY / "out", heldout=False)
    prefix = f"{copies.relative_to(root).as_posix()}/"
    failed = story_failures(root, out)
    return [dataclasses.replace(f, file=f.file.removeprefix(prefix)) for f in failed]


def stories_on_warm_stack(stack: Stack, stories: dict[str, str], out: Path) -> Path:
    """Rasa's story tests of ``stories`` (name: YAML) run by the warm stack's Rasa
    (bot/channel.py, ``StoryTestsInput``); what `rasa test core` writes, in ``out``."""
    try:
        answer = requests.post(
            f"{stack.rasa_url}/webhooks/story_tests/run",
            params={"token": stack.settings.rasa_token},
            json={"stories": stories},
            timeout=WARM_STORIES_TIMEOUT,
        )
    except requests.RequestException as error:
        raise RasaTestError(f"the warm stack's Rasa did not answer ({error})") from error
    if answer.status_code != 200:
        raise RasaTestError(
            f"the warm stack's Rasa could not run the story tests ({answer.status_code}: "
            f"{answer.text[:200]}); var/warm/logs/ says why"
        )
    out.mkdir(parents=True, exist_ok=True)
    for name, text in answer.json().items():
        (out / Path(name).name).write_text(text, encoding="utf-8")
    return out


def only_stories(text: str, keep: set[int]) -> str:
    """A story test file with every story but those titled on the lines ``keep`` blanked.

    Blank lines, not removed ones: the copy's line numbers are the original's.
    """
    lines = text.splitlines()
    node = yaml.compose(text, Loader=yaml.CSafeLoader)
    listed = next((v for k, v in node.value if k.value == "stories"), None) if node else None
    stories = listed.value if listed is not None else []
    ends = [s.start_mark.line for s in stories[1:]] + [len(lines)]
    for story, end in zip(stories, ends, strict=True):
        title = next((v for k, v in story.value if k.value == "story"), None)
        if title is None or title.start_mark.line + 1 not in keep:
            for number in range(story.start_mark.line, end):
                lines[number] = ""
    return "\n".join(lines) + "\n"
