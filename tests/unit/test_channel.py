"""The channels' request checks (the full channels run in tests/integration and tests/editor)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

import pytest
from rasa.shared.exceptions import RasaException

from bot.channel import (
    MAX_MESSAGE_CHARS,
    StoryTestsInput,
    TandemRestInput,
    story_test_files,
    validation_error,
)

if TYPE_CHECKING:
    from rasa.core.agent import Agent


def test_name_keeps_rasas_rest_url() -> None:
    channel = TandemRestInput.from_credentials({"token": "secret"})
    assert channel.name() == "rest"
    assert channel.url_prefix() == "rest"


@pytest.mark.parametrize("channel", [TandemRestInput, StoryTestsInput])
@pytest.mark.parametrize("credentials", [None, {}, {"token": ""}, {"token": 123}])
def test_refuses_to_run_without_a_token(
    channel: type[TandemRestInput | StoryTestsInput], credentials: dict[str, Any] | None
) -> None:
    with pytest.raises(RasaException, match=f"bot.channel.{channel.__name__} needs.*RASA_TOKEN"):
        channel.from_credentials(credentials)


def test_story_tests_have_their_own_url() -> None:
    assert StoryTestsInput.from_credentials({"token": "secret"}).url_prefix() == "story_tests"


@pytest.mark.parametrize("name", ["../escape.yml", "/tmp/elsewhere.yml", "a/../../b.yml"])
def test_story_tests_write_only_inside_their_own_folder(name: str) -> None:
    with pytest.raises(ValueError, match="not a file name inside the test folder"):
        asyncio.run(story_test_files(cast("Agent", None), {name: "stories: []"}))


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
