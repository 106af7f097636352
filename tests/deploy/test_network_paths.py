"""Every connection the deployment makes, through the NetworkPolicies that govern it.

The connections are read from the manifests and the code's settings (NATS_URL, the *_ADDR settings, the
documented database URL, KEDA's monitoring endpoint, the NATS routes, Ingress backends), each host name
resolved to a Service and each Service port to a container port, and every one must be allowed by the
egress policies of its source and the ingress policies of its destination, as the NetworkPolicy
specification reads them. Pods of components the project does not ship (KEDA, Prometheus, DNS, the
CloudNativePG instances and operator, the ingress controller, a collector, an in-cluster LLM) stand in
with the labels their own charts give them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from tests.deploy.test_manifest_runs import CNPG_SERVICE, documented_secret

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBECTL = Path(sys.executable).with_name("kubectl")


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str] = field(hash=False)
    ports: dict[str, int] = field(default_factory=dict, hash=False)
    external: bool = False


INTERNET = Pod("internet", "", {}, {}, external=True)


def _render(path: Path) -> list[dict]:
    run = subprocess.run([str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return [doc for doc in yaml.safe_load_all(run.stdout) if doc]


def _matches(selector: dict | None, labels: dict[str, str]) -> bool:
    if not selector:
        return True
    assert set(selector) <= {"matchLabels"}, f"only matchLabels is read here: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


@dataclass
class Cluster:
    pods: list[Pod]
    services: list[dict]
    policies: list[dict]
    namespace_labels: dict[str, dict[str, str]]

    def _peer(self, peer: dict, policy_namespace: str, pod: Pod) -> bool:
        if pod.external:
            return False  # only a rule without `from`/`to` reaches beyond the cluster (no ipBlock used)
        assert "ipBlock" not in peer, peer
        if "namespaceSelector" in peer:
            in_namespace = _matches(peer["namespaceSelector"], self.namespace_labels.get(pod.namespace, {}))
        else:
            in_namespace = pod.namespace == policy_namespace
        return in_namespace and _matches(peer.get("podSelector"), pod.labels)

    @staticmethod
    def _port(rule: dict, target: Pod, port: int, protocol: str) -> bool:
        if "ports" not in rule:
            return True
        for allowed in rule["ports"]:
            if allowed.get("protocol", "TCP") != protocol:
                continue
            number = allowed.get("port")
            if (
                number is None
                or number == port
                or (isinstance(number, str) and target.ports.get(number) == port)
            ):
                return True
        return False

    def allowed(self, source: Pod, target: Pod, port: int, protocol: str = "TCP") -> bool:
        for side, pod, peer_pod, key, direction in (
            ("Egress", source, target, "to", "egress"),
            ("Ingress", target, source, "from", "ingress"),
        ):
            if pod.external:
                continue
            governing = [
                p
                for p in self.policies
                if p["metadata"]["namespace"] == pod.namespace
                and side in p["spec"].get("policyTypes", ["Ingress"])
                and _matches(p["spec"]["podSelector"], pod.labels)
            ]
            if not governing:
                continue
            if not any(
                (
                    key not in rule
                    or any(self._peer(peer, p["metadata"]["namespace"], peer_pod) for peer in rule[key])
                )
                and self._port(rule, target, port, protocol)
                for p in governing
                for rule in p["spec"].get(direction, [])
            ):
                return False
        return True

    def resolve(self, host: str, port: int, from_namespace: str) -> tuple[list[Pod], int]:
        """The pods a host name reaches from a namespace, and the container port a Service port leads to."""
        parts = host.removesuffix(".cluster.local").removesuffix(".svc").split(".")
        pod_name = None
        if len(parts) == 3:  # <pod>.<headless service>.<namespace>
            pod_name, service_name, namespace = parts
        elif len(parts) == 2:
            service_name, namespace = parts
        else:
            (service_name,), namespace = parts, from_namespace
        matching = [
            s
            for s in self.services
            if s["metadata"]["name"] == service_name and s["metadata"]["namespace"] == namespace
        ]
        assert matching, f"{host}: no Service {service_name} in namespace {namespace}"
        (service,) = matching
        if pod_name is not None:
            assert service["spec"].get("clusterIP") == "None", (
                f"{host}: pods are named only by a headless Service"
            )
        exposed = [p for p in service["spec"]["ports"] if p["port"] == port]
        assert exposed, f"{host}:{port}: Service {service_name} does not expose port {port}"
        selected = [
            p
            for p in self.pods
            if p.namespace == namespace
            and _matches({"matchLabels": service["spec"]["selector"]}, p.labels)
            and (pod_name is None or p.name == pod_name)
        ]
        assert selected, f"{host}: Service {service_name} selects no pod"
        target = exposed[0].get("targetPort", port)
        if isinstance(target, str):
            numbers = {p.ports.get(target) for p in selected}
            assert len(numbers) == 1 and None not in numbers, (host, target, numbers)
            (target,) = numbers
        return selected, int(target)


def _host_port(address: str) -> tuple[str, int]:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    assert parsed.hostname and parsed.port, address
    return parsed.hostname, parsed.port


def _pods_of(objects: list[dict], namespace: str) -> list[Pod]:
    pods = []
    for obj in objects:
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        template = obj["spec"]["template"]
        ports = {
            p["name"]: p["containerPort"] for c in template["spec"]["containers"] for p in c.get("ports", [])
        }
        count = obj["spec"].get("replicas", 1) if obj["kind"] == "StatefulSet" else 1
        for index in range(count):
            name = f"{obj['metadata']['name']}-{index}"
            pods.append(
                Pod(name, obj["metadata"].get("namespace", namespace), template["metadata"]["labels"], ports)
            )
    return pods


# The pods of what the project does not ship, labelled as their own installations label them.
OTHERS = [
    Pod("keda-operator", "keda", {"app": "keda-operator"}),
    Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"}),
    Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53}),
    Pod(
        "screener-db-1", "postgres", {"cnpg.io/cluster": "screener-db"}, {"postgresql": 5432, "status": 8000}
    ),
    Pod(
        "screener-db-2", "postgres", {"cnpg.io/cluster": "screener-db"}, {"postgresql": 5432, "status": 8000}
    ),
    Pod("cnpg-controller-manager", "cnpg-system", {"app.kubernetes.io/name": "cloudnative-pg"}),
    Pod("ingress-nginx-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}),
    Pod(
        "otel-collector",
        "observability",
        {"app.kubernetes.io/name": "opentelemetry-collector"},
        {"otlp": 4317},
    ),
    Pod("vllm", "llm", {"app.kubernetes.io/name": "vllm"}, {"http": 8000}),
]
EXTRA_NAMESPACE_LABELS = {"llm": {"screener.dev/llm": "true"}}


@pytest.fixture(scope="module", params=("dev", "prod"))
def cluster(request: pytest.FixtureRequest) -> tuple[Cluster, list[dict], str]:
    objects = _render(K8S / "overlays" / request.param)
    nats_objects = _render(K8S / "nats")
    prerequisites = [d for d in yaml.safe_load_all((K8S / "prerequisites" / "network.yaml").read_text()) if d]
    namespace = next(o["metadata"]["name"] for o in objects if o["kind"] == "Namespace")
    labels = {
        o["metadata"]["name"]: {
            "kubernetes.io/metadata.name": o["metadata"]["name"],
            **o["metadata"].get("labels", {}),
        }
        for o in objects + nats_objects
        if o["kind"] == "Namespace"
    }
    for name in {p.namespace for p in OTHERS}:
        labels.setdefault(name, {"kubernetes.io/metadata.name": name, **EXTRA_NAMESPACE_LABELS.get(name, {})})
    for obj in objects:
        obj["metadata"].setdefault("namespace", namespace)
    pods = _pods_of(objects, namespace) + _pods_of(nats_objects, "nats") + OTHERS
    services = [o for o in objects + nats_objects if o["kind"] == "Service"] + [CNPG_SERVICE]
    policies = [o for o in objects + nats_objects + prerequisites if o["kind"] == "NetworkPolicy"]
    return Cluster(pods, services, policies, labels), objects, namespace


def _pod(cluster: Cluster, name: str) -> Pod:
    (pod,) = [p for p in cluster.pods if p.name == name]
    return pod


def _connections(
    cluster: Cluster, objects: list[dict], namespace: str
) -> list[tuple[Pod, Pod, int, str, str]]:
    """(source, target, port, protocol, why) for every connection the deployment makes."""
    (config,) = [o["data"] for o in objects if o["kind"] == "ConfigMap"]
    mesh = [p for p in cluster.pods if p.namespace == namespace]
    found: list[tuple[Pod, Pod, int, str, str]] = []

    def connect(source: Pod, address: str, why: str, from_namespace: str | None = None) -> None:
        host, port = _host_port(address)
        targets, container_port = cluster.resolve(host, port, from_namespace or source.namespace)
        found.extend((source, target, container_port, "TCP", why) for target in targets)

    for pod in mesh:
        connect(pod, config["NATS_URL"], "NATS_URL")
        found.append((pod, _pod(cluster, "coredns"), 53, "UDP", "DNS"))
        found.append((pod, _pod(cluster, "otel-collector"), 4317, "TCP", "OTLP traces"))
        found.append((_pod(cluster, "prometheus"), pod, pod.ports["metrics"], "TCP", "metrics scrape"))
    gateway = next(p for p in mesh if p.labels["app.kubernetes.io/name"] == "gateway")
    analyzer = next(p for p in mesh if p.labels["app.kubernetes.io/name"] == "analyzer")
    for setting in ("EXTRACTOR_ADDR", "RANKER_ADDR", "ANALYZER_ADDR"):
        connect(gateway, config[setting], setting)
    connect(gateway, documented_secret()["database-url"].replace("...", "x"), "database-url")
    found.append((gateway, INTERNET, 587, "TCP", "SMTP (STARTTLS)"))
    found.append((gateway, INTERNET, 465, "TCP", "SMTP (implicit TLS)"))
    connect(analyzer, config["GATEWAY_INTERNAL_ADDR"], "GATEWAY_INTERNAL_ADDR")
    found.append((analyzer, INTERNET, 443, "TCP", "LLM provider (default OPENAI_BASE_URL)"))
    found.append(
        (analyzer, _pod(cluster, "vllm"), 8000, "TCP", "LLM inside the cluster (namespace screener.dev/llm)")
    )
    # KEDA asks the monitoring endpoint, then the server leading each stream by its name.
    keda = _pod(cluster, "keda-operator")
    for scaled in (o for o in objects if o["kind"] == "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            endpoint = trigger["metadata"]["natsServerMonitoringEndpoint"]
            connect(keda, endpoint, f"KEDA {scaled['metadata']['name']}")
            host, port = _host_port(endpoint)
            for server in (p for p in cluster.pods if p.labels.get("app.kubernetes.io/name") == "nats"):
                connect(keda, f"{server.name}.{host}:{port}", "KEDA to a stream leader")
    # NATS servers route to each other; nats-box reaches them; Postgres instances replicate.
    routes = re.findall(r"nats://([\w.-]+:6222)", (K8S / "nats" / "nats.conf").read_text())
    nats_pods = [p for p in cluster.pods if p.labels.get("app.kubernetes.io/name") == "nats"]
    for server in nats_pods:
        for route in routes:
            connect(server, route, "NATS cluster route")
    box = _pod(cluster, "nats-box-0")
    nats_box = next(
        o for o in _render(K8S / "nats") if o["kind"] == "Deployment" and o["metadata"]["name"] == "nats-box"
    )
    (box_url,) = [
        e["value"]
        for e in nats_box["spec"]["template"]["spec"]["containers"][0]["env"]
        if e["name"] == "NATS_URL"
    ]
    connect(box, box_url, "nats-box")
    instances = [p for p in cluster.pods if p.labels.get("cnpg.io/cluster") == "screener-db"]
    for source in instances:
        for target in instances:
            if source != target:
                found.append((source, target, 5432, "TCP", "streaming replication"))
                found.append((source, target, 8000, "TCP", "instance manager status"))
        found.append((_pod(cluster, "cnpg-controller-manager"), source, 8000, "TCP", "operator"))
    controller = _pod(cluster, "ingress-nginx-controller")
    for ingress in (o for o in objects if o["kind"] == "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = next(
                    s
                    for s in cluster.services
                    if s["metadata"]["name"] == backend["name"] and s["metadata"]["namespace"] == namespace
                )
                (port,) = [
                    p["port"] for p in service["spec"]["ports"] if p["name"] == backend["port"]["name"]
                ]
                connect(controller, f"{backend['name']}.{namespace}:{port}", "ingress", namespace)
    return found


def test_every_connection_the_deployment_makes_has_a_policy_path(
    cluster: tuple[Cluster, list[dict], str],
) -> None:
    model, objects, namespace = cluster
    connections = _connections(model, objects, namespace)
    assert len(connections) > 40
    blocked = [
        f"{source.namespace}/{source.name} -> {target.namespace}/{target.name}:{port}/{protocol} ({why})"
        for source, target, port, protocol, why in connections
        if not model.allowed(source, target, port, protocol)
    ]
    assert not blocked, "\n".join(blocked)


def test_what_must_stay_closed_is_closed(cluster: tuple[Cluster, list[dict], str]) -> None:
    """The evaluator can say no: the paths the policies exist to close are closed."""
    model, _, namespace = cluster
    mesh = {p.labels["app.kubernetes.io/name"]: p for p in model.pods if p.namespace == namespace}
    postgres = _pod(model, "screener-db-1")
    for name in ("extractor", "ranker", "analyzer"):
        assert not model.allowed(mesh[name], postgres, 5432), name
    assert not model.allowed(mesh["extractor"], mesh["gateway"], 50055)
    assert not model.allowed(_pod(model, "ingress-nginx-controller"), mesh["gateway"], 50055)
    assert not model.allowed(mesh["extractor"], INTERNET, 443)
    assert not model.allowed(_pod(model, "vllm"), _pod(model, "nats-0"), 4222)
    assert not model.allowed(_pod(model, "keda-operator"), _pod(model, "nats-0"), 4222)
    assert not model.allowed(_pod(model, "prometheus"), postgres, 5432)
