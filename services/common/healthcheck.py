"""`python -m services.common.healthcheck [ADDRESS] [SERVICE]`: exit 0 when the gRPC server at ADDRESS
(default 127.0.0.1:$GRPC_PORT) reports SERVING, 1 otherwise. The container images' health check."""

from __future__ import annotations

import os
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def check(address: str, service: str = "", timeout: float = 3.0) -> bool:
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
    except grpc.RpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def main(argv: list[str]) -> int:
    address = argv[0] if argv else f"127.0.0.1:{os.environ.get('GRPC_PORT', '50051')}"
    service = argv[1] if len(argv) > 1 else ""
    healthy = check(address, service)
    print(f"{address}: {'SERVING' if healthy else 'NOT SERVING'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
