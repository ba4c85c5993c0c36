"""Errors a reference system answers with, and the JSON shape of every error body.

Exception
└── ApiError            any status, any code
    ├── NotFound        404 NOT_FOUND
    └── Unprocessable   422 INVALID_PARAMETER
"""

from __future__ import annotations

from typing import TypedDict

__all__ = ["ApiError", "ErrorBody", "ErrorDetail", "NotFound", "Unprocessable", "error_body"]


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorBody(TypedDict):
    """``{"error": {"code": ..., "message": ...}}``: the body of every error answer."""

    error: ErrorDetail


def error_body(code: str, message: str) -> ErrorBody:
    return {"error": {"code": code, "message": message}}


class ApiError(Exception):
    """An error answered to the caller as ``status_code`` with an error body."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status_code}, {self.code!r}, {self.message!r})"


class NotFound(ApiError):
    """The addressed record does not exist."""

    def __init__(self, message: str) -> None:
        super().__init__(404, "NOT_FOUND", message)


class Unprocessable(ApiError):
    """A parameter or body is malformed or out of range; nothing was changed."""

    def __init__(self, message: str) -> None:
        super().__init__(422, "INVALID_PARAMETER", message)
