"""Stand-ins shared by the gateway's service and namespace tests: what was emitted, and a Rasa.

``EmitRecorder`` takes the place of ``socketio.emit`` and keeps every event the
``Relay`` sends, with its room and namespace. ``ScriptedRasa`` answers each text
(or triggered intent) with the replies a test scripted, records what it was asked,
and can be switched "down" to raise ``RasaUnavailable`` like an unreachable Rasa.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from handoff.rasa_client import RasaClient, RasaUnavailable

Reply = dict[str, Any]
# What the bot answers a text nobody scripted: a reply that can be told apart in assertions.
FALLBACK_TEXT = "Sorry, I didn't get that."


class Emitted(NamedTuple):
    """One ``emit`` call as the Relay made it."""

    event: str
    data: Any
    to: str | None
    namespace: str | None


class EmitRecorder:
    """Records every ``emit(event, data, to=..., namespace=...)`` instead of sending it."""

    def __init__(self) -> None:
        self.emitted: list[Emitted] = []

    def __call__(
        self, event: str, data: Any, to: str | None = None, namespace: str | None = None
    ) -> None:
        self.emitted.append(Emitted(event, data, to, namespace))

    def clear(self) -> None:
        self.emitted.clear()

    def to_room(self, room: str) -> list[Emitted]:
        """Everything sent to ``room``, in order."""
        return [e for e in self.emitted if e.to == room]

    def events(self, event: str, to: str | None = None) -> list[Any]:
        """The payloads of ``event`` (only those sent to ``to`` when given), in order."""
        return [e.data for e in self.emitted if e.event == event and (to is None or e.to == to)]

    def names(self, to: str) -> list[str]:
        """The names of the events sent to ``to``, in order."""
        return [e.event for e in self.to_room(to)]


class ScriptedRasa(RasaClient):
    """A Rasa that answers from a script and never touches the network.

    It is a ``RasaClient`` so that it type-checks wherever the gateway takes one; every
    public call is answered here, and ``_call`` (the only way out to HTTP) fails loudly.
    """

    def __init__(self) -> None:
        super().__init__("http://rasa.invalid", "scripted-token", timeout=0.01)
        self.down = False
        self._replies: dict[str, list[Reply]] = {}
        self._intent_replies: dict[str, list[Reply]] = {}
        self.sent: list[tuple[str, str]] = []
        self.metadata: list[dict[str, Any] | None] = []  # given with each of ``sent``
        self.slots: list[tuple[str, dict[str, Any]]] = []
        self.triggered: list[tuple[str, str]] = []

    def script(self, text: str, *replies: Reply) -> None:
        """Answer ``text`` with ``replies`` (e.g. {"text"}, {"text", "buttons"}, {"custom"})."""
        self._replies[text] = list(replies)

    def script_intent(self, intent: str, *replies: Reply) -> None:
        """Answer ``trigger(..., intent)`` with ``replies``."""
        self._intent_replies[intent] = list(replies)

    def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[Reply]:
        self._check_up()
        self.sent.append((conversation_id, text))
        self.metadata.append(metadata)
        return [dict(r) for r in self._replies.get(text, [{"text": FALLBACK_TEXT}])]

    def set_slots(self, conversation_id: str, slots: dict[str, Any]) -> None:
        self._check_up()
        self.slots.append((conversation_id, dict(slots)))

    def trigger(
        self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None
    ) -> list[Reply]:
        self._check_up()
        self.triggered.append((conversation_id, intent))
        return [dict(r) for r in self._intent_replies.get(intent, [])]

    def tracker(
        self, conversation_id: str, include_events: str = "AFTER_RESTART"
    ) -> dict[str, Any]:
        raise AssertionError("ScriptedRasa has no tracker; script what the test needs.")

    def _call(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ScriptedRasa never goes to the network.")

    def _check_up(self) -> None:
        if self.down:
            raise RasaUnavailable("Rasa at http://rasa.invalid is unreachable (scripted).")
