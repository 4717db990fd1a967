"""`python -m bot evaluate` (`make test-nlu`): how well the model reads lines it never trained on.

Three sets, all read by the trained model in one process (one model load):

- ``tests/nlu/heldout.yml``: the team's own held-out lines (also our validation set);
- ``tests/nlu/independent.yml``: written by someone who never read data/, from the
  intent descriptions only. The bars apply to it. Its lines are never printed: this
  module reports per-intent and per-set figures only, never a line;
- robustness: every independent line changed by code the way customers type
  (a typo, case, no punctuation, a filler word), written to results/nlu/ at run time.

Plus a few gibberish and very long inputs, which must fall back.

Scoring: a line is right when the predicted intent is its intent; for an
``out_of_scope`` line ``nlu_fallback`` is right too (neither starts anything; both
answer with what the bot can do).
Macro accuracy is the mean of the per-intent accuracies. The false-task rate is
the share of ``out_of_scope`` lines predicted as one of ``TASKS``: intents that
start a task (a form, a verification, or a handoff to a person).
The check fails when the independent set's macro accuracy is below
``MIN_MACRO_ACCURACY``, its false-task rate above ``MAX_FALSE_TASKS``, or a
gibberish input gets an intent. docs/understanding.md explains the figures.
"""

from __future__ import annotations

import json
import os
import random
import re
import string
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.process import QUIET_ENV
from bot.training import model_path
from core.settings import Settings

MIN_F1 = 0.90  # the held-out weighted F1 bar of `python -m bot test-bot`
MIN_MACRO_ACCURACY = 0.90
MAX_FALSE_TASKS = 0.05
HELDOUT = Path("tests/nlu/heldout.yml")
INDEPENDENT = Path("tests/nlu/independent.yml")
OUT = Path("results/nlu")
FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# Intents that start something: a form, identity checks, or a person's time.
TASKS = frozenset(
    {
        "reset_password",
        "change_address",
        "pay_bill",
        "check_balance",
        "request_human",
        "billing_dispute",
        "report_fraud",
        "lost_email_access",
    }
)
# Short replies where a greeting or "pls" filler would change what the line means.
_REPLIES = frozenset({"greet", "goodbye", "affirm", "deny", "thank"})
_AVERAGES = {"micro avg", "macro avg", "weighted avg", "accuracy"}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Line:
    """One utterance and the intent it should be read as."""

    text: str
    intent: str


def read_lines(path: Path) -> list[Line]:
    """The examples of an NLU YAML file, entity annotations removed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    lines = []
    for item in data.get("nlu") or []:
        if not isinstance(item, dict) or "intent" not in item:
            continue
        for raw in str(item.get("examples") or "").splitlines():
            text = raw.strip()
            if text.startswith("- "):
                text = _ANNOTATION.sub(r"\1", text[2:]).strip()
                if text:
                    lines.append(Line(text, str(item["intent"])))
    return lines


# --- robustness: the same lines, typed the way customers type -------------------------------

_NEIGHBOURS = {
    row[i]: row[i - 1 : i] + row[i + 1 : i + 2]
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i in range(len(row))
}
_PREFIXES = ("um ", "uh ", "so ", "ok so ", "hi, ", "hey, ")
_SUFFIXES = (" pls", " please", " thx")
_NEUTRAL_PREFIXES = ("um ", "uh ", "so ")


def _rng(text: str, kind: str) -> random.Random:
    """A generator seeded by the line and the change: the same set on every run."""
    return random.Random(zlib.crc32(f"{kind}\0{text}".encode()))


def typo(text: str, rng: random.Random) -> str:
    """One slip in one word of four letters or more: swap, drop, double or a neighbour key."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    elif kind == "drop":
        word = word[:at] + word[at + 1 :]
    elif kind == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        keys = _NEIGHBOURS.get(word[at].lower(), word[at])
        word = word[:at] + rng.choice(keys) + word[at + 1 :]
    words[i] = word
    return " ".join(words)


def change_case(text: str, rng: random.Random) -> str:
    """All lower case, or all capitals when the line is lower case already."""
    return text.upper() if text == text.lower() else text.lower()


def strip_punctuation(text: str, rng: random.Random) -> str:
    """No punctuation at all, apostrophes included ("dont", "im")."""
    kept = "".join(" " if c in string.punctuation and c not in "'@.-$" else c for c in text)
    kept = kept.replace("'", "")
    # Full stops and dashes only go where they do not hold an email or an amount together.
    kept = re.sub(r"(?<!\w)[.-]|[.-](?!\w)", " ", kept)
    return " ".join(kept.split()) or text


