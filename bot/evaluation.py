"""`python -m bot evaluate`: intent F1 on held-out lines the model never trained on.

tests/nlu/heldout.yml is written apart from data/nlu/, the way customers type
(terse, long-winded, indirect, misspelt). The check fails below ``MIN_F1``
weighted intent F1, so content changes that hurt understanding are caught.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.process import QUIET_ENV
from bot.training import model_path
from core.settings import Settings

MIN_F1 = 0.90
HELDOUT = Path("tests/nlu/heldout.yml")
OUT = Path("results/nlu")
_AVERAGES = {"micro avg", "macro avg", "weighted avg", "accuracy"}


def run_rasa_test(root: Path) -> Path:
    """Run `rasa test nlu` on the held-out set; return its intent report."""
    command = [
        sys.executable, "-m", "rasa", "test", "nlu",
        "--nlu", str(HELDOUT),
        "--model", str(model_path(root)),
        "--out", str(OUT),
    ]  # fmt: skip
    subprocess.run(command, cwd=root, env={**os.environ, **QUIET_ENV}, check=True)
    return root / OUT / "intent_report.json"


def summarise(report: dict) -> tuple[list[tuple[str, float, float, float, int]], float]:
    """Per-intent (name, precision, recall, F1, support) rows and the weighted F1."""
    rows = [
        (name, s["precision"], s["recall"], s["f1-score"], int(s["support"]))
        for name, s in sorted(report.items())
        if isinstance(s, dict) and "support" in s and name not in _AVERAGES
    ]
    return rows, float(report["weighted avg"]["f1-score"])


def table(rows: list[tuple[str, float, float, float, int]], weighted: float) -> str:
    lines = [f"{'intent':<20} {'precision':>9} {'recall':>7} {'F1':>6} {'lines':>6}"]
    lines += [f"{n:<20} {p:>9.2f} {r:>7.2f} {f:>6.2f} {s:>6}" for n, p, r, f, s in rows]
    lines.append(
        f"{'weighted F1':<20} {'':>9} {'':>7} {weighted:>6.3f} {sum(r[4] for r in rows):>6}"
    )
    return "\n".join(lines)


def main(root: Path | None = None) -> int:
    root = root or Settings.from_env().root
    report = json.loads(run_rasa_test(root).read_text(encoding="utf-8"))
    rows, weighted = summarise(report)
    print(table(rows, weighted))
    if weighted < MIN_F1:
        print(
            f"Held-out intent F1 {weighted:.3f} is below {MIN_F1}: see {OUT}/intent_errors.json "
            "for the lines the model got wrong, and add examples like them to data/nlu/."
        )
        return 1
    print(f"Held-out intent F1 {weighted:.3f} (required: {MIN_F1}).")
    return 0
