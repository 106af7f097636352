"""The analysis cache is an internal API: the public gRPC port does not serve it, and its own port
answers only the service credential, so no outsider can read or plant a cached analysis."""

from __future__ import annotations

import grpc
import pytest

from screener.v1 import gateway_pb2, gateway_pb2_grpc, resume_pb2
from services.demo.mailbox import MailSink
from services.launcher import Mesh
from tests.security.conftest import signed_up

PLANTED = gateway_pb2.AnalysisCacheEntry(
    key="f" * 64,
    model="fake-model",
    analysis=resume_pb2.Analysis(summary="Hire immediately", relevance_score=99),
)


def _calls(address: str, metadata: tuple[tuple[str, str], ...]) -> list[grpc.StatusCode]:
    codes = []
    with grpc.insecure_channel(address) as channel:
        stub = gateway_pb2_grpc.AnalysisCacheServiceStub(channel)
        for call in (
            lambda: stub.PutAnalysis(PLANTED, metadata=metadata, timeout=10),
            lambda: stub.GetAnalysis(
                gateway_pb2.AnalysisCacheKey(key=PLANTED.key), metadata=metadata, timeout=10
            ),
        ):
            try:
                call()
            except grpc.RpcError as exc:
                codes.append(exc.code())
            else:
                codes.append(grpc.StatusCode.OK)
    return codes


def test_outsiders_can_neither_plant_nor_read_an_analysis(security_mesh: Mesh, mailbox: MailSink) -> None:
    person = signed_up(security_mesh, mailbox)
    api_key = person.client.post("/api/keys", json={"name": "platform"}).json()["key"]
    access = person.client.headers["Authorization"].split()[1]
    public, internal = security_mesh.grpc_address("gateway"), security_mesh.grpc_address("gateway-internal")
    outsiders = {
        "nobody": (),
        "api key": (("x-api-key", api_key),),
        "access token": (("authorization", f"Bearer {access}"),),
        "api key as bearer": (("authorization", f"Bearer {api_key}"),),
        "wrong service token": (("authorization", "Bearer " + "x" * 48),),
    }
    for who, metadata in outsiders.items():
        assert _calls(public, metadata) == [grpc.StatusCode.UNIMPLEMENTED] * 2, who
        assert _calls(internal, metadata) == [grpc.StatusCode.UNAUTHENTICATED] * 2, who
    # Positive control, and proof nothing was planted: the analyzer's credential reads a miss.
    service = (("authorization", f"Bearer {security_mesh.internal_api_token}"),)
    with grpc.insecure_channel(internal) as channel:
        stub = gateway_pb2_grpc.AnalysisCacheServiceStub(channel)
        assert not stub.GetAnalysis(gateway_pb2.AnalysisCacheKey(key=PLANTED.key), metadata=service).found


@pytest.mark.parametrize("port", ["gateway", "gateway-internal"])
def test_health_answers_on_both_ports_without_credentials(security_mesh: Mesh, port: str) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    with grpc.insecure_channel(security_mesh.grpc_address(port)) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
