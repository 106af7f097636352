"""The Kubernetes manifests, rendered with kustomize and validated without a cluster."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.analyzer.settings import AnalyzerSettings
from services.common import nats as screener_nats
from services.extractor.settings import ExtractorSettings
from services.gateway.settings import GatewaySettings
from services.ranker.settings import RankerSettings

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SERVICES = {"extractor", "ranker", "analyzer", "gateway"}
KUBERNETES_VERSION = "1.32.0"
# The kubectl `make install` unpacks (deploy/tools pins it), not whatever a machine has on its PATH.
KUBECTL = Path(sys.executable).with_name("kubectl")
# The ScaledObject fields KEDA documents (keda.sh/docs/2.16/reference/scaledobject-spec) and those of its
# nats-jetstream scaler (keda.sh/docs/2.16/scalers/nats-jetstream).
SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}
TRIGGER_FIELDS = {"type", "metadata", "name", "useCachedMetrics", "authenticationRef", "metricType"}
JETSTREAM_METADATA = {
    "natsServerMonitoringEndpoint",
    "account",
    "stream",
    "consumer",
    "lagThreshold",
    "activationLagThreshold",
    "useHttps",
}


def render(overlay: str) -> list[dict]:
    assert KUBECTL.exists(), f"{KUBECTL} is missing: `make install` unpacks it from deploy/tools"
    run = subprocess.run(
        [str(KUBECTL), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[dict]:
    return render(request.param)


def _of(objects: list[dict], kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_built_in_object_passes_the_kubernetes_schema(objects: list[dict]) -> None:
    built_in = [o for o in objects if not o["apiVersion"].startswith("keda.sh/")]
    prerequisites = [d for d in yaml.safe_load_all((K8S / "prerequisites" / "network.yaml").read_text()) if d]
    for obj in built_in + prerequisites:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    namespaces = {o["metadata"].get("namespace") for o in objects if o["kind"] != "Namespace"}
    assert len(namespaces) == 1 and None not in namespaces


def test_scaled_objects_use_only_documented_keda_fields_and_real_consumers(objects: list[dict]) -> None:
    scaled = _of(objects, "ScaledObject")
    deployments = _of(objects, "Deployment")
    assert set(scaled) == {"extractor", "ranker", "analyzer"}
    for name, obj in scaled.items():
        spec = obj["spec"]
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert set(spec) <= SCALED_OBJECT_SPEC, set(spec) - SCALED_OBJECT_SPEC
        assert spec["scaleTargetRef"]["name"] in deployments
        assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        for trigger in spec["triggers"]:
            assert set(trigger) <= TRIGGER_FIELDS and trigger["type"] == "nats-jetstream"
            metadata = trigger["metadata"]
            assert set(metadata) <= JETSTREAM_METADATA, set(metadata) - JETSTREAM_METADATA
            assert metadata["stream"] == screener_nats.WORK_STREAM
            assert metadata["consumer"] == name and name in screener_nats.CONSUMERS
            assert int(metadata["lagThreshold"]) > 0
            assert all(isinstance(value, str) for value in metadata.values())
    assert scaled["analyzer"]["spec"]["minReplicaCount"] == 0
    hpa = _of(objects, "HorizontalPodAutoscaler")
    assert hpa["gateway"]["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert hpa["gateway"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_the_dispatch_window_lets_keda_reach_the_largest_scale(objects: list[dict]) -> None:
    """The gateway sends at most DISPATCH_WINDOW resumes at a time, and KEDA scales on what waits in the
    queues: the window must hold enough for every extractor and ranker replica's lag threshold."""
    (config,) = _of(objects, "ConfigMap").values()
    scaled = _of(objects, "ScaledObject")
    needed = sum(
        scaled[name]["spec"]["maxReplicaCount"]
        * int(scaled[name]["spec"]["triggers"][0]["metadata"]["lagThreshold"])
        for name in ("extractor", "ranker")
    )
    assert int(config["data"]["DISPATCH_WINDOW"]) >= needed > 0


