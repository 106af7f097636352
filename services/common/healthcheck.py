"""`python -m services.common.healthcheck [ADDRESS] [SERVICE]`: exit 0 when the gRPC server at ADDRESS
(default 127.0.0.1:$GRPC_PORT) reports SERVING, 1 otherwise. The container images' health check."""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING = "serving"


def _status(reply: health_pb2.HealthCheckResponse) -> str:
    return SERVING if reply.status == health_pb2.HealthCheckResponse.SERVING else "not serving"


def _refused(exc: grpc.RpcError) -> str:
    code = exc.code()  # type: ignore[attr-defined]
    return "unknown service" if code == grpc.StatusCode.NOT_FOUND else f"unreachable: {code.name}"


def status(address: str, service: str = "", timeout: float = 3.0) -> str:
    """The gRPC health of `service` at `address`: serving, not serving, unknown service (a name the
    server does not answer for) or unreachable with the call's status code."""
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
    except grpc.RpcError as exc:
        return _refused(exc)
    return _status(reply)


async def status_of(channel: grpc.aio.Channel, service: str = "", deadline_seconds: float = 2.0) -> str:
    """The same, over an open asyncio channel."""
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=deadline_seconds
        )
    except grpc.aio.AioRpcError as exc:
        return _refused(exc)
    return _status(reply)


def check(address: str, service: str = "", timeout: float = 3.0) -> bool:
    return status(address, service, timeout) == SERVING


def main(argv: list[str]) -> int:
    address = argv[0] if argv else f"127.0.0.1:{os.environ.get('GRPC_PORT', '50051')}"
    service = argv[1] if len(argv) > 1 else ""
    healthy = check(address, service)
    print(f"{address}: {'SERVING' if healthy else 'NOT SERVING'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
