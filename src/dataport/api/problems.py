"""Every error leaves the API as RFC 9457 problem+json, in the caller's language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dataport.config import Language
from dataport.errors import DataportError, NotAuthenticated

logger = logging.getLogger("dataport.api")
PROBLEM = "application/problem+json"


def request_language(request: Request) -> Language:
    header = request.headers.get("accept-language", "")
    if header:
        first = header.split(",", 1)[0].strip().lower()
        return "zh-CN" if first.startswith("zh") else "en"
    default: Language = request.app.state.settings.language
    return default


def _problem(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


async def on_dataport_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DataportError)  # noqa: S101 - registered for this class only
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    body = exc.problem(request_language(request), instance=request.url.path)
    return _problem(exc.http_status, body, headers)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101
    errors = [
        {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    zh = request_language(request) == "zh-CN"
    detail = (
        f"请求字段 {first['field']} 无效：{first['message']}"
        if zh
        else f"invalid request field {first['field']}: {first['message']}"
    )
    body = {
        "type": "urn:dataport:error:invalid_input",
        "title": "invalid input",
        "status": 422,
        "detail": detail,
        "code": "invalid_input",
        "instance": request.url.path,
        "field": first["field"],
        "errors": errors,
    }
    return _problem(422, body)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    body = {
        "type": f"urn:dataport:error:{code}",
        "title": code.replace("_", " "),
        "status": exc.status_code,
        "detail": str(exc.detail),
        "code": code,
        "instance": request.url.path,
    }
    return _problem(exc.status_code, body, dict(exc.headers) if exc.headers else None)


async def on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # The cause goes to the server log only: it may hold paths or data a caller must not see.
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    zh = request_language(request) == "zh-CN"
    body = {
        "type": "urn:dataport:error:internal",
        "title": "internal error",
        "status": 500,
        "detail": "服务器内部错误，已记录" if zh else "internal error; it has been logged",
        "code": "internal",
        "instance": request.url.path,
    }
    return _problem(500, body)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DataportError, on_dataport_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)
