"""What the assistant says, read from domain.yml: offers come with the means to take them."""

from __future__ import annotations

from typing import Any

import yaml

from core.settings import ROOT

RESPONSES: dict[str, list[dict[str, Any]]] = yaml.safe_load(
    (ROOT / "domain.yml").read_text(encoding="utf-8")
)["responses"]


def test_every_offer_of_a_person_has_the_button() -> None:
    missing = [
        name
        for name, variations in RESPONSES.items()
        for variation in variations
        if not name.startswith("utter_handoff_")  # these connect at once: nothing to tap
        and ("person" in variation.get("text", "") or '"agent"' in variation.get("text", ""))
        and {"title": "Talk to a person", "payload": "/request_human"}
        not in variation.get("buttons", [])
    ]
    assert missing == []