def add_filler(text: str, intent: str, rng: random.Random) -> str:
    """A filler word before the line, or "pls" after it; short replies get only "um"-like ones."""
    if intent in _REPLIES:
        return rng.choice(_NEUTRAL_PREFIXES) + text
    if rng.random() < 0.6:
        return rng.choice(_PREFIXES) + text
    return text.rstrip(".!?") + rng.choice(_SUFFIXES)


def variants(line: Line) -> list[Line]:
    """Four changed copies of a line: typo, case, punctuation, filler (duplicates dropped)."""
    changed = [
        typo(line.text, _rng(line.text, "typo")),
        change_case(line.text, _rng(line.text, "case")),
        strip_punctuation(line.text, _rng(line.text, "punctuation")),
        add_filler(line.text, line.intent, _rng(line.text, "filler")),
    ]
    seen = {line.text}
    out = []
    for text in changed:
        if text not in seen:
            seen.add(text)
            out.append(Line(text, line.intent))
    return out


def robustness_set(lines: Iterable[Line]) -> list[Line]:
    """The changed copies of every line, in a stable order."""
    return [variant for line in lines for variant in variants(line)]


def gibberish() -> list[Line]:
    """Inputs no intent should claim: keyboard mash, one letter repeated, very long text."""
    rng = random.Random(13)
    mash = " ".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
        for _ in range(400)
    )
    texts = [
        "x" * 5000,
        "zzqx vrrk plonk",
        "asdfghjkl",
        "qwertyuiop asdf",
        "jjjjjjjjjjjjjjjjjjjjjjjj",
        "blorp fnargle wibble",
        "?????",
        "sdkjfh weoiru xcmvn",
        mash,
        "lorem ipsum dolor sit amet " * 120,
    ]
    return [Line(text.strip(), OUT_OF_SCOPE) for text in texts]


# --- scoring ---------------------------------------------------------------------------------


def is_correct(expected: str, predicted: str) -> bool:
    """Right intent; for an out-of-scope line, falling back is right too."""
    return predicted == expected or (expected == OUT_OF_SCOPE and predicted == FALLBACK)


@dataclass
class SetScore:
    """The figures of one set: never its lines."""

    name: str
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def accuracy(self) -> dict[str, float]:
        return {intent: self.right[intent] / n for intent, n in sorted(self.total.items())}

    @property
    def macro_accuracy(self) -> float:
        per_intent = self.accuracy
        return sum(per_intent.values()) / len(per_intent) if per_intent else 0.0

    @property
    def out_of_scope_lines(self) -> int:
        return self.total[OUT_OF_SCOPE]

    @property
    def false_tasks(self) -> int:
        wrong = self.confusion.items()
        return sum(n for (exp, got), n in wrong if exp == OUT_OF_SCOPE and got in TASKS)

    @property
    def false_task_rate(self) -> float:
        return self.false_tasks / self.out_of_scope_lines if self.out_of_scope_lines else 0.0

    @property
    def fallbacks(self) -> int:
        """In-scope lines the model fell back on."""
        return sum(n for (exp, got), n in self.confusion.items() if got == FALLBACK)

    def task_confusion(self) -> list[tuple[str, str, int]]:
        """(expected, predicted, count) where a task line was read as another task, most first."""
        pairs = [
            (exp, got, n)
            for (exp, got), n in self.confusion.items()
            if exp in TASKS and got in TASKS
        ]
        return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "lines": sum(self.total.values()),
            "macro_accuracy": round(self.macro_accuracy, 4),
            "accuracy": {k: round(v, 4) for k, v in self.accuracy.items()},
            "lines_per_intent": dict(sorted(self.total.items())),
            "false_tasks": self.false_tasks,
            "out_of_scope_lines": self.out_of_scope_lines,
            "false_task_rate": round(self.false_task_rate, 4),
            "in_scope_fallbacks": self.fallbacks,
            "confusion": [[e, g, n] for (e, g), n in sorted(self.confusion.items())],
        }


