"""Rasa's own data validation, with its messages placed at a line an editor can open.

Rasa's validator names no line, so each message is placed at the first line of
domain.yml or data/ that mentions what it quotes. Its warnings that Tandem's
rules report better (``bot/validate.py``) are dropped here.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from bot.content import Problem, relative, yaml_files

# Rasa's warnings that Tandem's rules replace with located messages, and one that is expected:
# intents named EXTERNAL_* are triggered by the gateway over Rasa's API, never typed.
_REPLACED = re.compile(
    r"The utterance 'utter_\w+' is not used in any story or rule\."
    r"|The action 'utter_\w+' is used in the "
    r"|The example '.*' was found labeled with multiple different intents"
    r"|The intent 'EXTERNAL_\w+' is listed in the domain file, but is not",
    re.DOTALL,
)
_QUOTED = re.compile(r"'([\w/.-]+)'")
_FIX = "Rasa's own check; docs/editing.md explains its usual causes"


def rasa_warnings(root: Path) -> tuple[bool, list[str]]:
    """Run Rasa's own checks on the project; return whether they passed and their warnings."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        config_path=str(root / "config.yml"),
        domain_path=str(root / "domain.yml"),
        training_data_paths=[str(root / "data")],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        passed = all(
            [
                validator.verify_domain_validity(),
                validator.verify_actions_in_stories_rules(),
                validator.verify_forms_in_stories_rules(),
                validator.verify_form_slots(),
                validator.verify_slot_mappings(),
                validator.verify_nlu(ignore_warnings=False),
                validator.verify_story_structure(ignore_warnings=False),
            ]
        )
        validator.warn_if_config_mandatory_keys_are_not_set()
    from rasa.utils.common import EXPECTED_WARNINGS  # ones Rasa itself silences when it runs

    messages = [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning)
        and "/rasa/" in w.filename
        and not any(
            issubclass(w.category, kind) and re.match(pattern, str(w.message))
            for kind, pattern in EXPECTED_WARNINGS
        )
    ]
    return passed, list(dict.fromkeys(messages))


def rasa_problems(root: Path) -> list[Problem]:
    """Rasa's warnings that Tandem's rules do not replace, each at a line naming what it quotes."""
    passed, messages = rasa_warnings(root)
    # Rasa quotes files by absolute path and breaks lines; editors read paths from the root.
    cleaned = [" ".join(m.replace(f"{root}/", "").split()) for m in messages]
    kept = [m for m in cleaned if not _REPLACED.search(m)]
    files = [root / "domain.yml", *yaml_files(root, "data")] if kept else []
    lines = {relative(root, p): p.read_text(encoding="utf-8").splitlines() for p in files}
    found = [_place(lines, m) for m in kept]
    if not passed and not messages:
        found.append(
            Problem("data/", 0, "Rasa's validation failed", "run `rasa data validate` to see why")
        )
    return found


def _place(lines: dict[str, list[str]], message: str) -> Problem:
    """Rasa's message at the first line of domain.yml or data/ (``lines``) naming what it quotes."""
    for name in _QUOTED.findall(message):
        word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
        for file, texts in lines.items():
            for number, text in enumerate(texts, 1):
                if word.search(text):
                    return Problem(file, number, message, _FIX)
    return Problem("data/", 0, message, _FIX)
