"""`screener up --demo` as a user runs it: screens the samples, keeps serving, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.launcher import free_port


def test_screener_up_demo_prints_the_ranking_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    http_port = free_port()
    command = [
        sys.executable,
        "-m",
        "screener.client.cli",
        "up",
        "--demo",
        "--data-dir",
        str(tmp_path / "mesh"),
        "--http-port",
        str(http_port),
        "--nats-port",
        str(free_port()),
        "--grpc-port-base",
        str(free_port()),
    ]
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("DATABASE_URL", None)
    env.pop("NATS_URL", None)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    output: list[str] = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if "serving on" in line:
                break
        text = "".join(output)
        assert "ready" in text, text
        assert "Ranked candidates" in text and "Ada Quinlan" in text, text
        assert "serving on" in text, text
        # Still serving after the demo.
        assert httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=5).status_code == 200
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, text + rest
    assert "stopped" in rest
    # Every process of the mesh is gone: nothing answers on the API port any more.
    try:
        httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=2)
        still_serving = True
    except httpx.TransportError:
        still_serving = False
    assert not still_serving
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "mesh")], capture_output=True, text=True).stdout
    assert leftovers.strip() == "", leftovers
