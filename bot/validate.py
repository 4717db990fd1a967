"""`python -m bot validate`: Rasa's data validation, failing on any warning it cannot explain.

Rasa's validator only sees responses named in stories and rules, so it reports
every response a form asks with (`utter_ask_<slot>`) or a custom action utters
as unused, and intents the gateway triggers (`EXTERNAL_*`) as lacking examples.
Those are checked here instead: a response counts as used when a form
asks for its slot, or when Python code in `actions/` or `bot/` names it (a literal like
``"utter_payment_done"``, or a prefix in an f-string like ``f"utter_explain_{slot}"``).
Every other warning fails the check.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from bot.settings import ROOT

_UNUSED = re.compile(r"The utterance '(utter_\w+)' is not used in any story or rule\.")
# Intents named EXTERNAL_* are triggered by the gateway over Rasa's API, never typed.
_EXTERNAL_WITHOUT_EXAMPLES = re.compile(
    r"The intent 'EXTERNAL_\w+' is listed in the domain file, but is not found in the NLU"
)
_NAMED = re.compile(r"""["'](utter_\w*)(\{?)""")


def responses_named_in_code(root: Path) -> tuple[set[str], set[str]]:
    """Response names the Python code utters: exact names, and prefixes completed at run time."""
    names: set[str] = set()
    prefixes: set[str] = set()
    sources = [*(root / "actions").glob("*.py"), *(root / "bot").glob("*.py")]
    for source in sorted(s for s in sources if s.name != Path(__file__).name):
        for name, templated in _NAMED.findall(source.read_text(encoding="utf-8")):
            (prefixes if templated else names).add(name)
    return names, prefixes


def form_questions(domain: dict) -> set[str]:
    """The `utter_ask_<slot>` responses forms use for their required slots."""
    return {
        f"utter_ask_{slot}"
        for form in (domain.get("forms") or {}).values()
        for slot in (form or {}).get("required_slots", [])
    }


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


def problems(root: Path = ROOT) -> list[str]:
    """What is wrong with the project's content, one sentence each; empty when all is well."""
    import yaml

    passed, messages = rasa_warnings(root)
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    names, prefixes = responses_named_in_code(root)
    explained = names | form_questions(domain)
    found = []
    for message in messages:
        if _EXTERNAL_WITHOUT_EXAMPLES.search(message):
            continue
        unused = _UNUSED.search(message)
        if unused:
            response = unused.group(1)
            if response in explained or any(response.startswith(p) for p in prefixes):
                continue
            message += " Use it in a rule or story, utter it from an action, or delete it."
        found.append(message)
    if not passed and not found:
        found.append("Rasa's validation failed: run `rasa data validate` for its full report.")
    return found
