"""The review form: the criteria supervisors score a closed chat on, read from YAML.

Team leads edit ``handoff/review_form.yml`` without touching code, so a mistake in it
must say where it is: the gateway reads the form when it starts, and a malformed one
stops it with the file and line. A criterion's scale is a range of whole numbers
("1-5") or "yes/no"; ``ReviewForm.scores`` checks a review's scores against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "review_form.yml"
MAX_CRITERIA = 20
MAX_QUESTION_CHARS = 300
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_RANGE = re.compile(r"(\d+)\s*-\s*(\d+)")
YES_NO = ("yes", "no")


class InvalidForm(Exception):
    """The form's file is malformed; the message names the file and line."""


class InvalidScores(ValueError):
    """A review's scores do not fit the form; the message says which criterion."""


@dataclass(frozen=True)
class Criterion:
    """One question of the form and the answers it takes."""

    name: str
    question: str
    scale: str  # "1-5" or "yes/no", as written in the file

    @property
    def choices(self) -> list[Any]:
        """The answers, in the order the form offers them: numbers low to high, or yes/no."""
        if self.scale == "yes/no":
            return list(YES_NO)
        low, high = (int(n) for n in self.scale.split("-"))
        return list(range(low, high + 1))


@dataclass(frozen=True)
class ReviewForm:
    """The criteria, in the file's order."""

    criteria: tuple[Criterion, ...]

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> ReviewForm:
        """The form in ``path``; raises ``InvalidForm`` naming the file and line of a mistake."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidForm(f"{path}: cannot read the review form ({error.strerror}).") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str = "review_form.yml") -> ReviewForm:
        """The form written in ``text`` (``source`` names it in errors)."""
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else 1
            raise InvalidForm(f"{source}, line {line}: not valid YAML ({error.problem}).") from None
        if root is None:
            raise InvalidForm(f"{source}: empty; it needs a list of 'criteria'.")
        top = _mapping(root, source, "the file")
        if set(top) != {"criteria"}:
            raise InvalidForm(
                f"{_where(source, root)}: the file holds 'criteria' and nothing else."
            )
        items = top["criteria"]
        if not isinstance(items, SequenceNode) or not items.value:
            raise InvalidForm(f"{_where(source, items)}: 'criteria' must be a list of criteria.")
        if len(items.value) > MAX_CRITERIA:
            raise InvalidForm(f"{_where(source, items)}: at most {MAX_CRITERIA} criteria.")
        criteria: list[Criterion] = []
        for node in items.value:
            criterion = _criterion(node, source)
            if criterion.name in {c.name for c in criteria}:
                raise InvalidForm(f"{_where(source, node)}: '{criterion.name}' is there twice.")
            criteria.append(criterion)
        return cls(tuple(criteria))

    def scores(self, given: Any) -> dict[str, Any]:
        """``given`` checked against the form: every criterion answered from its scale."""
        if not isinstance(given, dict):
            raise InvalidScores("'scores' must be an object of criterion: answer.")
        unknown = sorted(set(given) - {c.name for c in self.criteria})
        if unknown:
            raise InvalidScores(f"'{unknown[0]}' is not a criterion of the review form.")
        checked = {}
        for criterion in self.criteria:
            value = given.get(criterion.name)
            # JSON true is not 1: only a number answers a numeric scale.
            if isinstance(value, bool) or value not in criterion.choices:
                answers = ", ".join(str(choice) for choice in criterion.choices)
                raise InvalidScores(f"'{criterion.name}' needs one of: {answers}.")
            checked[criterion.name] = value
        return checked

    def for_browser(self) -> list[dict[str, Any]]:
        """The criteria as the supervisor page draws the form."""
        return [
            {"name": c.name, "question": c.question, "scale": c.scale, "choices": c.choices}
            for c in self.criteria
        ]


def _where(source: str, node: Node) -> str:
    return f"{source}, line {node.start_mark.line + 1}"


def _mapping(node: Node, source: str, what: str) -> dict[str, Node]:
    if not isinstance(node, MappingNode):
        raise InvalidForm(f"{_where(source, node)}: {what} must be a mapping of key: value.")
    return {str(key.value): value for key, value in node.value}


def _text(fields: dict[str, Node], key: str, source: str, node: Node) -> str:
    value = fields.get(key)
    if value is None:
        raise InvalidForm(f"{_where(source, node)}: the criterion has no '{key}'.")
    if not isinstance(value, ScalarNode) or not str(value.value).strip():
        raise InvalidForm(f"{_where(source, value)}: '{key}' must be some text.")
    return str(value.value).strip()


def _criterion(node: Node, source: str) -> Criterion:
    fields = _mapping(node, source, "a criterion")
    extra = sorted(set(fields) - {"name", "question", "scale"})
    if extra:
        raise InvalidForm(
            f"{_where(source, fields[extra[0]])}: unknown key '{extra[0]}' "
            "(a criterion has a name, a question and a scale)."
        )
    name = _text(fields, "name", source, node)
    if not _NAME.fullmatch(name):
        raise InvalidForm(
            f"{_where(source, fields['name'])}: the name '{name}' must be lowercase letters, "
            "digits and _, starting with a letter."
        )
    question = _text(fields, "question", source, node)
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidForm(
            f"{_where(source, fields['question'])}: at most {MAX_QUESTION_CHARS} characters."
        )
    scale = _scale(_text(fields, "scale", source, node).lower(), _where(source, fields["scale"]))
    return Criterion(name, question, scale)


def _scale(text: str, where: str) -> str:
    if text == "yes/no":
        return text
    found = _RANGE.fullmatch(text)
    if found:
        low, high = int(found[1]), int(found[2])
        if low in (0, 1) and low < high <= 10:
            return f"{low}-{high}"
    raise InvalidForm(
        f"{where}: the scale '{text}' must be like 1-5 (from 0 or 1, up to 10) or yes/no."
    )
