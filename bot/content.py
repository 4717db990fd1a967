"""The project's content as the editors' checks see it: every part with its file and line.

``Content.read`` parses domain.yml, data/ and tests/stories/ once, keeping YAML
nodes so each rule can name the line of what it complains about; ``Problem`` is
what every check reports, as `file:line: problem — fix`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import yaml


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One fault in the content, where it is, and how to fix it."""

    file: str  # relative to the project root
    line: int  # 1-based; 0 when nothing in the files can be pointed at
    what: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.what} — {self.fix}"


@dataclasses.dataclass(frozen=True)
class Located:
    """A value read from YAML, with the file and 1-based line it came from."""

    value: str
    file: str
    line: int


# --- reading YAML with line numbers -----------------------------------------------


def _compose(path: Path) -> yaml.Node | None:
    return yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value under ``key`` of a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _pairs(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def line_of(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def yaml_files(root: Path, folder: str) -> list[Path]:
    return sorted(p for p in (root / folder).rglob("*.yml") if "demo" not in p.parts)


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


@dataclasses.dataclass
class Content:
    """The parts of domain.yml, data/ and tests/stories/ the rules look at, with lines."""

    root: Path
    intents: list[Located]
    examples: dict[str, list[Located]]  # intent -> its training examples
    intent_blocks: dict[str, Located]  # intent -> its first `- intent:` line in data/nlu/
    responses: dict[str, yaml.Node]  # name -> its list of variants
    response_lines: dict[str, int]
    forms: dict[str, int]  # name -> line in domain.yml
    form_slots: dict[str, list[str]]  # name -> its required slots
    data_steps: list[tuple[Located, Located | None]]  # (key, value) of every story/rule step
    test_stories: list[tuple[Located, list[tuple[Located, Located | None]]]]

    @classmethod
    def read(cls, root: Path) -> Content:
        domain = _compose(root / "domain.yml")
        intents = [
            Located(_name(item), "domain.yml", line_of(item))
            for item in _items(_get(domain, "intents"))
        ]
        responses = {k.value: v for k, v in _pairs(_get(domain, "responses"))}
        response_lines = {k.value: line_of(k) for k, _ in _pairs(_get(domain, "responses"))}
        forms = {k.value: line_of(k) for k, _ in _pairs(_get(domain, "forms"))}
        form_slots = {
            k.value: [s.value for s in _items(_get(v, "required_slots"))]
            for k, v in _pairs(_get(domain, "forms"))
        }
        examples: dict[str, list[Located]] = {}
        blocks: dict[str, Located] = {}
        steps: list[tuple[Located, Located | None]] = []
        for path in yaml_files(root, "data"):
            node, name = _compose(path), relative(root, path)
            for block in _items(_get(node, "nlu")):
                intent = _get(block, "intent")
                if intent is not None:
                    blocks.setdefault(intent.value, Located(intent.value, name, line_of(intent)))
                    found = examples.setdefault(intent.value, [])
                    found.extend(_examples(_get(block, "examples"), name))
            for kind in ("stories", "rules"):
                for story in _items(_get(node, kind)):
                    steps.extend(_steps(story, name))
        tests = []
        for path in yaml_files(root, "tests/stories"):
            name = relative(root, path)
            for story in _items(_get(_compose(path), "stories")):
                title = _get(story, "story")
                if title is not None:
                    tests.append((Located(title.value, name, line_of(title)), _steps(story, name)))
        return cls(
            root,
            intents,
            examples,
            blocks,
            responses,
            response_lines,
            forms,
            form_slots,
            steps,
            tests,
        )


def _name(item: yaml.Node) -> str:
    """An intent listed as `- greet` or as `- greet: {use_entities: ...}`."""
    if isinstance(item, yaml.MappingNode) and item.value:
        return str(item.value[0][0].value)
    return str(item.value) if isinstance(item, yaml.ScalarNode) else ""


def _examples(node: yaml.Node | None, file: str) -> Iterator[Located]:
    """Each `- example` of a block scalar, with its own line."""
    if not isinstance(node, yaml.ScalarNode):
        return
    # A block scalar's value starts on the line after its `|`, one value line per file line.
    first = line_of(node) + (1 if node.style == "|" else 0)
    for offset, raw in enumerate(node.value.split("\n")):
        text = raw.strip()
        if text.startswith("- "):
            yield Located(text[2:].strip(), file, first + offset)


def _steps(story: yaml.Node, file: str) -> list[tuple[Located, Located | None]]:
    """The (key, value) of each step; the value is None when it is not a plain name."""
    steps = []
    for step in _items(_get(story, "steps")):
        for key, value in _pairs(step):
            if key.value in ("user", "slot_was_set", "entities", "condition"):
                continue
            text = value.value if isinstance(value, yaml.ScalarNode) else None
            steps.append(
                (
                    Located(key.value, file, line_of(key)),
                    None if text is None else Located(text, file, line_of(value)),
                )
            )
    return steps


# --- Tandem's rules ----------------------------------------------------------------
