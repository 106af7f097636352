"""Each deployment started from its manifests and used: docker-compose.yml and both Kubernetes overlays.

Every container runs as a process in a network namespace of its own with the command, arguments and
environment its manifest gives it (tests/deploy/topology.py says what is translated: image paths, volume
paths, host names). Each run signs a recruiter up with the mailed code, screens three resumes, asks for
an LLM analysis from a fake OpenAI-compatible provider, and stops every service the way its orchestrator
would, checking each leaves within its grace period. A setting a manifest spells wrong, leaves empty or
forgets fails here.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import trustme
import yaml

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import free_port
from tests.deploy import topology as topo
from tests.fake_llm import FakeLlm

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = Path(sys.executable).with_name("kubectl")
PASSWORD = "Correct-Horse-9"
MESH = ("extractor", "ranker", "analyzer", "gateway")

pytestmark = pytest.mark.skipif(topo.can_run() is not None, reason=topo.can_run() or "")


# what every run does


def _exercise(
    base_url: str, mailbox: MailSink, llm: FakeLlm, model: str, wake_analyzer: Callable[[], None] | None
) -> None:
    """A recruiter's first hour through the deployment: sign-up with the mailed code, a job, three resumes
    screened, an LLM analysis of the best one; then the same resume for a second, identical job, whose
    analysis comes from the gateway's analysis cache (the analyzer reaches the internal port)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        email = f"recruiter-{uuid.uuid4().hex[:8]}@example.com"
        signup = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Rita"})
        assert signup.status_code == 202, signup.text
        verified = client.post("/api/auth/verify", json={"email": email, "code": mailbox.code_for(email, 60)})
        assert verified.status_code == 200, verified.text
        client.headers["Authorization"] = f"Bearer {verified.json()['access_token']}"
        files = {
            sample.filename: render_pdf(sample.lines, image_only=sample.image_only)
            for sample in SAMPLE_RESUMES[:3]
        }
        ranked = _screen(client, files)
        assert ranked[0]["final_score"] >= ranked[-1]["final_score"]
        best = ranked[0]
        first = _analyse(client, best["id"], wake_analyzer)
        assert first["offline"] is False and first["model"] == model and not first.get("cached")
        calls = len(llm.requests)
        assert calls >= 1
        again = _screen(client, {best["filename"]: files[best["filename"]]})
        second = _analyse(client, again[0]["id"], None)
        assert second.get("cached") is True and second["model"] == model, second
        assert len(llm.requests) == calls


def _screen(client: httpx.Client, files: dict[str, bytes]) -> list[dict]:
    job = client.post("/api/jobs", json=SAMPLE_JOB)
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    parts = [("files", (name, content, "application/pdf")) for name, content in files.items()]
    uploaded = client.post(f"/api/jobs/{job_id}/resumes", files=parts)
    assert uploaded.status_code in (200, 201), uploaded.text
    batch = client.post("/api/batches", json={"job_id": job_id})
    assert batch.status_code == 202, batch.text
    deadline = time.monotonic() + 300
    while (state := client.get(f"/api/batches/{batch.json()['id']}").json())["status"] != "done":
        assert time.monotonic() < deadline, state
        time.sleep(0.5)
    ranked = client.get(f"/api/jobs/{job_id}/resumes").json()["items"]
    assert [item["status"] for item in ranked] == ["completed"] * len(files), ranked
    return list(ranked)


def _analyse(client: httpx.Client, resume_id: str, wake_analyzer: Callable[[], None] | None) -> dict:
    assert client.post(f"/api/resumes/{resume_id}/analysis").status_code == 202
    if wake_analyzer is not None:
        wake_analyzer()
    deadline = time.monotonic() + 180
    while (detail := client.get(f"/api/resumes/{resume_id}").json())["analysis_status"] in (None, "pending"):
        assert time.monotonic() < deadline, detail
        time.sleep(0.5)
    assert detail["analysis_status"] == "completed", detail
    return dict(detail["analysis"])


