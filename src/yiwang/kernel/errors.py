"""Domain errors: every API answers bad input with {"error": {code, message, field}} and a 4xx."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the caller can act on. `code` is stable, `message` is for people (Chinese)."""

    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, *, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, dict[str, str | None]]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ValidationFailed(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Unauthenticated(DomainError):
    status = 401


class RateLimited(DomainError):
    status = 429
