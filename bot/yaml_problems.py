"""YAML that cannot be read, or is not shaped as Rasa expects, as problems an editor can fix.

Every other check needs the files read, so these run first and, when they find
anything, alone: a mis-indented line or a tab is one message with the line and a
caret under the spot, never a traceback. Syntax is read with PyYAML; the shape is
checked with Rasa's own schemas, the ones training applies. Rasa takes about a
tenth of a second a file for that, so a file found well shaped is remembered by
the hash of its text (var/check/shapes.json) and checked again only once it changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.content import Problem, at, did_you_mean, relative

# Folders of YAML the checks read, besides config.yml and domain.yml.
FOLDERS = ("data", "tests/stories", "tests/conversations", "tests/scenarios")
SHAPES_CACHE = Path("var/check/shapes.json")
# The keys a story or rule step may start with: two of them in one item are two steps.
STEP_KEYS = ("intent", "action", "active_loop", "slot_was_set", "checkpoint", "or", "user")
# Keys Rasa reads somewhere in its files, for "did you mean" on a misspelt one.
KNOWN_KEYS = (
    *STEP_KEYS,
    "version",
    "nlu",
    "examples",
    "synonym",
    "regex",
    "lookup",
    "stories",
    "story",
    "rules",
    "rule",
    "steps",
    "condition",
    "conversation_start",
    "wait_for_user_input",
    "entities",
    "responses",
    "text",
    "buttons",
    "title",
    "payload",
    "intents",
    "slots",
    "forms",
    "actions",
    "required_slots",
    "mappings",
    "type",
    "influence_conversation",
    "session_config",
)
_INDENT_FIX = (
    "give it the same number of spaces as the other entries at its level: two more than the "
    "key it is under (spaces only)"
)
# How far above the spot YAML stopped at a quote left open is looked for.
_QUOTE_LOOKBACK = 5


def files(root: Path) -> list[Path]:
    """Every YAML file the checks read."""
    found = [root / "config.yml", root / "domain.yml"]
    for folder in FOLDERS:
        found += sorted((root / folder).rglob("*.yml"))
    return [path for path in found if path.is_file()]


def syntax_problems(root: Path) -> list[Problem]:
    """Each file PyYAML cannot read, at the spot where reading stopped."""
    found = []
    for path in files(root):
        text = path.read_text(encoding="utf-8")
        try:
            yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.MarkedYAMLError as error:
            found.append(syntax_problem(relative(root, path), text, error))
    return found


def syntax_problem(file: str, text: str, error: yaml.MarkedYAMLError) -> Problem:
    """What a YAML syntax error means for an editor, at its line and column."""
    mark = error.problem_mark
    assert mark is not None  # PyYAML's reader errors all carry one
    line, column = mark.line + 1, mark.column + 1
    problem, context = error.problem or "", error.context or ""
    lines = text.splitlines()
    spot = lines[line - 1][column - 1 : column] if 0 < line <= len(lines) else ""
    if "tab" in problem or spot == "\t":
        return at(
            file,
            text,
            line,
            column,
            "a tab in the indentation",
            "YAML indents with spaces only: replace the tab with spaces (two for each level)",
        )
    opened = _open_quote(lines, line)
    if opened or ("quoted scalar" in context and error.context_mark is not None):
        if opened is None:
            assert error.context_mark is not None
            opened = (error.context_mark.line + 1, error.context_mark.column + 1)
        return at(
            file,
            text,
            *opened,
            "this quote is never closed",
            'end the text with the same quote; write a double quote inside it as \\"',
        )
    if "mapping values are not allowed" in problem:
        return at(
            file,
            text,
            line,
            column,
            "YAML reads this colon as the start of a key",
            "if the colon is part of the text, put the whole text in double quotes",
        )
    if "expected key" in problem or "expected <block end>" in problem:
        return at(
            file,
            text,
            line,
            column,
            "this line is indented differently from the lines it belongs with",
            _INDENT_FIX,
        )
    return at(
        file,
        text,
        line,
        column,
        f"YAML cannot read this ({problem or context})",
        "compare it with the lines around it: indentation (spaces only) and quotes are the "
        "usual causes",
    )


def _open_quote(lines: list[str], line: int) -> tuple[int, int] | None:
    """The line and column of a double quote left open just above ``line``, if any.

    An unclosed quote runs on to the next line's quote, so YAML stops later, at a
    line that is fine; the line with an odd number of quotes is the one to fix.
    """
    for number in range(line - 1, max(0, line - 1 - _QUOTE_LOOKBACK), -1):
        quotes = [m.start() for m in re.finditer(r'(?<!\\)"', lines[number - 1])]
        if len(quotes) % 2:
            return number, quotes[-1] + 1
    return None


# --- shape, with Rasa's schemas ----------------------------------------------------------


def _schemas(root: Path, path: Path, text: str) -> list[str]:
    """The schema files of Rasa's that apply to ``path``, as its readers choose them."""
    from rasa.shared.constants import CONFIG_SCHEMA_FILE, DOMAIN_SCHEMA_FILE
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import CORE_SCHEMA_FILE
    from rasa.shared.nlu.training_data.formats.rasa_yaml import NLU_SCHEMA_FILE

    name = relative(root, path)
    if name == "config.yml":
        return [CONFIG_SCHEMA_FILE]
    if name == "domain.yml":
        return [DOMAIN_SCHEMA_FILE]
    if name.startswith("tests/stories/"):
        return [CORE_SCHEMA_FILE]
    if not name.startswith("data/") or name.startswith("data/demo/"):
        return []  # Tandem's own formats, read by their own loaders
    schemas = []
    if re.search(r"^(nlu|responses):", text, re.MULTILINE):
        schemas.append(NLU_SCHEMA_FILE)
    if re.search(r"^(stories|rules):", text, re.MULTILINE):
        schemas.append(CORE_SCHEMA_FILE)
    return schemas


