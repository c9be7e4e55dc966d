"""Errors the services raise; the web and API layers map each to a status and a message."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the user."""

    status = 400

    def __init__(self, message: str, detail: Any = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        # The form field the message is about, when there is one: forms show it beside it.
        self.field = field


class Invalid(ServiceError):
    """Bad input: the message says which field and why."""

    status = 400


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """A stale write or an action not valid now; detail holds the current state."""

    status = 409


class Duplicate(ServiceError):
    """An article with the same content exists; detail is its id."""

    status = 409


class TooLarge(ServiceError):
    """Refuse input larger than the desk handles (HTTP 413)."""

    status = 413
