"""The one error the gateway's services raise when they refuse what a client asked."""

from __future__ import annotations


class GatewayError(Exception):
    """An event the gateway refuses; ``code`` is sent to the client with the message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        # The client message id of the refused event, echoed so the client knows which one.
        self.message_id: str | None = None
