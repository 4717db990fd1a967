"""Rasa's own checks that Tandem's rules do not make: the content loads, stories agree.

Tandem's rules (bot/validate.py) check the names rules, stories and forms use,
with "did you mean" and a line to open, so of Rasa's validator only what needs
Rasa's machinery runs here, in two parts. Each is kept in var/check/rasa.json
under a hash of what it reads, and runs again only when that changes:

- loading: config.yml, domain.yml and data/ loaded as training loads them, with
  the warnings and errors Rasa gives on the way (about a second);
- story structure: Rasa's check that no two stories predict different next
  actions after the same conversation. It imports TensorFlow (3 s or more) and
  reads only config.yml, the domain without its responses, and the stories: Rasa
  leaves rules out of it (training's RulePolicy checks those), so editing
  examples, responses or rules never runs it. When it must run, it runs in a
  forked process, started as `RasaChecks` is made, beside Tandem's own checks
  (in the same process when Rasa's validator is imported already).

Rasa's messages name no line, so each is placed at the first line that names what
it quotes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import re
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

import yaml

from bot.content import Problem, relative, yaml_files
from bot.yaml_problems import shape_key, well_shaped

if TYPE_CHECKING:
    from rasa.shared.importers.importer import TrainingDataImporter

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


class RasaChecks:
    """Rasa's two checks of one project for one `check`; a context manager.

    Made before Tandem's own checks, so that the story check, when it must run,
    runs beside them; ``problems()`` then collects both parts. Leaving the
    context without collecting (the files could not be read) stops it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        cache = root / CACHE
        self.kept: dict[str, Any] = (
            json.loads(cache.read_text(encoding="utf-8")) if cache.exists() else {}
        )
        self.keys = {"loading": loading_key(root), "structure": structure_key(root)}
        self.running: tuple[BaseProcess, Connection] | None = None
        # Forked only to import TensorFlow beside the other checks; once imported, never.
        if self._cached("structure") is None and "rasa.validator" not in sys.modules:
            context = multiprocessing.get_context("fork")
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_structure_in_child, args=(root, send), daemon=True)
            child.start()
            send.close()
            self.running = (child, receive)

    def __enter__(self) -> RasaChecks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.running is not None:
            child, receive = self.running
            child.kill()
            child.join()
            receive.close()
            self.running = None

    def problems(self) -> list[Problem]:
        """Rasa's messages, from the cache where nothing they read changed, each at a line."""
        loading = self._part("loading", lambda: loading_messages(self.root))
        structure = self._part("structure", self._collect)
        cache = self.root / CACHE
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(self.kept), encoding="utf-8")
        messages = list(dict.fromkeys(loading + structure))
        files = [self.root / "domain.yml", *yaml_files(self.root, "data")] if messages else []
        lines = {relative(self.root, p): p.read_text(encoding="utf-8").splitlines() for p in files}
        return [_place(lines, m) for m in messages]

    def _cached(self, part: str) -> list[str] | None:
        kept = self.kept.get(part) or {}
        return list(kept["messages"]) if kept.get("key") == self.keys[part] else None

    def _part(self, part: str, run: Callable[[], list[str] | None]) -> list[str]:
        """One part's messages: kept ones, or ``run``'s, kept unless it could not run."""
        messages = self._cached(part)
        if messages is None:
            messages = run()
            if messages is None:
                return []
            self.kept[part] = {"key": self.keys[part], "messages": messages}
        return messages

    def _collect(self) -> list[str] | None:
        """The forked story check's answer; the check itself when it was not forked."""
        if self.running is None:
            return structure_messages(self.root)
        child, receive = self.running
        try:
            outcome, answer = receive.recv()
        except EOFError:
            outcome, answer = "error", "it stopped without an answer"
        child.join()
        receive.close()
        self.running = None
        if outcome == "error":
            raise RuntimeError(f"Rasa's story structure check failed: {answer}")
        return cast("list[str] | None", answer)


