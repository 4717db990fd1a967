"""Tandem's REST channel: Rasa's REST input with a token, input checks and card masking.

Rasa's ``--auth-token`` protects only its HTTP API, not channel webhooks, and the
stock REST channel stores whatever text it gets. This channel is the only one
configured for customers (``credentials.yml``), so every customer message
passes through it: it refuses requests without the Rasa token, refuses malformed
or oversized messages with a clear 400, and masks card numbers before Rasa (and
so the tracker store and its logs) ever sees them. ``StoryTestsInput``, beside
it, takes no messages: it runs story tests for the editors' warm stack.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse
from typing_extensions import Self

from core.redaction import holds_masked_card, mask_card_numbers
from core.service_tokens import is_authorized

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000
MAX_SENDER_CHARS = 128
MASKED_NOTICE = "utter_card_number_masked"


class TokenInput(InputChannel):
    """A channel whose requests must carry the Rasa token (``token: ${RASA_TOKEN}``)."""

    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> Self:
        """Build from the ``token`` in ``credentials.yml``; refuse to run without one."""
        token = (credentials or {}).get("token")
        if not isinstance(token, str) or not token:
            raise RasaException(
                f"bot.channel.{cls.__name__} needs a non-empty 'token' in credentials.yml "
                "(token: ${RASA_TOKEN}); set RASA_TOKEN."
            )
        return cls(token)


class TandemRestInput(TokenInput, RestInput):
    """REST channel at ``/webhooks/rest/webhook`` that requires the Rasa token."""

    @classmethod
    def name(cls) -> str:
        """Keeps Rasa's REST URL, so Rasa clients work unchanged."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes: ``GET /`` (health) and ``POST /webhook`` (one customer message)."""
        webhook = Blueprint("tandem_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not is_authorized(request, self.token):
                return response.json(
                    {"error": "Missing or wrong token (use ?token= or Authorization: Bearer)."},
                    status=401,
                )
            try:
                body = request.json
            except InvalidUsage:
                body = None
            error = validation_error(body, stream=bool_arg(request, "stream", default=False))
            if error:
                return response.json({"error": error}, status=400)

            sender: str = body["sender"]
            text, masked = mask_card_numbers(body["message"])
            # the gateway masks what customers type before it gets here: tell them all the same
            masked = masked or holds_masked_card(text)
            collector = CollectingOutputChannel()
            if masked:
                notice = masked_notice(request)
                if notice:
                    await collector.send_text_message(sender, notice)
            message = UserMessage(
                text,
                collector,
                sender,
                input_channel=self.name(),
                metadata=body.get("metadata"),
            )
            try:
                await on_new_message(message)
            except Exception:
                # The message text stays out of the log: it is customer data.
                logger.exception("The assistant failed to handle a message.")
                return response.json(
                    {"error": "The assistant failed to handle the message."}, status=500
                )
            return response.json(collector.messages)

        return webhook


class StoryTestsInput(TokenInput):
    """``POST /webhooks/story_tests/run``: Rasa's story tests on the model this server has loaded.

    `rasa test core` loads the model (most of a minute) before its first story;
    `python -m bot test-bot` asks the warm stack's Rasa instead, which runs the
    same test function on the agent it has loaded. Body ``{"stories": {name: YAML}}``;
    answer: the files that function writes (failed_test_stories.yml,
    story_report.json), naming the stories' files as sent. The Rasa token is
    required, as for Rasa's own ``/model/test/stories``; nothing is stored.
    """

    @classmethod
    def name(cls) -> str:
        return "story_tests"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """One route, ``POST /run``; it never passes a message on."""
        routes = Blueprint("tandem_story_tests", __name__)

        @routes.route("/run", methods=["POST"])
        async def run(request: Request) -> HTTPResponse:
            if not is_authorized(request, self.token):
                return response.json({"error": "Missing or wrong token."}, status=401)
            try:
                body = request.json
            except InvalidUsage:
                body = None
            stories = body.get("stories") if isinstance(body, dict) else None
            if not isinstance(stories, dict) or not all(
                isinstance(name, str) and isinstance(text, str) for name, text in stories.items()
            ):
                return response.json({"error": 'Send {"stories": {name: YAML}}.'}, status=400)
            agent = request.app.ctx.agent
            if agent is None or not agent.is_ready():
                return response.json({"error": "No model is loaded yet."}, status=503)
            try:
                return response.json(await story_test_files(agent, stories))
            except ValueError as error:
                return response.json({"error": str(error)}, status=400)

        return routes


async def story_test_files(agent: Agent, stories: dict[str, str]) -> dict[str, str]:
    """Rasa's story tests of ``stories`` (name: YAML) on ``agent``: the files they write."""
    from rasa.core.test import test

    with tempfile.TemporaryDirectory(prefix="tandem-stories-") as tmp:
        folder, out = Path(tmp) / "stories", Path(tmp) / "out"
        for name, text in stories.items():
            path = (folder / name).resolve()
            if not path.is_relative_to(folder.resolve()):
                raise ValueError(f"{name!r} is not a file name inside the test folder.")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        out.mkdir()  # as `rasa test core` makes it: the test function expects it
        await test(str(folder), agent, out_directory=str(out), disable_plotting=True)
        return {
            path.name: path.read_text(encoding="utf-8").replace(f"{folder}/", "")
            for path in sorted(out.iterdir())
            if path.is_file()
        }


def validation_error(body: Any, stream: bool = False) -> str | None:
    """What is wrong with a webhook request body, or None when it is acceptable."""
    if stream:
        return "Streaming is not supported by this channel; omit 'stream'."
    if not isinstance(body, dict):
        return "The body must be a JSON object with 'sender' and 'message'."
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        return "'sender' must be a non-empty string."
    if len(sender) > MAX_SENDER_CHARS:
        return f"'sender' is longer than {MAX_SENDER_CHARS} characters."
    message = body.get("message")
    if not isinstance(message, str) or not message.strip():
        return "'message' must be a non-empty string."
    if len(message) > MAX_MESSAGE_CHARS:
        return f"'message' is longer than {MAX_MESSAGE_CHARS} characters."
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "'metadata' must be a JSON object when given."
    return None


def masked_notice(request: Request) -> str | None:
    """The domain's text telling the customer a card number was masked."""
    variations = request.app.ctx.agent.domain.responses.get(MASKED_NOTICE) or []
    text = variations[0].get("text") if variations else None
    if not text:
        logger.error("domain.yml has no text response %r; no notice was sent.", MASKED_NOTICE)
    return text
