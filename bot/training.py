"""Train the Rasa model only when its inputs changed.

Training takes minutes; starting the stack should not. The inputs (config.yml,
domain.yml and everything under data/ except the demo customers in data/demo/)
are hashed, and the hash is kept beside ``models/tandem.tar.gz``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bot.process import QUIET_ENV, CommandError
from bot.validate import problems
from core.settings import Settings

MODEL_NAME = "tandem"


class TrainingError(CommandError):
    """Rasa could not train a model."""


def model_path(root: Path) -> Path:
    return root / "models" / f"{MODEL_NAME}.tar.gz"


def fingerprint_path(root: Path) -> Path:
    return root / "models" / f"{MODEL_NAME}.fingerprint"


def training_inputs(root: Path) -> list[Path]:
    """Files that determine the model, in a stable order; hidden files are skipped."""
    data = root / "data"
    files = [
        path
        for path in data.rglob("*")
        if path.is_file()
        and not path.is_relative_to(data / "demo")
        and not any(part.startswith(".") for part in path.relative_to(data).parts)
    ]
    return [root / "config.yml", root / "domain.yml", *sorted(files)]


def fingerprint(root: Path) -> str:
    """sha256 over the training inputs' names and contents."""
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
        digest.update(b"\0")
    return digest.hexdigest()


def train_if_needed(settings: Settings, force: bool = False) -> Path:
    """Return the model path, training first if the model is missing or stale."""
    root = settings.root
    model, stamp = model_path(root), fingerprint_path(root)
    current = fingerprint(root)
    if not force and model.exists() and stamp.exists() and stamp.read_text() == current:
        print(f"Model {model.relative_to(root)} is up to date.", flush=True)
        return model
    reason = "forced" if force else "training data changed" if model.exists() else "no model yet"
    print(f"Checking the content before training ({reason})...", flush=True)
    found = problems(root)
    if found:
        raise TrainingError(
            "The content has problems; fix them and train again:\n"
            + "\n".join(f"- {problem}" for problem in found)
        )
    print("Training the model; this takes a minute or two...", flush=True)
    stamp.unlink(missing_ok=True)
    # Validated above with Tandem's checks, which also know what Rasa's validator cannot see.
    command = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--fixed-model-name",
        MODEL_NAME,
        "--out",
        str(model.parent),
        "--skip-validation",
    ]
    result = subprocess.run(command, cwd=root, env=settings.child_env(QUIET_ENV), check=False)
    if result.returncode != 0 or not model.exists():
        raise TrainingError(
            f"Training failed (rasa train exited with code {result.returncode}); the messages "
            "above say why. Fix data/, domain.yml or config.yml (`make validate` helps) "
            "and run `python -m bot train` again."
        )
    stamp.write_text(current)
    print(f"Trained {model.relative_to(root)}.", flush=True)
    return model