def test_every_deployment_has_probes_resources_and_a_locked_down_security_context(
    objects: list[dict],
) -> None:
    deployments = _of(objects, "Deployment")
    accounts = _of(objects, "ServiceAccount")
    budgets = {
        o["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        for o in _of(objects, "PodDisruptionBudget").values()
    }
    assert set(deployments) == SERVICES and budgets == SERVICES
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] in accounts
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        (container,) = pod["containers"]
        grpc_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            if (name, probe) == ("gateway", "readinessProbe"):
                # Ready while Postgres and NATS answer; the workers are reported by /readyz, not required.
                assert container[probe]["httpGet"] == {"path": "/readyz", "port": "http"}
                continue
            assert container[probe]["grpc"]["port"] == grpc_port, (name, probe)
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True and security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert "metrics" in {p["name"] for p in container["ports"]}
        for env in container.get("env", []):
            assert "value" not in env or env["name"] not in {"JWT_SECRET", "DATABASE_URL", "OPENAI_API_KEY"}


def test_the_pinned_kubectl_matches_the_kubernetes_version_validated_against() -> None:
    version = subprocess.run(
        [str(KUBECTL), "version", "--client", "-o", "yaml"], capture_output=True, text=True
    )
    assert version.returncode == 0, version.stderr
    client = yaml.safe_load(version.stdout)["clientVersion"]
    assert (client["major"], client["minor"]) == tuple(KUBERNETES_VERSION.split(".")[:2])


def test_every_service_port_reaches_a_container_port(objects: list[dict]) -> None:
    deployments = _of(objects, "Deployment")
    services = _of(objects, "Service")
    assert set(services) >= SERVICES, set(services)
    for name, service in services.items():
        selector = service["spec"]["selector"]
        target = next(
            d
            for d in deployments.values()
            if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())
        )
        ports = target["spec"]["template"]["spec"]["containers"][0]["ports"]
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in {p["name"] for p in ports} | {p["containerPort"] for p in ports}, (
                name,
                port,
            )


def test_only_the_gateway_reaches_postgres_and_secrets_are_only_referenced(objects: list[dict]) -> None:
    policies = _of(objects, "NetworkPolicy")
    assert policies["default-deny"]["spec"]["podSelector"] == {}
    to_postgres = {
        name
        for name, policy in policies.items()
        for rule in policy["spec"].get("egress", [])
        if any(port.get("port") == 5432 for port in rule.get("ports", []))
    }
    assert to_postgres == {"gateway"}
    # The gateway's internal port (the analysis cache) admits the analyzer's pods and no one else.
    internal_rules = [
        rule
        for rule in policies["gateway"]["spec"]["ingress"]
        if {"port": "internal"} in rule.get("ports", [])
    ]
    assert internal_rules == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "analyzer"}}}],
            "ports": [{"port": "internal"}],
        }
    ]
    assert not any(
        {"port": "internal"} in rule.get("ports", []) and "from" not in rule
        for rule in policies["gateway"]["spec"]["ingress"]
    )
    assert not [o for o in objects if o["kind"] == "Secret"]
    refs = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for d in _of(objects, "Deployment").values()
        for env in d["spec"]["template"]["spec"]["containers"][0].get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    assert refs == {"screener-secrets"}


def test_every_configmap_key_is_a_setting_the_services_read(objects: list[dict]) -> None:
    known = {
        field.alias
        for settings in (GatewaySettings, ExtractorSettings, RankerSettings, AnalyzerSettings)
        for field in settings.model_fields.values()
        if field.alias
    }
    (config,) = _of(objects, "ConfigMap").values()
    assert len(config["data"]) >= 5, config["data"]
    unknown = {key for key in config["data"] if key not in known and not key.startswith("OTEL_")}
    assert not unknown, unknown
