"""Business hours: when the team takes chats."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from handoff.service.hours import BusinessHours


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_always_open() -> None:
    hours = BusinessHours.parse("always")
    assert hours.is_open(at("2026-11-22T03:00"))


def test_weekdays_daytime() -> None:
    hours = BusinessHours.parse("mon-fri 08:00-20:00")
    assert hours.is_open(at("2026-11-23T08:00"))  # a Monday
    assert not hours.is_open(at("2026-11-23T20:00"))
    assert not hours.is_open(at("2026-11-22T12:00"))  # a Sunday


def test_week_that_wraps_around() -> None:
    hours = BusinessHours.parse("sat-mon 10:00-14:00")
    assert hours.is_open(at("2026-11-22T11:00"))  # Sunday
    assert not hours.is_open(at("2026-11-25T11:00"))  # Wednesday


@pytest.mark.parametrize("text", ["weekdays", "mon-xyz 08:00-20:00", "mon 8-20", "* 00:00-24:00"])
def test_bad_hours_are_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(ValueError, match="mon-fri 08:00-20:00"):
        BusinessHours.parse(text)