def score(name: str, lines: Iterable[Line], predicted: Mapping[str, str]) -> SetScore:
    """Score ``lines`` against ``predicted`` (text -> predicted intent)."""
    result = SetScore(name)
    for line in lines:
        got = predicted[line.text]
        result.total[line.intent] += 1
        if is_correct(line.intent, got):
            result.right[line.intent] += 1
        else:
            result.confusion[(line.intent, got)] += 1
    return result


# --- predicting with the trained model -------------------------------------------------------


# Runs in a child process, so this module needs no Rasa import: loads the model once and
# parses every line the way the server does (FallbackClassifier included; `rasa test nlu`
# would undo its fallbacks). Writes text -> [intent, confidence, DIET's top 3].
_PREDICT = """
import asyncio, json, logging, sys
from rasa.core.agent import Agent
from rasa.utils.log_utils import configure_structlog

configure_structlog(logging.WARNING)  # debug logs would carry every line's text
model, lines, out = sys.argv[1:4]
texts = json.load(open(lines, encoding="utf-8"))
agent = Agent.load(model)

async def parse_all():
    found = {}
    for text in texts:
        parsed = await agent.parse_message(text)
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        intent = parsed.get("intent") or {}
        found[text] = [
            intent.get("name") or "nlu_fallback",
            float(intent.get("confidence") or 0.0),
            [[r["name"], float(r["confidence"])] for r in ranking[:3]],
        ]
    return found

json.dump(asyncio.run(parse_all()), open(out, "w", encoding="utf-8"))
"""


