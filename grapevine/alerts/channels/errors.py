"""The one error a channel raises when a message did not get through."""

from __future__ import annotations

from datetime import timedelta

from config import redact

__all__ = ["DeliveryError"]


class DeliveryError(Exception):
    """A delivery attempt failed.

    ``permanent`` means retrying cannot help (the receiver said the hook is gone, the
    payload is refused); ``retry_after`` is the receiver's own request to wait. The message
    is redacted on the way in, so it can be logged and stored as ``last_error``.
    """

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: timedelta | None = None
    ) -> None:
        super().__init__(redact(message))
        self.permanent = permanent
        self.retry_after = retry_after
