"""The REST channel's request checks (the full channel runs in tests/integration/test_stack.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.shared.exceptions import RasaException

from bot.channel import MAX_MESSAGE_CHARS, TandemRestInput, validation_error


def test_name_keeps_rasas_rest_url() -> None:
    channel = TandemRestInput.from_credentials({"token": "secret"})
    assert channel.name() == "rest"
    assert channel.url_prefix() == "rest"


@pytest.mark.parametrize("credentials", [None, {}, {"token": ""}, {"token": 123}])
def test_refuses_to_run_without_a_token(credentials: dict[str, Any] | None) -> None:
    with pytest.raises(RasaException, match="RASA_TOKEN"):
        TandemRestInput.from_credentials(credentials)


def test_a_normal_message_is_accepted() -> None:
    assert validation_error({"sender": "c1", "message": "hi", "metadata": {"a": 1}}) is None
    assert validation_error({"sender": "c1", "message": "x" * MAX_MESSAGE_CHARS}) is None


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        (None, "JSON object"),
        (["hi"], "JSON object"),
        ({"message": "hi"}, "'sender'"),
        ({"sender": "", "message": "hi"}, "'sender'"),
        ({"sender": 7, "message": "hi"}, "'sender'"),
        ({"sender": "s" * 129, "message": "hi"}, "'sender' is longer"),
        ({"sender": "c1"}, "'message'"),
        ({"sender": "c1", "message": ""}, "'message'"),
        ({"sender": "c1", "message": "   "}, "'message'"),
        ({"sender": "c1", "message": ["hi"]}, "'message'"),
        ({"sender": "c1", "message": "x" * (MAX_MESSAGE_CHARS + 1)}, "longer than 10000"),
        ({"sender": "c1", "message": "hi", "metadata": "x"}, "'metadata'"),
    ],
)
def test_bad_bodies_get_a_clear_complaint(body: Any, complaint: str) -> None:
    error = validation_error(body)
    assert error is not None
    assert complaint in error


def test_streaming_is_refused() -> None:
    error = validation_error({"sender": "c1", "message": "hi"}, stream=True)
    assert error is not None
    assert "Streaming" in error
