"""One error tree for the whole package.

Every error carries a stable ``code``, an HTTP status, a CLI exit code and its message in both
languages. The API renders it as RFC 9457 problem+json; the CLI prints it and exits::

    DataportError
     ├── InvalidInput (422)        bad request data, naming the field
     │    └── SourceError (422)    a dataset source that cannot be read, naming file/row/column
     ├── NotAuthenticated (401)    missing, malformed, expired or revoked credentials
     ├── PermissionDenied (403)    authenticated, but the role does not allow it
     ├── NotFound (404)            absent, or belonging to another organisation
     ├── Conflict (409)            would duplicate or contradict existing state
     └── Unavailable (503)         a dependency (database, remote source) cannot be reached
"""

from __future__ import annotations

from typing import Any, ClassVar

from dataport.config import Language


class DataportError(Exception):
    """Base class: a failure a user can understand and act on."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(
        self,
        en: str,
        zh: str,
        *,
        field: str | None = None,
        **details: Any,
    ) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh
        self.field = field
        self.details = details

    def message(self, lang: Language) -> str:
        return self.zh if lang == "zh-CN" else self.en

    def problem(self, lang: Language, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem details object for this error."""
        body: dict[str, Any] = {
            "type": f"urn:dataport:error:{self.code}",
            "title": self.code.replace("_", " "),
            "status": self.http_status,
            "detail": self.message(lang),
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DataportError):
    code = "invalid_input"
    http_status = 422
    exit_code = 2


class SourceError(InvalidInput):
    code = "unreadable_source"
    exit_code = 3


class NotAuthenticated(DataportError):
    code = "not_authenticated"
    http_status = 401
    exit_code = 5


class PermissionDenied(DataportError):
    code = "permission_denied"
    http_status = 403
    exit_code = 5


class NotFound(DataportError):
    code = "not_found"
    http_status = 404
    exit_code = 4


class Conflict(DataportError):
    code = "conflict"
    http_status = 409
    exit_code = 6


class Unavailable(DataportError):
    code = "unavailable"
    http_status = 503
    exit_code = 7