def predict(
    root: Path, texts: Iterable[str], out: Path = OUT, model: Path | None = None
) -> dict[str, str]:
    """text -> intent as the trained model reads it, with one model load for all lines.

    Rasa's output goes to a log file in ``out``, never to the terminal; the predictions
    (with confidences, for tuning thresholds) to ``out``/predictions.json.
    """
    folder = root / out
    folder.mkdir(parents=True, exist_ok=True)
    lines, predictions = folder / "lines.json", folder / "predictions.json"
    predictions.unlink(missing_ok=True)
    unique = list(dict.fromkeys(texts))
    lines.write_text(json.dumps(unique), encoding="utf-8")
    command = [
        sys.executable, "-c", _PREDICT, str(model or model_path(root)), str(lines), str(predictions)
    ]  # fmt: skip
    log = folder / "predict.log"
    with log.open("w", encoding="utf-8") as output:
        result = subprocess.run(
            command,
            cwd=root,
            env={**os.environ, **QUIET_ENV, "LOG_LEVEL": "WARNING"},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode != 0 or not predictions.exists():
        raise RuntimeError(
            f"Rasa could not read the lines (exit code {result.returncode}); see {log}"
        )
    found = json.loads(predictions.read_text(encoding="utf-8"))
    missing = [text for text in unique if text not in found]
    if missing:
        raise RuntimeError(f"no prediction for {len(missing)} lines; see {log}")
    return {text: found[text][0] for text in unique}


# --- the report ------------------------------------------------------------------------------


def table(scores: list[SetScore]) -> str:
    """Per-intent accuracy of every set, side by side, with the set's macro accuracy."""
    intents = sorted({intent for s in scores for intent in s.total})
    header = f"{'intent':<20}" + "".join(f" {s.name:>17}" for s in scores)
    lines = [header]
    for intent in intents:
        cells = []
        for s in scores:
            n = s.total[intent]
            cells.append(f"{s.right[intent] / n:>11.2f} ({n:>3})" if n else f"{'-':>17}")
        lines.append(f"{intent:<20}" + "".join(f" {c:>17}" for c in cells))
    lines.append(f"{'macro accuracy':<20}" + "".join(f" {s.macro_accuracy:>17.3f}" for s in scores))
    rates = [f"{s.false_task_rate:.1%} ({s.false_tasks}/{s.out_of_scope_lines})" for s in scores]
    lines.append(f"{'false tasks (oos)':<20}" + "".join(f" {r:>17}" for r in rates))
    lines.append(f"{'in-scope fallbacks':<20}" + "".join(f" {s.fallbacks:>17}" for s in scores))
    return "\n".join(lines)


def confusion_lines(score: SetScore, limit: int = 10) -> str:
    """The task intents taken for other task intents, as counts."""
    pairs = score.task_confusion()[:limit]
    if not pairs:
        return f"{score.name}: no task line was read as another task."
    return f"{score.name}: " + "; ".join(f"{e} -> {g} ({n})" for e, g, n in pairs)


def failures(independent: SetScore, noise: SetScore) -> list[str]:
    """What is below the bars, each with what to do about it."""
    found = []
    if independent.macro_accuracy < MIN_MACRO_ACCURACY:
        weakest = sorted(independent.accuracy.items(), key=lambda kv: kv[1])[:3]
        found.append(
            f"Macro accuracy on the independent set is {independent.macro_accuracy:.3f}, below "
            f"{MIN_MACRO_ACCURACY}. Weakest: "
            + ", ".join(f"{k} {v:.2f}" for k, v in weakest)
            + ". Add realistic examples for those intents to data/nlu/ (check them on "
            "tests/nlu/heldout.yml; never copy lines from the independent set)."
        )
    if independent.false_task_rate > MAX_FALSE_TASKS:
        found.append(
            f"{independent.false_task_rate:.1%} of out-of-scope lines in the independent set "
            f"start a task (at most {MAX_FALSE_TASKS:.0%}). Add out_of_scope examples from more "
            "topics to data/nlu/general.yml, or raise the FallbackClassifier threshold in "
            "config.yml."
        )
    claimed = noise.total[OUT_OF_SCOPE] - noise.right[OUT_OF_SCOPE]
    if claimed:
        taken = ", ".join(f"{got} ({n})" for (_, got), n in sorted(noise.confusion.items()))
        found.append(
            f"{claimed} gibberish or very long inputs got an intent instead of falling back "
            f"({taken}), so the bot would answer nonsense as if it meant that. If you just "
            "added or changed one of those intents, its examples are too short or too alike to "
            "stand apart: write them as customers would; docs/understanding.md explains the "
            "fallback settings in config.yml."
        )
    return found


def main(root: Path | None = None, model: Path | None = None) -> int:
    """Score every set with ``model`` (default: the trained model); 1 below a bar."""
    root = root or Settings.from_env().root
    model = model or model_path(root)
    if not model.exists():
        print("No trained model: run `python -m bot train` first.")
        return 1
    if not (root / INDEPENDENT).exists():
        print(f"{INDEPENDENT} is missing: the bars apply to it, so the evaluation cannot pass.")
        return 1
    heldout, independent = read_lines(root / HELDOUT), read_lines(root / INDEPENDENT)
    robust, noise = robustness_set(independent), gibberish()
    # Generated from the independent set: kept in results/ for Rasa, never printed or committed.
    (root / OUT).mkdir(parents=True, exist_ok=True)
    (root / OUT / "robustness.json").write_text(
        json.dumps([[line.text, line.intent] for line in robust]), encoding="utf-8"
    )
    everything = [*heldout, *independent, *robust, *noise]
    print(f"Reading {len(everything)} lines with the model...", flush=True)
    texts = (line.text for line in everything)
    try:
        predicted = predict(root, texts, model=model)
    except RuntimeError as error:
        print(f"error: {error}")
        return 1
    scores = [
        score("heldout", heldout, predicted),
        score("independent", independent, predicted),
        score("robustness", robust, predicted),
    ]
    noise_score = score("gibberish", noise, predicted)
    print(table(scores))
    fell_back = noise_score.right[OUT_OF_SCOPE]
    print(f"gibberish and very long inputs falling back: {fell_back} of {len(noise)}")
    print("Task intents read as other tasks (expected -> predicted):")
    for s in scores:
        print("  " + confusion_lines(s))
    summary = {s.name: s.to_dict() for s in [*scores, noise_score]}
    (root / OUT / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    found = failures(scores[1], noise_score)
    for problem in found:
        print(f"FAILED: {problem}")
    if found:
        return 1
    print(
        f"Independent set: macro accuracy {scores[1].macro_accuracy:.3f} (required: "
        f"{MIN_MACRO_ACCURACY}), false tasks {scores[1].false_task_rate:.1%} (allowed: "
        f"{MAX_FALSE_TASKS:.0%})."
    )
    return 0


def summarise(report: dict) -> tuple[list[tuple[str, float, float, float, int]], float]:
    """Per-intent (name, precision, recall, F1, support) rows and the weighted F1 of a
    `rasa test nlu` intent report (bot/testing.py reads the held-out set's with it)."""
    rows = [
        (name, s["precision"], s["recall"], s["f1-score"], int(s["support"]))
        for name, s in sorted(report.items())
        if isinstance(s, dict) and "support" in s and name not in _AVERAGES
    ]
    return rows, float(report["weighted avg"]["f1-score"])
