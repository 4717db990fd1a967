"""Business hours: when the team takes chats. Outside them customers may leave an email."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

_RANGE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessHours:
    """Opening minutes of the day (UTC) on the listed weekdays; "always" is every minute."""

    days: frozenset[int]
    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """ "always", or e.g. "mon-fri 08:00-20:00" (UTC); a bad value raises ValueError."""
        text = text.strip().lower()
        if text in ("", "always"):
            return cls(frozenset(range(7)), 0, 24 * 60)
        days_text, _, hours_text = text.partition(" ")
        first, _, last = days_text.partition("-")
        match = _RANGE.fullmatch(hours_text.strip())
        if first not in _DAYS or (last and last not in _DAYS) or not match:
            raise ValueError(
                f"BUSINESS_HOURS {text!r} is not 'always' or like 'mon-fri 08:00-20:00' (UTC)."
            )
        start_day, end_day = _DAYS.index(first), _DAYS.index(last or first)
        days = {d % 7 for d in range(start_day, end_day + 1 + (7 if end_day < start_day else 0))}
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(frozenset(days), h1 * 60 + m1, h2 * 60 + m2)

    def is_open(self, at: float) -> bool:
        moment = datetime.fromtimestamp(at, tz=timezone.utc)
        minute = moment.hour * 60 + moment.minute
        return moment.weekday() in self.days and self.start <= minute < self.end
