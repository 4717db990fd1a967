"""The project's content as the editors' checks see it: every part with its file and line.

``Content.read`` parses domain.yml, data/ and tests/stories/ once, keeping YAML
nodes so each rule can name the line of what it complains about; ``Problem`` is
what every check reports, as `file:line: problem — fix`, with the line itself and
a caret under the column when the column is known.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

# Retrieval intents (`faq/opening_hours`) and their responses (`utter_faq/opening_hours`).
RETRIEVAL_SEPARATOR = "/"


@dataclasses.dataclass(frozen=True, order=True)
class Problem:
    """One fault in the content, where it is, and how to fix it."""

    file: str  # relative to the project root
    line: int  # 1-based; 0 when nothing in the files can be pointed at
    what: str
    fix: str
    column: int = 0  # 1-based; 0 when the whole line is meant
    source: str = ""  # the text of the line, shown with a caret under the column

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.column:
            where += f":{self.column}"
        text = f"{where}: {self.what} — {self.fix}"
        if self.source and self.column:
            # A tab shows as an arrow, one character wide, so the caret stays under it.
            shown = self.source.replace("\t", "→")
            text += f"\n    {shown}\n    {' ' * (self.column - 1)}^"
        return text


def at(file: str, text: str, line: int, column: int, what: str, fix: str) -> Problem:
    """A Problem at a 1-based ``line`` and ``column`` of ``text``, showing that line."""
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return Problem(file, line, what, fix, column, source)


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is most likely a misspelling of, if one is close enough."""
    found = difflib.get_close_matches(name, sorted(set(known)), n=1, cutoff=0.75)
    return found[0] if found else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """ "did you mean 'x'? ", to open a fix with, or "" when no known name is close."""
    near = closest(name, known)
    return f"did you mean '{near}'? " if near else ""


@dataclasses.dataclass(frozen=True)
class Located:
    """A value read from YAML, with the file and 1-based line it came from."""

    value: str
    file: str
    line: int


# --- reading YAML with line numbers -----------------------------------------------


