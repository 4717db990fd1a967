"""Counting lines across a fault: what one side sent, what the other received."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """Lines one side sent and the other side received, by their (unique) text."""

    name: str
    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Sent, delivered (at least once), lost (never) and duplicated (extra copies)."""
        got = Counter(self.received)
        return {
            "sent": len(self.sent),
            "delivered": sum(1 for text in self.sent if got[text]),
            "lost": sum(1 for text in self.sent if not got[text]),
            "duplicated": sum(copies - 1 for copies in got.values() if copies > 1),
        }

    def check(self) -> None:
        """Fail on any line lost or received twice, with the counts."""
        counts = self.counts()
        assert counts["lost"] == counts["duplicated"] == 0, f"{self.name}: {counts}"