def shape_key(schema: str, text: str) -> str:
    """What var/check/shapes.json remembers a text well shaped for ``schema`` by."""
    import rasa

    return hashlib.sha256(f"{rasa.__version__}\0{schema}\0{text}".encode()).hexdigest()


def well_shaped(root: Path) -> set[str]:
    """The keys (``shape_key``) of the texts the last shape check found well shaped."""
    cache = root / SHAPES_CACHE
    return set(json.loads(cache.read_text())) if cache.exists() else set()


def shape_problems(root: Path) -> list[Problem]:
    """Each part of a file that does not have the shape Rasa's schema asks for."""
    from rasa.shared.exceptions import YamlSyntaxException
    from rasa.shared.utils.validation import YamlValidationException, validate_yaml_schema

    known = well_shaped(root)
    good: set[str] = set()
    found: list[Problem] = []
    for path in files(root):
        text = path.read_text(encoding="utf-8")
        file = relative(root, path)
        for schema in _schemas(root, path, text):
            key = shape_key(schema, text)
            if key in known:
                good.add(key)
                continue
            try:
                validate_yaml_schema(text, schema)
            except YamlValidationException as error:
                found += _shape(file, text, error.validation_errors or [])
            except YamlSyntaxException as error:
                found.append(_twice(file, text, error.underlying_yaml_exception))
            else:
                good.add(key)
    cache = root / SHAPES_CACHE
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(sorted(good)))
    return found


def _shape(file: str, text: str, errors: list[Any]) -> list[Problem]:
    """Rasa's schema errors (pykwalify's) as problems at the line they concern, once each."""
    document = yaml.compose(text, Loader=yaml.CSafeLoader)
    found: dict[tuple[int, int, str], Problem] = {}
    for error in errors:
        problem = _schema_error(file, text, document, error)
        found.setdefault((problem.line, problem.column, problem.what), problem)
    return list(found.values())


def _schema_error(file: str, text: str, document: yaml.Node, error: Any) -> Problem:
    node = _node_at(document, str(error.path))
    start = node.start_mark
    line, column = start.line + 1, start.column + 1
    key = getattr(error, "key", None)
    message = repr(error)
    if key is not None and "was not defined" in message and isinstance(node, yaml.MappingNode):
        keys = [k for k, _ in node.value]
        steps = [k for k in keys if k.value in STEP_KEYS]
        if len(steps) > 1:
            second = steps[1]
            return at(
                file,
                text,
                second.start_mark.line + 1,
                second.start_mark.column + 1,
                f"two steps are written as one: `{steps[0].value}:` and `{second.value}:` are "
                "in the same item",
                f"start each step with its own `- `: write `- {second.value}: …` on its own "
                "line, lined up with the other steps",
            )
        named = next((k for k in keys if k.value == key), node)
        return at(
            file,
            text,
            named.start_mark.line + 1,
            named.start_mark.column + 1,
            f"Rasa does not know the key '{key}' here",
            f"{did_you_mean(key, KNOWN_KEYS)}check its spelling and its indentation "
            "(docs/editing.md shows each kind of block)",
        )
    if "Cannot find required key" in message:
        return at(
            file, text, line, column, f"`{key}:` is missing here", f"add `{key}:` to this block"
        )
    if "is not a list" in message:
        return at(
            file,
            text,
            line,
            column,
            "a list was expected here",
            "write each item on its own line starting with `- `, indented under its key",
        )
    if "is not a dict" in message:
        return at(file, text, line, column, "`key: value` lines were expected here", _INDENT_FIX)
    what = re.sub(r"\.? ?(Value )?[Pp]ath: '[^']*'.*", "", message)
    return at(
        file,
        text,
        line,
        column,
        f"Rasa cannot read this: {what}",
        "compare the block with others like it in the same folder (docs/editing.md shows "
        "each kind)",
    )


def _node_at(node: yaml.Node, path: str) -> yaml.Node:
    """The node a pykwalify path such as '/rules/1/steps/0' leads to (as far as it goes)."""
    for part in filter(None, path.split("/")):
        if isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            node = node.value[int(part)]
        elif isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == part), None)
            if found is None:
                break
            node = found
        else:
            break
    return node


def _twice(file: str, text: str, error: Any) -> Problem:
    """The one reading error Rasa's YAML reader has that PyYAML's has not: a key twice."""
    mark = getattr(error, "problem_mark", None)
    if mark is None or "duplicate key" not in str(getattr(error, "problem", "")):
        return Problem(file, 0, f"Rasa cannot read this file: {error}", "fix what it names")
    lines = text.splitlines()
    written = lines[mark.line].rstrip()
    key = written.strip().split(":")[0]
    first = next((n for n, line in enumerate(lines[: mark.line], 1) if line.rstrip() == written), 0)
    where = f" (first at line {first})" if first else ""
    return at(
        file,
        text,
        mark.line + 1,
        mark.column + 1,
        f"'{key}' is written twice at the same level{where}",
        "keep one: merge the two, or rename one of them",
    )


def problems(root: Path) -> list[Problem]:
    """Syntax first; only well-read files can be checked for their shape."""
    return syntax_problems(root) or shape_problems(root)
