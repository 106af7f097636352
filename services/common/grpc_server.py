"""gRPC server bootstrap shared by every service: health, reflection, error mapping, graceful stop."""

from __future__ import annotations

import asyncio
import hmac
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.common.errors import ErrorMappingInterceptor
from services.common.metrics import MetricsInterceptor

log = logging.getLogger(__name__)

Registrar = Callable[[grpc.aio.Server], None]


# A health-check name the analyzer answers SERVING to when a language model is configured (and is
# unknown to otherwise): how the gateway tells a recruiter, when an analysis is asked for, which kind
# they will get.
LANGUAGE_MODEL_CAPABILITY = "screener.v1.AnalyzerService/language-model"


class GrpcServer:
    """A grpc.aio server with the standard health service (SERVING per service) and reflection."""

    def __init__(
        self,
        host: str,
        port: int,
        service_names: Iterable[str],
        registrars: Iterable[Registrar],
        *,
        metrics_name: str = "",
        interceptors: Iterable[grpc.aio.ServerInterceptor] = (),
    ) -> None:
        """interceptors run first (an authentication check, say), before metrics and error mapping."""
        chain: list[grpc.aio.ServerInterceptor] = [ErrorMappingInterceptor()]
        if metrics_name:
            chain.insert(0, MetricsInterceptor(metrics_name))
        self.server = grpc.aio.server(
            interceptors=[*interceptors, *chain],
            options=[
                ("grpc.max_receive_message_length", 32 * 1024 * 1024),
                ("grpc.max_send_message_length", 32 * 1024 * 1024),
            ],
        )
        self.health = health.aio.HealthServicer()
        self.service_names = list(service_names)
        for register in registrars:
            register(self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [
                *self.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self.server,
        )
        self.address = f"{host}:{port}"
        self.port = self.server.add_insecure_port(self.address)

    async def start(self) -> None:
        await self.server.start()
        await self.set_serving(True)
        log.info("gRPC listening on %s (%s)", self.address, ", ".join(self.service_names))

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self.health.set("", status)
        for name in self.service_names:
            await self.health.set(name, status)

    async def stop(self, grace_seconds: float) -> None:
        """Report NOT_SERVING first so balancers stop sending, then let in-flight calls finish."""
        await self.set_serving(False)
        await self.server.stop(grace_seconds)


class ServiceTokenInterceptor(grpc.aio.ServerInterceptor):
    """Internal APIs: every call but a health check carries `authorization: Bearer <service token>`.

    The token is a shared secret of the services (INTERNAL_API_TOKEN, from a Secret); neither an API key
    nor a recruiter's access token is one, and a call without it learns nothing but UNAUTHENTICATED.
    """

    HEALTH = "/grpc.health.v1.Health/"

    def __init__(self, token: str) -> None:
        self.expected = f"Bearer {token}".encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        if details.method.startswith(self.HEALTH):
            return await continuation(details)
        metadata = {key.lower(): value for key, value in (details.invocation_metadata or ())}
        given = metadata.get("authorization", "")
        given_bytes = given.encode() if isinstance(given, str) else bytes(given)
        if hmac.compare_digest(given_bytes, self.expected):
            return await continuation(details)
        return _refusal()


def _refusal() -> grpc.RpcMethodHandler:
    async def refuse(request: object, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "unauthorized: a service credential is required")

    return grpc.unary_unary_rpc_method_handler(refuse)


def install_stop_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`; the service then shuts down gracefully."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