def _stream_replicas(nats_url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        connection = await nats.connect(nats_url, connect_timeout=10)
        try:
            return {
                info.config.name: info.config.num_replicas
                for info in await connection.jetstream().streams_info()
            }
        finally:
            await connection.close()

    return asyncio.run(read())


# docker compose

_VARIABLE = re.compile(r"\$(?:(\$)|\{([^}]+)\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable syntax: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error},
    ${VAR?error}, ${VAR:+other}, ${VAR+other}, and $$ for a dollar sign."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return "$"
        expression = match.group(2) or match.group(3)
        parts = re.fullmatch(r"(\w+)(?:(:?[-?+])(.*))?", expression, re.S)
        assert parts, f"not a compose variable: ${{{expression}}}"
        name, operator, argument = parts.group(1), parts.group(2), parts.group(3) or ""
        present = name in env
        usable = present and env[name] != ""
        given = usable if operator and operator.startswith(":") else present
        if operator in (":-", "-"):
            return env[name] if given else argument
        if operator in (":?", "?"):
            assert given, f"compose stops: {name}: {argument}"
            return env[name]
        if operator in (":+", "+"):
            return argument if given else ""
        return env.get(name, "")

    return _VARIABLE.sub(one, value)


def _dotenv(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _seconds(duration: str | None, default: float) -> float:
    if not duration:
        return default
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(h|m|s|ms)", str(duration)):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    return total


def _volumes(spec: dict, run_dir: Path) -> topo.PathMap:
    """Named volumes become folders of the run; bind mounts point at the repository's files."""
    mounts = {}
    for volume in spec.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            mounts[target] = str((ROOT / source).resolve())
        else:
            folder = run_dir / "volumes" / source
            folder.mkdir(parents=True, exist_ok=True)
            mounts[target] = str(folder)
    return topo.PathMap(mounts)


def test_docker_compose_starts_screens_and_analyses(tmp_path: Path) -> None:
    with topo.topology("c", 31, tmp_path) as running:
        network = running.network
        mailbox = MailSink(free_port(), host=network.host_address)
        llm = FakeLlm(free_port(), host=network.host_address)
        # What a user puts in .env: .env.example with its required values filled in.
        env_file = _dotenv(ROOT / ".env.example")
        env_file.update(
            POSTGRES_PASSWORD=secrets.token_urlsafe(24),
            JWT_SECRET=secrets.token_urlsafe(48),
            INTERNAL_API_TOKEN=secrets.token_urlsafe(48),
            SMTP_URL=f"smtp://mail.test:{mailbox.port}?tls=none",
            OPENAI_BASE_URL=f"http://llm.test:{llm.port}/v1",
            OPENAI_API_KEY="test-key",
            ANALYZER_MODEL="fake-model",
        )
        compose = interpolate(yaml.safe_load((ROOT / "docker-compose.yml").read_text()), env_file)
        services = compose["services"]
        for name in services:
            network.add(name)
        network.alias(network.host_address, "mail.test", "llm.test")
        mailbox.start()
        llm.start()
        try:
            _run_compose(running, services, mailbox, llm)
        finally:
            mailbox.stop()
            llm.stop()


def _run_compose(running: topo.Topology, services: dict, mailbox: MailSink, llm: FakeLlm) -> None:
    run_dir = running.run_dir
    # NATS: the image's entrypoint with the compose command, its config file and volume mapped.
    nats_spec = services["nats"]
    mounts = _volumes(nats_spec, run_dir)
    configs = {}
    for inside, outside in list(mounts.mounts.items()):
        if Path(outside).is_file():
            copy = run_dir / "config" / Path(inside).name
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(mounts(Path(outside).read_text()))
            configs[inside] = str(copy)
    mounts.mounts.update(configs)
    nats_env = dict(topo.BASE_IMAGE_ENV)
    running.start("nats", topo.nats_argv([mounts(arg) for arg in nats_spec["command"]]), nats_env)
    _wait_healthy(running, "nats", nats_spec, nats_env)
    # Postgres: what the postgres image makes of its environment.
    pg = services["postgres"]["environment"]
    sockets = topo.start_postgres(
        running,
        "postgres",
        database=pg["POSTGRES_DB"],
        user=pg["POSTGRES_USER"],
        password=pg["POSTGRES_PASSWORD"],
    )
    import pgserver

    pg_env = {
        "PATH": f"{Path(pgserver.__file__).parent / 'pginstall' / 'bin'}:{topo.BASE_IMAGE_ENV['PATH']}",
        "PGHOST": sockets,
    }
    _wait_healthy(running, "postgres", services["postgres"], pg_env)

    environments = {}
    for name in MESH:
        spec = services[name]
        assert spec["depends_on"]["nats"]["condition"] == "service_healthy"
        build = spec["build"]
        image = topo.read_image(ROOT / build["context"] / build["dockerfile"])
        paths = topo.image_paths(run_dir, name)
        paths.mounts.update(_volumes(spec, run_dir).mounts)
        env = {key: paths(value) for key, value in image.env.items()}
        env.update({key: paths(str(value)) for key, value in spec.get("environment", {}).items()})
        argv = spec.get("entrypoint", image.entrypoint) + spec.get("command", image.cmd)
        running.start(name, [paths(arg) for arg in argv], env)
        environments[name] = env
    for name in MESH:
        _wait_healthy(running, name, services[name], environments[name])

    gateway = services["gateway"]
    published = {int(port.split(":")[-1]) for port in gateway["ports"]}
    assert 8080 in published
    base_url = f"http://{running.network.addresses['gateway']}:8080"
    ready = httpx.get(f"{base_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    _exercise(base_url, mailbox, llm, "fake-model", None)

    # docker compose stop: SIGTERM, then SIGKILL after stop_grace_period (10 s unless set).
    for name in ("gateway", "analyzer", "ranker", "extractor"):
        grace = _seconds(services[name].get("stop_grace_period"), 10)
        took = running.stop(name, grace)
        assert took is not None, f"{name} was still running {grace:.0f} s after SIGTERM"


def _wait_healthy(running: topo.Topology, name: str, spec: dict, env: dict[str, str]) -> None:
    """The service's own health check command, run inside its container until it passes."""
    health = spec["healthcheck"]
    test = health["test"]
    assert test[0] == "CMD", test
    retries = int(health.get("retries", 3))
    budget = _seconds(health.get("start_period"), 0) + retries * (
        _seconds(health.get("interval"), 30) + _seconds(health.get("timeout"), 30)
    )
    running.wait_until(f"{name} health check", lambda: running.run_in(name, test[1:], env), budget, name)


# Kubernetes

# Stand-ins for what the prerequisites' operators create: the Service CloudNativePG makes for the
# primary of `screener-db` (the host the documented database-url names), and its first instance.
CNPG_SERVICE = {
    "metadata": {"name": "screener-db-rw", "namespace": "postgres"},
    "spec": {"selector": {"cnpg.io/cluster": "screener-db"}, "ports": [{"port": 5432, "targetPort": 5432}]},
}
CNPG_POD = ("screener-db-1", "postgres", {"cnpg.io/cluster": "screener-db"})


def _render(path: Path) -> list[dict]:
    run = subprocess.run([str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


def documented_secret() -> dict[str, str]:
    """The keys and example values of the `kubectl create secret` command in docs/operations.md."""
    text = (ROOT / "docs" / "operations.md").read_text()
    start = text.index("create secret generic screener-secrets")
    command = text[start : text.index("\n\n", start)]
    return dict(re.findall(r"--from-literal=([\w-]+)=['\"]?([^'\"\s]*)", command))


def _of(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def _container_env(
    container: dict,
    image_env: dict[str, str],
    config: dict[str, dict[str, str]],
    secret: dict[str, str],
    pod: str,
) -> dict[str, str]:
    """The environment Kubernetes gives a container: the image's, then envFrom, then env in order."""
    env = dict(image_env)
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, source
        env.update(config[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), item["value"]
            )
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            assert ref["name"] == "screener-secrets", ref
            if ref["key"] in secret:
                env[item["name"]] = secret[ref["key"]]
            else:
                # Kubernetes would not start the container (CreateContainerConfigError).
                assert ref.get("optional"), f"{item['name']}: the Secret has no key {ref['key']}"
        elif "fieldRef" in source:
            assert source["fieldRef"]["fieldPath"] == "metadata.name", source
            env[item["name"]] = pod
        else:
            raise AssertionError(f"unsupported env source {source}")
    return env


def _ports(container: dict) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container.get("ports", [])}


def _probe(probe: dict, address: str, ports: dict[str, int]) -> Callable[[], bool]:
    if "grpc" in probe:
        return lambda: topo.grpc_ok(f"{address}:{probe['grpc']['port']}")
    get = probe["httpGet"]
    port = ports[get["port"]] if isinstance(get["port"], str) else get["port"]
    return lambda: topo.http_ok(f"http://{address}:{port}{get['path']}")


def _probe_budget(probe: dict) -> float:
    return float(
        probe.get("initialDelaySeconds", 0)
        + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
    )


def _volume_paths(
    pod_spec: dict, container: dict, run_dir: Path, pod: str, configs: dict[str, dict]
) -> topo.PathMap:
    """Where each volume mount of the container is on this machine: folders for emptyDir and claims, the
    ConfigMap's files written out (container paths inside them mapped too)."""
    volumes = {volume["name"]: volume for volume in pod_spec.get("volumes", [])}
    paths = topo.PathMap()
    files: list[tuple[Path, str]] = []
    for mount in container.get("volumeMounts", []):
        folder = run_dir / "volumes" / pod / mount["name"]
        folder.mkdir(parents=True, exist_ok=True)
        paths.mounts[mount["mountPath"]] = str(folder)
        volume = volumes.get(mount["name"], {})
        if "configMap" in volume:
            for name, content in configs[volume["configMap"]["name"]].items():
                files.append((folder / name, content))
    for path, content in files:
        path.write_text(paths(content))
    return paths


def _start_pod(
    running: topo.Topology,
    pod: str,
    template: dict,
    config: dict[str, dict[str, str]],
    secret: dict[str, str],
    trust: dict[str, str] | None = None,
) -> tuple[dict, dict[str, str]]:
    """trust: the machine's trust store for the project's images (certificate authorities)."""
    spec = template["spec"]
    (container,) = spec["containers"]
    image_name = container["image"].rsplit("/", 1)[-1].split(":")[0]
    service = image_name.removeprefix("screener-")
    if service == "nats":
        image = topo.Image(dict(topo.BASE_IMAGE_ENV), [], [])
        paths = topo.PathMap()
    else:
        assert service in MESH, container["image"]
        image = topo.image_of(service)
        image.env.update(trust or {})
        paths = topo.image_paths(running.run_dir, pod)
    paths.mounts.update(_volume_paths(spec, container, running.run_dir, pod, config).mounts)
    env = {
        key: paths(value) for key, value in _container_env(container, image.env, config, secret, pod).items()
    }
    if service != "nats":
        env.update(trust or {})  # a path of this machine, not of the container
    command = container.get("command", image.entrypoint) + container.get("args", image.cmd)
    argv = [paths(arg) for arg in command]
    running.start(pod, topo.nats_argv(argv) if service == "nats" else argv, env)
    return container, env


def _wait_pod(running: topo.Topology, pod: str, container: dict) -> None:
    address = running.network.addresses[pod]
    ports = _ports(container)
    for kind in ("startupProbe", "readinessProbe"):
        probe = container[kind]
        running.wait_until(f"{pod} {kind}", _probe(probe, address, ports), _probe_budget(probe), pod)


@pytest.mark.parametrize(("overlay", "subnet"), [("dev", 32), ("prod", 33)])
def test_kubernetes_overlay_starts_screens_and_analyses(overlay: str, subnet: int, tmp_path: Path) -> None:
    objects = _render(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    nats_objects = _render(ROOT / "deploy" / "k8s" / "nats")
    namespace = next(o["metadata"]["name"] for o in objects if o["kind"] == "Namespace")
    with topo.topology(f"k{overlay[0]}", subnet, tmp_path) as running:
        network = running.network
        mailbox = MailSink(free_port(), host=network.host_address)
        if overlay == "dev":
            # The dev overlay keeps the manifests' empty OPENAI_BASE_URL: the provider's own address,
            # https://api.openai.com/v1, served here over TLS with a certificate from a test authority that
            # the machine trusts (SSL_CERT_FILE: the containers' trust store).
            authority = trustme.CA()
            served = authority.issue_cert("api.openai.com")
            chain, key, trusted = tmp_path / "chain.pem", tmp_path / "key.pem", tmp_path / "trusted.pem"
            served.cert_chain_pems[0].write_to_path(str(chain))
            served.private_key_pem.write_to_path(str(key))
            authority.cert_pem.write_to_path(str(trusted))
            llm = FakeLlm(443, host=network.host_address, tls=(str(chain), str(key)))
            provider = Provider("api.openai.com", None, {"SSL_CERT_FILE": str(trusted)})
        else:
            # Production points OPENAI_BASE_URL at a server of its own inside the cluster.
            llm = FakeLlm(free_port(), host=network.host_address)
            provider = Provider(
                "llm.llm.svc.cluster.local", f"http://llm.llm.svc.cluster.local:{llm.port}/v1", {}
            )
        mailbox.start()
        llm.start()
        try:
            _run_overlay(running, objects, nats_objects, namespace, mailbox, llm, provider)
        finally:
            mailbox.stop()
            llm.stop()


@dataclass
class Provider:
    """Where the LLM provider stands: its host name, the OPENAI_BASE_URL the operator sets for it (None:
    the manifests' own value), and what the containers' trust store must hold to reach it."""

    host: str
    base_url: str | None
    trust: dict[str, str]


def _run_overlay(
    running: topo.Topology,
    objects: list[dict],
    nats_objects: list[dict],
    namespace: str,
    mailbox: MailSink,
    llm: FakeLlm,
    provider: Provider,
) -> None:
    network = running.network
    configs = {
        o["metadata"]["name"]: dict(o["data"]) for o in objects + nats_objects if o["kind"] == "ConfigMap"
    }
    (config_name,) = [name for name in configs if name.startswith("screener-config")]
    # The operator's choices: the LLM provider (a server inside the cluster must sit in a namespace
    # labelled screener.dev/llm=true, as the ConfigMap says), and the Secret made with the documented command.
    if provider.base_url is not None:
        configs[config_name]["OPENAI_BASE_URL"] = provider.base_url
    database_password = secrets.token_urlsafe(24)
    documented = documented_secret()
    fill = {
        "database-url": lambda example: example.replace("...", database_password),
        "jwt-secret": lambda example: secrets.token_urlsafe(48),
        "internal-api-token": lambda example: secrets.token_urlsafe(48),
        "smtp-url": lambda example: f"smtp://mail.example.com:{mailbox.port}?tls=none",
        "openai-api-key": lambda example: "test-key",
    }
    assert set(documented) == set(fill), (
        f"keys documented but unknown to this test: {set(documented) - set(fill)}"
    )
    secret = {key: fill[key](example) for key, example in documented.items()}

    # Pods: one per Deployment (the analyzer only when work waits: KEDA keeps it at zero), every NATS
    # server, and the Postgres primary.
    (nats_set,) = _of(nats_objects, "StatefulSet").values()
    pods: dict[str, tuple[str, dict[str, str]]] = {}
    for index in range(nats_set["spec"]["replicas"]):
        pods[f"nats-{index}"] = ("nats", nats_set["spec"]["template"]["metadata"]["labels"])
    deployments = _of(objects, "Deployment")
    for name, deployment in deployments.items():
        pods[f"{name}-0"] = (namespace, deployment["spec"]["template"]["metadata"]["labels"])
    pods[CNPG_POD[0]] = (CNPG_POD[1], CNPG_POD[2])
    for pod, (pod_namespace, _) in pods.items():
        network.add(pod, scope=pod_namespace)
    for service in [*_of(objects, "Service").values(), *_of(nats_objects, "Service").values(), CNPG_SERVICE]:
        name = service["metadata"]["name"]
        service_namespace = service["metadata"].get("namespace", namespace)
        selected = [
            pod
            for pod, (pod_namespace, labels) in pods.items()
            if pod_namespace == service_namespace and _selects(service["spec"]["selector"], labels)
        ]
        assert selected, f"Service {name} selects no pod"
        for port in service["spec"]["ports"]:
            # Host names are mapped here, ports are not: each Service must use its pods' own port numbers.
            target = port.get("targetPort", port["port"])
            if isinstance(target, str):
                template = (
                    nats_set if service_namespace == "nats" else deployments[selected[0].rsplit("-", 1)[0]]
                )["spec"]["template"]
                target = _ports(template["spec"]["containers"][0])[target]
            assert target == port["port"], (name, port)
        for pod in selected:
            address = network.addresses[pod]
            forms = [
                f"{name}.{service_namespace}",
                f"{name}.{service_namespace}.svc",
                f"{name}.{service_namespace}.svc.cluster.local",
            ]
            network.alias(address, *forms)
            network.alias(address, name, scope=service_namespace)
            if service["spec"].get("clusterIP") == "None":
                network.alias(address, *(f"{pod}.{form}" for form in forms))
    network.alias(network.host_address, provider.host, "mail.example.com")

    # NATS, then Postgres, then the mesh.
    nats_containers = {}
    for pod in (p for p in pods if p.startswith("nats-")):
        nats_containers[pod], _ = _start_pod(running, pod, nats_set["spec"]["template"], configs, secret)
    for pod, container in nats_containers.items():
        running.wait_until(
            f"{pod} startupProbe",
            _probe(container["startupProbe"], network.addresses[pod], _ports(container)),
            _probe_budget(container["startupProbe"]),
            pod,
        )
    topo.start_postgres(
        running, CNPG_POD[0], database="screener", user="screener", password=database_password
    )

    scaled = {o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "ScaledObject"}
    asleep = {name for name, obj in scaled.items() if obj["spec"]["minReplicaCount"] == 0}
    assert asleep == {"analyzer"}
    started: dict[str, tuple[dict, dict[str, str], dict]] = {}

    def start(name: str) -> None:
        pod = f"{name}-0"
        template = deployments[name]["spec"]["template"]
        container, env = _start_pod(running, pod, template, configs, secret, provider.trust)
        started[pod] = (container, env, template)

    for name in deployments:
        if name not in asleep:
            start(name)
    for pod, (container, _, _) in started.items():
        _wait_pod(running, pod, container)

    gateway = network.addresses["gateway-0"]
    ready = httpx.get(f"http://{gateway}:8080/readyz", timeout=10).json()
    assert ready["status"] == "ready" and ready["checks"]["analyzer"] != "ok", ready

    def wake_analyzer() -> None:
        # What KEDA does when the analyzer's consumer has work waiting.
        start("analyzer")
        _wait_pod(running, "analyzer-0", started["analyzer-0"][0])

    _exercise(f"http://{gateway}:8080", mailbox, llm, configs[config_name]["ANALYZER_MODEL"], wake_analyzer)

    # Every stream and the object store keep as many copies as NATS_STREAM_REPLICAS says.
    replicas = _stream_replicas(f"nats://{network.addresses['nats-0']}:4222")
    expected = int(configs[config_name]["NATS_STREAM_REPLICAS"])
    assert "OBJ_resumes" in replicas and set(replicas.values()) == {expected}, replicas

    # kubelet's stop: the preStop hook, SIGTERM, SIGKILL at the end of terminationGracePeriodSeconds.
    for pod, (container, env, template) in started.items():
        grace = float(template["spec"].get("terminationGracePeriodSeconds", 30))
        hook = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
        took = running.stop(pod, grace, hook, env)
        assert took is not None, f"{pod} was still running {grace:.0f} s after it was told to stop"