def loading_key(root: Path) -> str:
    """A hash of everything loading reads: config.yml, domain.yml and data/."""
    digest = _digest(root)
    for path in [root / "domain.yml", *yaml_files(root, "data")]:
        digest.update(relative(root, path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def structure_key(root: Path) -> str:
    """A hash of what the story structure depends on: config, domain (no responses), stories.

    A file YAML cannot read counts as its text (the shape check reports it).
    """
    digest = _digest(root)
    domain = _read(root / "domain.yml")
    if isinstance(domain, dict):
        domain.pop("responses", None)
    digest.update(json.dumps(domain, sort_keys=True, default=str).encode())
    for path in yaml_files(root, "data"):
        data = _read(path)
        stories = data.get("stories") if isinstance(data, dict) else data
        if stories is not None:
            digest.update(relative(root, path).encode() + b"\0")
            digest.update(json.dumps(stories, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _digest(root: Path) -> Any:
    """A hash started with what both parts depend on: Rasa's version and config.yml."""
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    digest.update((root / "config.yml").read_bytes())
    return digest


def _read(path: Path) -> Any:
    """A YAML file's data; its text when YAML cannot read it."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return text


def _importer(root: Path) -> TrainingDataImporter:
    from rasa.shared.importers.importer import TrainingDataImporter

    return TrainingDataImporter.load_from_config(
        config_path=str(root / "config.yml"),
        domain_path=str(root / "domain.yml"),
        training_data_paths=[str(root / "data")],
    )


def loading_messages(root: Path) -> list[str]:
    """Rasa's warnings and errors on loading the content as training does."""
    from rasa.shared.exceptions import RasaException

    with _said(root) as said, _shapes_known(root):
        try:
            importer = _importer(root)
            importer.get_domain()
            importer.get_stories()
            importer.get_nlu_data()
            importer.get_config()
        except RasaException as error:
            said.append(f"Rasa cannot load the content: {error}")
    return said


def structure_messages(root: Path) -> list[str] | None:
    """Rasa's story structure check; None when the content does not load (loading says why)."""
    from rasa.shared.exceptions import RasaException
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from rasa.validator import Validator  # imports TensorFlow

    # The shape check reads the same texts with the same schemas, and this answer is used
    # only once it found all of them well shaped: here they need not be checked again.
    with warnings.catch_warnings(), _shape_checks_skipped(lambda text, schema: True):
        warnings.simplefilter("ignore")  # loading's warnings are the loading part's
        try:
            importer = _importer(root)
            domain, stories, config = (
                importer.get_domain(),
                importer.get_stories(),
                importer.get_config(),
            )
        except RasaException:
            return None
    validator = Validator(domain, TrainingData(), stories, config)
    with _said(root) as said:
        if not validator.verify_domain_validity():
            said.append("Rasa finds the domain empty or in an outdated format.")
        validator.verify_story_structure(ignore_warnings=False)
    return said


@contextmanager
def _shapes_known(root: Path) -> Iterator[None]:
    """Rasa's readers skip checking the shape of a text bot/yaml_problems.py found well shaped."""
    known = well_shaped(root)
    with _shape_checks_skipped(lambda text, schema: shape_key(schema, text) in known):
        yield


@contextmanager
def _shape_checks_skipped(skip: Callable[[str, str], bool]) -> Iterator[None]:
    """Rasa's readers skip checking a text's shape against a schema when ``skip(text, schema)``.

    Each reader checks its file against Rasa's schema, as the shape check does
    with the same function, text and schema: a tenth of a second a file spent
    again on a known answer. Rasa's readers look the function up on its module
    at each call, so it is replaced there for the block.
    """
    import rasa.shared.utils.validation as validation

    validate = validation.validate_yaml_schema

    def unless_skipped(text: str, schema: str, *args: Any, **kwargs: Any) -> None:
        if not skip(text, schema):
            validate(text, schema, *args, **kwargs)

    validation.validate_yaml_schema = unless_skipped
    try:
        yield
    finally:
        validation.validate_yaml_schema = validate


def _structure_in_child(root: Path, send: Connection) -> None:
    """The forked process's work: the story structure check, its answer sent back."""
    try:
        send.send(("done", structure_messages(root)))
    except Exception as error:  # the parent says it; a traceback here would go unread
        send.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


class _Collect(logging.Handler):
    """Keeps the warnings a Rasa logger writes (story conflicts are logged, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _said(root: Path) -> Iterator[list[str]]:
    """A list the block may add to, which gets what Rasa warns and logs during the block.

    On leaving, it holds them as editors read them: paths from the root, one line
    each, without the ones Tandem's rules report better or Rasa itself silences.
    """
    from rasa.utils.common import EXPECTED_WARNINGS

    collect = _Collect()
    logger = logging.getLogger("rasa.validator")
    logger.addHandler(collect)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield collect.messages
        finally:
            logger.removeHandler(collect)
    warned = [
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
    cleaned = [" ".join(m.replace(f"{root}/", "").split()) for m in warned + collect.messages]
    collect.messages[:] = [m for m in dict.fromkeys(cleaned) if not _REPLACED.search(m)]


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
