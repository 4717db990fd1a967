"""Rasa's own checks that Tandem's rules do not make: the domain loads, stories agree.

Tandem's rules (bot/validate.py) check the names rules, stories and forms use,
with "did you mean" and a line to open, so of Rasa's validator only what needs
Rasa's machinery runs here: loading the domain and data as training will, and
the story structure check, which finds rules or stories that predict different
next actions after the same conversation. That check imports TensorFlow (3 s or
more), and its answer depends only on config.yml, the domain without its
responses, and the stories and rules; so it is kept in var/check/rasa.json and
run again only when those change. Rasa's messages name no line, so each is placed
at the first line that names what it quotes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from pathlib import Path

import yaml

from bot.content import Problem, relative, yaml_files

CACHE = Path("var/check/rasa.json")
# Rasa's warnings about names Tandem's rules report better (bot/validate.py), and one that is
# expected: intents named EXTERNAL_* are triggered by the gateway over Rasa's API, never typed.
_REPLACED = re.compile(
    r"The utterance 'utter_\w+' is not used in any story or rule\."
    r"|The action '\w+' is used in the "
    r"|is not part of the domain"
    r"|is not listed in the domain"
    r"|The example '.*' was found labeled with multiple different intents"
    r"|contains an example that doesn't start with a '-' symbol"
    r"|The intent 'EXTERNAL_\w+' is listed in the domain file, but is not",
    re.DOTALL,
)
_QUOTED = re.compile(r"'([^'\n]+)'")
_FIX = "Rasa's own check; docs/editing.md explains its usual causes"
_CONFLICT_FIX = (
    "two rules or stories go on differently after the same steps: make them agree, or tell "
    "them apart with an earlier step"
)


class _Collect(logging.Handler):
    """Keeps the warnings a Rasa logger writes (story conflicts are logged, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def inputs_key(root: Path) -> str:
    """A hash of what the story structure depends on: config, domain (no responses), steps."""
    import rasa

    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8")) or {}
    domain.pop("responses", None)
    digest = hashlib.sha256(rasa.__version__.encode())
    digest.update((root / "config.yml").read_bytes())
    digest.update(json.dumps(domain, sort_keys=True, default=str).encode())
    for path in yaml_files(root, "data"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^(stories|rules):", text, re.MULTILINE):
            digest.update(relative(root, path).encode() + b"\0" + text.encode())
    return digest.hexdigest()


def rasa_messages(root: Path) -> list[str]:
    """Rasa's messages on the content (loading it as training does, and story conflicts)."""
    from rasa.shared.exceptions import RasaException
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        config_path=str(root / "config.yml"),
        domain_path=str(root / "domain.yml"),
        training_data_paths=[str(root / "data")],
    )
    from rasa.utils.common import EXPECTED_WARNINGS  # ones Rasa itself silences when it runs

    collect = _Collect()
    logger = logging.getLogger("rasa.validator")
    logger.addHandler(collect)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            validator = Validator.from_importer(importer)
            if not validator.verify_domain_validity():
                collect.messages.append("Rasa finds the domain empty or in an outdated format.")
            validator.verify_story_structure(ignore_warnings=False)
        except RasaException as error:
            collect.messages.append(f"Rasa cannot load the content: {error}")
        finally:
            logger.removeHandler(collect)
    said = [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning)
        and "/rasa/" in w.filename
        and not any(
            issubclass(w.category, kind) and re.match(pattern, str(w.message))
            for kind, pattern in EXPECTED_WARNINGS
        )
    ]
    # Rasa quotes files by absolute path and breaks lines; editors read paths from the root.
    cleaned = [" ".join(m.replace(f"{root}/", "").split()) for m in said + collect.messages]
    return [m for m in dict.fromkeys(cleaned) if not _REPLACED.search(m)]


def rasa_problems(root: Path) -> list[Problem]:
    """Rasa's messages, from var/check/ when nothing they depend on changed, each at a line."""
    key, cache = inputs_key(root), root / CACHE
    kept = json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
    if kept.get("key") == key:
        messages: list[str] = kept["messages"]
    else:
        messages = rasa_messages(root)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "messages": messages}), encoding="utf-8")
    files = [root / "domain.yml", *yaml_files(root, "data")] if messages else []
    lines = {relative(root, p): p.read_text(encoding="utf-8").splitlines() for p in files}
    return [_place(lines, m) for m in messages]


def _place(lines: dict[str, list[str]], message: str) -> Problem:
    """Rasa's message at the first line of domain.yml or data/ (``lines``) naming what it quotes.

    A story is found by its title, first; any other name as a whole word.
    """
    fix = _CONFLICT_FIX if message.startswith("Story structure conflict") else _FIX
    names = _QUOTED.findall(message)
    patterns = [re.compile(rf"^\s*-?\s*story:\s*{re.escape(name)}\s*$") for name in names]
    patterns += [re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])") for name in names]
    for pattern in patterns:
        for file, texts in lines.items():
            for number, text in enumerate(texts, 1):
                if pattern.search(text):
                    return Problem(file, number, message, fix)
    return Problem("data/", 0, message, fix)
