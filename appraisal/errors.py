"""Errors that services raise for the user to read, and pages for HTTP errors."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the user can act on; `field` names the form field it belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