def read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """``text``'s node tree (for lines) and its data, read with libyaml's fast parser.

    A YAMLError is raised as PyYAML's own parser raises it: libyaml marks some
    errors (a list left open at the end) a line later, and messages quote the mark.
    """
    try:
        return yaml.compose(text, Loader=yaml.CSafeLoader), yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)


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
    examples: dict[str, list[Located]]  # intent (`faq/hours` for an FAQ) -> its examples
    intent_blocks: dict[str, Located]  # intent -> its first `- intent:` line in data/nlu/
    responses: dict[str, yaml.Node]  # name -> its list of variants
    response_places: dict[str, Located]  # name -> where it is defined (domain.yml or data/)
    forms: dict[str, int]  # name -> line in domain.yml
    form_slots: dict[str, list[Located]]  # name -> its required slots
    slots: dict[str, int]  # name -> line in domain.yml
    actions: list[Located]  # the custom actions listed in domain.yml
    mapping_intents: list[Located]  # intents that slot mappings in domain.yml name
    data_steps: list[tuple[Located, Located | None]]  # (key, value) of every story/rule step
    test_stories: list[tuple[Located, list[tuple[Located, Located | None]]]]
    slots_set: list[Located]  # slots that `slot_was_set` steps of data/ and tests/ name
    stray_lines: list[Located]  # lines of an `examples: |` block not starting with `- `

    @classmethod
    def read(cls, root: Path) -> Content:
        domain = _compose(root / "domain.yml")
        intents = [
            Located(_name(item), "domain.yml", line_of(item))
            for item in _items(_get(domain, "intents"))
        ]
        responses = {k.value: v for k, v in _pairs(_get(domain, "responses"))}
        places = {
            k.value: Located(k.value, "domain.yml", line_of(k))
            for k, _ in _pairs(_get(domain, "responses"))
        }
        forms = {k.value: line_of(k) for k, _ in _pairs(_get(domain, "forms"))}
        form_slots = {
            k.value: [
                Located(s.value, "domain.yml", line_of(s))
                for s in _items(_get(v, "required_slots"))
            ]
            for k, v in _pairs(_get(domain, "forms"))
        }
        slot_pairs = _pairs(_get(domain, "slots"))
        mapping_intents = [
            Located(name.value, "domain.yml", line_of(name))
            for _, slot in slot_pairs
            for mapping in _items(_get(slot, "mappings"))
            for key in ("intent", "not_intent")
            for name in _names(_get(mapping, key))
        ]
        actions = [
            Located(_name(item), "domain.yml", line_of(item))
            for item in _items(_get(domain, "actions"))
        ]
        examples: dict[str, list[Located]] = {}
        blocks: dict[str, Located] = {}
        steps: list[tuple[Located, Located | None]] = []
        slots_set: list[Located] = []
        stray: list[Located] = []
        for path in yaml_files(root, "data"):
            node, name = _compose(path), relative(root, path)
            for block in _items(_get(node, "nlu")):
                intent = _get(block, "intent")
                if intent is not None:
                    blocks.setdefault(intent.value, Located(intent.value, name, line_of(intent)))
                    found = examples.setdefault(intent.value, [])
                    for line in _examples(_get(block, "examples"), name):
                        if line.value.startswith("- "):
                            found.append(dataclasses.replace(line, value=line.value[2:].strip()))
                        else:
                            stray.append(dataclasses.replace(line, value=line.value.strip()))
            # Rasa reads responses from data/ too: an FAQ keeps its answer beside its examples.
            for key, variants in _pairs(_get(node, "responses")):
                responses.setdefault(key.value, variants)
                places.setdefault(key.value, Located(key.value, name, line_of(key)))
            for kind in ("stories", "rules"):
                for story in _items(_get(node, kind)):
                    steps.extend(_steps(story, name))
                    slots_set.extend(_slots_set(story, name))
        tests = []
        for path in yaml_files(root, "tests/stories"):
            name = relative(root, path)
            for story in _items(_get(_compose(path), "stories")):
                title = _get(story, "story")
                slots_set.extend(_slots_set(story, name))
                if title is not None:
                    tests.append((Located(title.value, name, line_of(title)), _steps(story, name)))
        # Rasa adds the retrieval intent of FAQs (`faq` for `faq/hours`) to the domain itself.
        listed = {i.value for i in intents}
        for name, where in blocks.items():
            base = name.split(RETRIEVAL_SEPARATOR)[0]
            if RETRIEVAL_SEPARATOR in name and base not in listed:
                listed.add(base)
                intents.append(Located(base, where.file, where.line))
        return cls(
            root=root,
            intents=intents,
            examples=examples,
            intent_blocks=blocks,
            responses=responses,
            response_places=places,
            forms=forms,
            form_slots=form_slots,
            slots={k.value: line_of(k) for k, _ in slot_pairs},
            actions=actions,
            mapping_intents=mapping_intents,
            data_steps=steps,
            test_stories=tests,
            slots_set=slots_set,
            stray_lines=stray,
        )

    def faq_examples(self, intent: str) -> list[Located]:
        """The examples of a retrieval intent (`faq`): those of all its questions together."""
        prefix = intent + RETRIEVAL_SEPARATOR
        return [e for name, exs in self.examples.items() if name.startswith(prefix) for e in exs]


def _name(item: yaml.Node) -> str:
    """An intent listed as `- greet` or as `- greet: {use_entities: ...}`."""
    if isinstance(item, yaml.MappingNode) and item.value:
        return str(item.value[0][0].value)
    return str(item.value) if isinstance(item, yaml.ScalarNode) else ""


def _names(node: yaml.Node | None) -> list[yaml.ScalarNode]:
    """A name or a list of names, as slot mappings write `intent:`."""
    if isinstance(node, yaml.ScalarNode):
        return [node]
    return [n for n in _items(node) if isinstance(n, yaml.ScalarNode)]


def _slots_set(story: yaml.Node, file: str) -> Iterator[Located]:
    """The slot names of a story's `slot_was_set` steps (`- slot: value` or `- slot`)."""
    for step in _items(_get(story, "steps")):
        for item in _items(_get(step, "slot_was_set")):
            if isinstance(item, yaml.MappingNode):
                yield from (Located(k.value, file, line_of(k)) for k, _ in item.value)
            elif isinstance(item, yaml.ScalarNode):
                yield Located(item.value, file, line_of(item))


def _examples(node: yaml.Node | None, file: str) -> Iterator[Located]:
    """Each non-empty line of a block scalar, as written (`- example`), with its own line.

    Rasa reads only lines starting with `- `; one indented further keeps its extra
    spaces in the block, so it does not, and Rasa skips it.
    """
    if not isinstance(node, yaml.ScalarNode):
        return
    # A block scalar's value starts on the line after its `|`, one value line per file line.
    first = line_of(node) + (1 if node.style == "|" else 0)
    for offset, raw in enumerate(node.value.split("\n")):
        if raw.strip():
            yield Located(raw.rstrip(), file, first + offset)


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
