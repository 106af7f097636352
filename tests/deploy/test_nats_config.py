"""The NATS configuration of each deployment, checked by nats-server itself (`-t`), the same release the
images run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.launcher import nats_server_binary

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_CONF = ROOT / "deploy" / "nats" / "nats.conf"
K8S_CONF = ROOT / "deploy" / "k8s" / "nats" / "nats.conf"


def _check(conf: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [nats_server_binary(), "-t", "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )


def _server_version() -> str:
    run = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, timeout=30)
    match = re.search(r"v(\d+\.\d+\.\d+)", run.stdout + run.stderr)
    assert match, run.stdout + run.stderr
    return match.group(1)


@pytest.mark.parametrize(
    ("conf", "env"),
    [(COMPOSE_CONF, {}), (K8S_CONF, {"SERVER_NAME": "nats-0"})],
    ids=["compose", "kubernetes"],
)
def test_nats_server_accepts_each_deployments_configuration(conf: Path, env: dict[str, str]) -> None:
    run = _check(conf, **env)
    assert run.returncode == 0 and "is valid" in run.stdout + run.stderr, run.stdout + run.stderr
    text = conf.read_text()
    # The largest work message the services send fits (they refuse larger ones themselves).
    assert re.search(r"^max_payload: 8MB$", text, re.M)
    assert re.search(r"^\s*store_dir: /data$", text, re.M)


def test_the_check_refuses_what_nats_server_would_refuse(tmp_path: Path) -> None:
    """The check can fail: the quoted size a Helm chart's merge values render ("8MB") stops nats-server."""
    quoted = tmp_path / "nats.conf"
    quoted.write_text(COMPOSE_CONF.read_text().replace("max_payload: 8MB", 'max_payload: "8MB"'))
    run = _check(quoted)
    assert run.returncode != 0, run.stdout + run.stderr


def test_the_cluster_routes_name_every_server_of_the_statefulset() -> None:
    render = subprocess.run(
        [str(Path(sys.executable).with_name("kubectl")), "kustomize", str(ROOT / "deploy" / "k8s" / "nats")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert render.returncode == 0, render.stderr
    objects = [o for o in yaml.safe_load_all(render.stdout) if o]
    (statefulset,) = [o for o in objects if o["kind"] == "StatefulSet"]
    (config,) = [o for o in objects if o["kind"] == "ConfigMap"]
    assert config["data"]["nats.conf"] == K8S_CONF.read_text()
    service = statefulset["spec"]["serviceName"]
    routes = re.findall(r"nats://([\w.-]+):6222", K8S_CONF.read_text())
    assert routes == [
        f"nats-{index}.{service}.nats.svc.cluster.local" for index in range(statefulset["spec"]["replicas"])
    ]
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert {"name": "SERVER_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in container[
        "env"
    ]
    assert container["args"] == ["--config", "/etc/nats-config/nats.conf"]


def test_the_nats_images_run_the_release_the_suite_checks_with() -> None:
    version = _server_version()
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["nats"]["image"] == f"nats:{version}-alpine"
    kustomization = yaml.safe_load((ROOT / "deploy" / "k8s" / "nats" / "kustomization.yaml").read_text())
    (nats_image,) = [image for image in kustomization["images"] if image["name"] == "nats"]
    assert nats_image["newTag"] == f"{version}-alpine"
