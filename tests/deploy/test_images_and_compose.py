"""The container images and docker-compose.yml, checked without a Docker engine: lint, structure,
and that every reference points at something that exists."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.common.grpc_server import GrpcServer
from services.common.healthcheck import check
from services.launcher import free_port

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("extractor", "ranker", "analyzer", "gateway")
GRPC_PORTS = {"extractor": 50051, "ranker": 50052, "analyzer": 50053, "gateway": 50054}


def _dockerfile(service: str) -> str:
    return (ROOT / "deploy" / "docker" / f"{service}.Dockerfile").read_text()


@pytest.mark.parametrize("service", SERVICES)
def test_each_dockerfile_is_hadolint_clean(service: str) -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    run = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "deploy" / "docker" / f"{service}.Dockerfile")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_each_image_is_multi_stage_slim_non_root_and_health_checked(service: str) -> None:
    text = _dockerfile(service)
    # The build stage, the slim runtime, and for the gateway the console's build from its lockfile.
    stages = 3 if service == "gateway" else 2
    assert "python:3.11-slim" in text and len(re.findall(r"^FROM ", text, re.M)) == stages
    assert f'pip install ".[{service}]"' in text or f'&& pip install ".[{service}]"' in text
    others = set(SERVICES) - {service}
    assert not any(f".[{other}]" in text for other in others)
    assert re.search(r"^USER 10001$", text, re.M)
    assert "HEALTHCHECK" in text and "services.common.healthcheck" in text
    assert f"GRPC_PORT={GRPC_PORTS[service]}" in text
    assert f'ENTRYPOINT ["python", "-m", "services.{service}"]' in text
    # Only what the build needs is copied: the package sources and the generated protos.
    copies = re.findall(r"^COPY (?!--from)(.+)$", text, re.M)
    console = {"console/package.json", "console/index.html", "console/public", "console/src"}
    assert {c.split()[0] for c in copies} <= {"pyproject.toml", "screener", "services"} | (
        console if service == "gateway" else set()
    )
    if service == "gateway":
        assert "RUN npm ci" in text and "console/package-lock.json" in text
        assert "COPY --from=console /console/dist /opt/console" in text and "CONSOLE_DIR=/opt/console" in text
    if service == "ranker":
        assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in text
        assert "HF_HUB_OFFLINE=1" in text
    if service == "extractor":
        assert "tesseract-ocr-spa" in text


async def test_the_healthcheck_command_answers_for_a_serving_and_a_missing_server() -> None:
    server = GrpcServer("127.0.0.1", free_port(), [], [])
    await server.start()
    try:
        assert await asyncio.to_thread(check, server.address)
        await server.set_serving(False)
        assert not await asyncio.to_thread(check, server.address)
    finally:
        await server.stop(0)
    assert not await asyncio.to_thread(check, f"127.0.0.1:{free_port()}", "", 1.0)


def _compose() -> dict:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_compose_has_every_service_with_build_health_environment_and_dependencies() -> None:
    services = _compose()["services"]
    assert set(services) == {"nats", "postgres", *SERVICES}
    for name in SERVICES:
        service = services[name]
        build = service["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        assert build["dockerfile"] == f"deploy/docker/{name}.Dockerfile"
        assert service["image"], name
        assert "services.common.healthcheck" in service["healthcheck"]["test"], name
        assert service["environment"]["NATS_URL"] == "nats://nats:4222", name
        assert service["depends_on"]["nats"]["condition"] == "service_healthy", name
        assert service["read_only"] is True, name
        if name == "gateway":
            # Uploads are spooled to /tmp: a disk volume, not memory.
            assert service["tmpfs"] == [] and service["volumes"] == ["gateway-spool:/tmp"]
        else:
            assert service["tmpfs"] == ["/tmp"], name
        if name != "gateway":
            # Scalable with --scale: no fixed container name, no published host port.
            assert "container_name" not in service and "ports" not in service, name
    assert services["gateway"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "postgres" not in services["extractor"]["depends_on"]
    for infra in ("nats", "postgres"):
        assert services[infra]["image"] and services[infra]["healthcheck"]["test"]
    assert services["nats"]["command"] == ["--config", "/etc/nats/screener.conf"]
    assert "./deploy/nats/nats.conf:/etc/nats/screener.conf:ro" in services["nats"]["volumes"]
    assert set(_compose()["volumes"]) == {"nats-data", "postgres-data", "gateway-spool"}


def test_every_variable_compose_reads_is_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert used <= documented, used - documented
    assert {"JWT_SECRET", "POSTGRES_PASSWORD"} <= used


def test_the_grafana_dashboard_only_queries_metrics_the_services_export() -> None:
    import json

    from prometheus_client import REGISTRY

    import services.common.metrics  # noqa: F401 - registers the metrics

    exported = {sample_name for family in REGISTRY.collect() for sample_name in _sample_names(family)}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "screener-dashboard.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b(screener_[a-z_]+)", target["expr"])
    }
    assert len(queried) >= 12
    assert queried <= exported, queried - exported


def _sample_names(family: object) -> set[str]:
    name = family.name  # type: ignore[attr-defined]
    kind = family.type  # type: ignore[attr-defined]
    if kind == "counter":
        return {f"{name}_total"}
    if kind == "histogram":
        return {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    return {name}
