"""The scenarios' figures: how many tasks the bot got done, in how many turns, how often a person.

A measurement, not a test: tests/scenarios/README.md says how to read it. Turns
per completed task: the customer's turns up to a task's completion since the
previous completion in the same scenario, shared by the tasks done in the same
turn; turns spent on a task never done count for none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from bot.scenario_play import Played
from bot.scenarios import TASK_KINDS

TRANSCRIPTS = "results/test-bot/scenarios.md"


@dataclasses.dataclass(frozen=True)
class Tally:
    """Tasks asked for and done, and the turns each done one took."""

    asked: int = 0
    turns: tuple[float, ...] = ()

    @property
    def completed(self) -> int:
        return len(self.turns)

    def rate(self) -> str:
        return f"{self.completed} of {self.asked} ({percent(self.completed, self.asked)})"

    def mean_turns(self) -> str:
        return f"{sum(self.turns) / len(self.turns):.1f}" if self.turns else "–"


def turns_per_task(played: Played) -> list[tuple[str, float]]:
    """Each completed task's kind and turns, in the order they were done."""
    done = sorted(
        (turn, task.kind)
        for turn, task in zip(played.completed_at, played.scenario.tasks, strict=True)
        if turn is not None
    )
    shares, previous = [], 0
    for turn in sorted({turn for turn, _ in done}):
        kinds = [kind for at, kind in done if at == turn]
        shares += [(kind, (turn - previous) / len(kinds)) for kind in kinds]
        previous = turn
    return shares


def tallies(results: Iterable[Played]) -> dict[str, Tally]:
    """A tally per task kind, and one of all under "all"."""
    asked: dict[str, int] = {}
    turns: dict[str, list[float]] = {}
    for played in results:
        for task in played.scenario.tasks:
            for key in (task.kind, "all"):
                asked[key] = asked.get(key, 0) + 1
        for kind, taken in turns_per_task(played):
            for key in (kind, "all"):
                turns.setdefault(key, []).append(taken)
    return {key: Tally(asked[key], tuple(turns.get(key, ()))) for key in asked}


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def summary(results: Sequence[Played]) -> str:
    """The figures in a few lines, for the terminal."""
    counts = tallies(results)
    everything = counts.get("all", Tally())
    kinds = ", ".join(
        f"{kind} {counts[kind].completed}/{counts[kind].asked}"
        for kind in TASK_KINDS
        if kind in counts
    )
    handed = sum(1 for played in results if played.handed_off)
    return (
        f"Scenarios: {len(results)} played; tasks completed {everything.rate()} ({kinds}); "
        f"{everything.mean_turns()} turns per completed task; a person took "
        f"{handed} of {len(results)} chats ({percent(handed, len(results))})."
    )


def section(results: Sequence[Played]) -> list[str]:
    """The report's section: the figures per task kind, then each scenario."""
    counts = tallies(results)
    kinds = [kind for kind in (*TASK_KINDS, "all") if kind in counts]
    figures = ["| task | completed | turns per completed task |", "|---|---|---|"] + [
        f"| {kind} | {counts[kind].rate()} | {counts[kind].mean_turns()} |" for kind in kinds
    ]
    rows = ["| scenario | done | turns per done task | ended | the bot's last words |"]
    rows.append("|---|---|---|---|---|")
    for played in results:
        scenario = played.scenario
        taken = [f"{turns:g}" for _, turns in turns_per_task(played)]
        rows.append(
            f"| {cell(scenario.name)} ({scenario.where}) "
            f"| {played.completed}/{len(scenario.tasks)} | {', '.join(taken) or '–'} "
            f"| {played.ended} | {cell(played.last_words)} |"
        )
    return [
        "## Scenarios (tests/scenarios/)",
        "A measurement, not a test: it never fails `make test-bot`. Customers with tasks, "
        "played through the whole stack; a task counts as done when the account backend or "
        "the gateway shows it. tests/scenarios/README.md explains the figures; "
        f"{TRANSCRIPTS} has every chat.",
        summary(results),
        "\n".join(figures),
        "\n".join(rows),
    ]


def cell(text: str) -> str:
    """Text that stays inside one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def transcripts(results: Sequence[Played]) -> str:
    """Every chat as it went, for finding out why a task was not done."""
    parts = ["# Scenario transcripts"]
    for played in results:
        lines = [f"- **{who}**: {' '.join(text.split())}" for who, text in played.transcript]
        parts += [
            f"## {played.scenario.name} ({played.scenario.where})",
            "\n".join(lines),
            f"{played.completed}/{len(played.scenario.tasks)} tasks done; {played.ended}.",
        ]
    return "\n\n".join(parts) + "\n"
