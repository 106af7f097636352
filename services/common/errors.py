"""One error hierarchy for the whole mesh, mapped once to HTTP and once to gRPC status codes."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import grpc


class ScreeningError(Exception):
    """An expected failure with a stable machine-readable code and a message for people."""

    code: ClassVar[str] = "internal"
    http_status: ClassVar[int] = 500
    grpc_status: ClassVar[grpc.StatusCode] = grpc.StatusCode.INTERNAL

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code  # type: ignore[misc]


class InvalidInput(ScreeningError):
    code = "invalid_input"
    http_status = 422
    grpc_status = grpc.StatusCode.INVALID_ARGUMENT


class BadFile(InvalidInput):
    """A file that cannot be screened: wrong type, empty, too large, unreadable."""

    code = "bad_file"


class TooLarge(ScreeningError):
    """Something bigger than its bound: a request body, or a work message past the NATS payload limit."""

    code = "too_large"
    http_status = 413
    grpc_status = grpc.StatusCode.RESOURCE_EXHAUSTED


class NoText(ScreeningError):
    """A resume with no usable text, even after OCR."""

    code = "no_text"
    http_status = 422
    grpc_status = grpc.StatusCode.FAILED_PRECONDITION


class NotFound(ScreeningError):
    code = "not_found"
    http_status = 404
    grpc_status = grpc.StatusCode.NOT_FOUND


class Conflict(ScreeningError):
    code = "conflict"
    http_status = 409
    grpc_status = grpc.StatusCode.ALREADY_EXISTS


class Unauthorized(ScreeningError):
    code = "unauthorized"
    http_status = 401
    grpc_status = grpc.StatusCode.UNAUTHENTICATED


class Forbidden(ScreeningError):
    code = "forbidden"
    http_status = 403
    grpc_status = grpc.StatusCode.PERMISSION_DENIED


class TooManyRequests(ScreeningError):
    code = "rate_limited"
    http_status = 429
    grpc_status = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, *, retry_after: int = 1, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Unavailable(ScreeningError):
    code = "unavailable"
    http_status = 503
    grpc_status = grpc.StatusCode.UNAVAILABLE

    def __init__(self, message: str, *, retry_after: int | None = None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


async def _abort(context: grpc.aio.ServicerContext, exc: ScreeningError) -> None:
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        context.set_trailing_metadata((("retry-after", str(retry_after)),))
    await context.abort(exc.grpc_status, f"{exc.code}: {exc.message}")


class ErrorMappingInterceptor(grpc.aio.ServerInterceptor):
    """Turns a ScreeningError raised by any servicer method (unary or streaming) into its gRPC status."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        codec = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }

        def returning(inner: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            async def mapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
                try:
                    return await inner(request, context)
                except ScreeningError as exc:
                    await _abort(context, exc)

            return mapped

        def streaming(inner: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
            async def mapped(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
                try:
                    async for response in inner(request, context):
                        yield response
                except ScreeningError as exc:
                    await _abort(context, exc)

            return mapped

        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(returning(handler.unary_unary), **codec)
        if handler.stream_unary is not None:
            return grpc.stream_unary_rpc_method_handler(returning(handler.stream_unary), **codec)
        # Streaming handlers that write with context.write (health's Watch) are left as they are.
        if inspect.isasyncgenfunction(handler.unary_stream):
            return grpc.unary_stream_rpc_method_handler(streaming(handler.unary_stream), **codec)
        if inspect.isasyncgenfunction(handler.stream_stream):
            return grpc.stream_stream_rpc_method_handler(streaming(handler.stream_stream), **codec)
        return handler
