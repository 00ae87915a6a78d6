"""Every error the HTTP API returns has one shape: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import Busy, FetchError, InputError, ModelError, NotFound, NutgrafError, StoreError

log = logging.getLogger(__name__)

CODES: dict[type[NutgrafError], str] = {
    FetchError: "fetch_failed",
    InputError: "invalid_input",
    NotFound: "not_found",
    ModelError: "model_unavailable",
    StoreError: "store_unavailable",
    Busy: "model_busy",
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    429: "rate_limited",
}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def error_code(error: NutgrafError) -> str:
    for kind in type(error).__mro__:
        if kind in CODES:
            return CODES[kind]
    return "error"


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NutgrafError, _nutgraf_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _nutgraf_error(request: Request, error: NutgrafError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, Busy) else None
    return error_response(error.http_status, error_code(error), str(error), headers)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    return error_response(422, "invalid_request", "; ".join(_describe(p) for p in problems[:5]))


def _describe(problem: dict) -> str:
    where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
    return f"{where}: {problem.get('msg', 'invalid')}" if where else problem.get("msg", "invalid")


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    code = HTTP_CODES.get(error.status_code, "error")
    return error_response(error.status_code, code, str(error.detail), getattr(error, "headers", None))


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "the server failed to handle this request")
