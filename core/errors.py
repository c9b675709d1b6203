"""Errors a caller can act on. Each carries a machine-readable `extensions.code` and, where it
concerns one input field, `extensions.field` (the path inside the input object).

graphql-core copies an exception's `extensions` attribute into the GraphQL error, so resolvers
simply raise these. Messages never contain a child's personal data.
"""

from typing import Any


class CareGraphError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extensions: dict[str, Any] = {"code": self.code}
        if field is not None:
            self.extensions["field"] = field
        self.extensions.update(details)


class ValidationFailed(CareGraphError):
    code = "VALIDATION_FAILED"


class NotFound(CareGraphError):
    code = "NOT_FOUND"


class Conflict(CareGraphError):
    code = "CONFLICT"


class Unauthenticated(CareGraphError):
    code = "UNAUTHENTICATED"


class Forbidden(CareGraphError):
    code = "FORBIDDEN"


class InvalidTransition(CareGraphError):
    """A workflow step the case's current status does not allow (e.g. a plan before any
    assessment). Extensions name the status and the statuses the step needs."""

    code = "INVALID_TRANSITION"


class LimitExceeded(CareGraphError):
    """A request larger than the platform accepts. Extensions name the limit (`depth`,
    `aliases`, `tokens`, `nodes`, `bodyBytes`, `time`), its `maximum` and, where it can be
    known before running, the request's `actual` value."""

    code = "LIMIT_EXCEEDED"


class RateLimited(CareGraphError):
    """The caller spent their cost points for the current window; `retryAfter` seconds."""

    code = "RATE_LIMITED"


class DocumentNotTrusted(CareGraphError):
    """In production, a caller required to send registered documents sent another one (or a
    document id that nobody registered)."""

    code = "DOCUMENT_NOT_TRUSTED"


class IdempotencyKeyReused(CareGraphError):
    """The same Idempotency-Key was sent with a different request."""

    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInUse(CareGraphError):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "IDEMPOTENCY_KEY_IN_USE"


class ServiceUnavailable(CareGraphError):
    """The database cannot be reached. Nothing was written; the same request may be retried
    (extensions carry `retryable: true` and `retryAfter` seconds)."""

    code = "SERVICE_UNAVAILABLE"
