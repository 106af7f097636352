"""The whole mesh, measured: N generated resumes through the REST API, one batch, until every one is ranked.

    python -m bench.mesh_bench --resumes 100 --replicas 1 --scan-share 0.1 [--json-out results.json]

Starts the mesh the way `screener up` does (separate processes, embedded Postgres and nats-server),
uploads the resumes, starts one batch and waits. Reports resumes per second end to end, p50/p95/p99
time from upload to ranked, time per stage, peak memory per service, CPU use, embeddings computed and
cached. Then, with the mesh stopped, the floor on the same files: PyMuPDF alone reading them,
Tesseract alone on the image-only pages, and the embedding model alone on exactly the texts the ranker
embeds. Pipeline efficiency = floor / measured wall time. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import psutil
from google.protobuf.json_format import ParseDict
from rich.console import Console
from rich.table import Table

from screener.v1 import resume_pb2
from services.demo.factory import make_person, render
from services.demo.mailbox import MailSink
from services.demo.run import sign_in
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh, MeshConfig, free_port

console = Console()
TEXT_LAYOUTS = ["one_column", "two_column", "table", "spanish", "hidden"]


def generate(count: int, scan_share: float, seed: int) -> list[tuple[str, bytes, bool]]:
    rng = random.Random(seed)
    files = []
    for i in range(count):
        scanned = rng.random() < scan_share
        layout = "scan150" if scanned else TEXT_LAYOUTS[i % len(TEXT_LAYOUTS)]
        name, content = render(make_person(rng), layout, rng)
        files.append((f"{i:05d}-{name}", content, scanned))
    return files


class Sampler(threading.Thread):
    """Peak resident memory per service and system CPU use while the batch runs."""

    def __init__(self, mesh: Mesh) -> None:
        super().__init__(daemon=True)
        self.mesh = mesh
        self.peak_mb: dict[str, float] = {}
        self.cpu: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        psutil.cpu_percent(None)
        while not self.stop.wait(0.5):
            self.cpu.append(psutil.cpu_percent(None))
            for process in self.mesh.services:
                if process.process is None:
                    continue
                try:
                    proc = psutil.Process(process.process.pid)
                    rss = proc.memory_info().rss + sum(
                        c.memory_info().rss for c in proc.children(recursive=True)
                    )
                except psutil.Error:
                    continue
                service = process.name.rsplit("-", 1)[0]
                self.peak_mb[service] = max(self.peak_mb.get(service, 0.0), rss / 2**20)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


async def read_rows(database_url: str, job_id: str) -> list[dict]:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        rows = await conn.fetch(
            "SELECT filename, status, created_at, updated_at, stage_seconds, parsed"
            " FROM resumes WHERE job_id = $1",
            uuid.UUID(job_id),
        )
    finally:
        await conn.close()
    return [dict(r) for r in rows]


def metric_sums(text: str, name: str, label: str) -> dict[str, float]:
    """Sum of one metric's samples per value of `label`, over every scraped process."""
    sums: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{") and f'{label}="' in line:
            key = line.split(f'{label}="')[1].split('"')[0]
            sums[key] = sums.get(key, 0.0) + float(line.rsplit(" ", 1)[1])
    return sums


def per_stage(metrics: str) -> dict[str, dict[str, float]]:
    """Mean seconds and count of each step a resume goes through, from every service's histograms:
    queue wait per consumer, handling per consumer (extract; the gateway's is applying a result to
    Postgres), OCR per page, and the ranker's embedding and scoring per resume."""
    steps: dict[str, dict[str, float]] = {}
    for metric, label, prefix in (
        ("screener_queue_wait_seconds", "consumer", "queue wait "),
        ("screener_stage_seconds", "consumer", "handle "),
        ("screener_phase_seconds", "phase", ""),
    ):
        sums = metric_sums(metrics, metric + "_sum", label)
        counts = metric_sums(metrics, metric + "_count", label)
        for key, count in counts.items():
            if count:
                steps[prefix + key] = {"mean": sums.get(key, 0.0) / count, "count": count}
    names = {"handle gateway": "apply (gateway, per event)", "handle extractor": "extract (per resume)"}
    return {names.get(k, k): v for k, v in steps.items()}


def floor_seconds(files: list[tuple[str, bytes, bool]], parsed: list[dict], ocr_dpi: int) -> dict[str, float]:
    """What the work costs without the mesh: one process, the same files and texts."""
    import pymupdf
    import pytesseract
    from PIL import Image

    from services.ranker.embedding import Embedder
    from services.ranker.scoring import resume_passages, resume_phrases

    started = time.perf_counter()
    for _, content, scanned in files:
        if not scanned and content.startswith(b"%PDF"):
            with pymupdf.open(stream=content, filetype="pdf") as doc:
                for page in doc:
                    page.get_text("dict")
    pymupdf_seconds = time.perf_counter() - started

    # Like every part of the floor, one core's work: Tesseract with one thread, as the extractor runs it
    # (its OpenMP threads make it about three times slower on this machine, not faster).
    os.environ["OMP_THREAD_LIMIT"] = "1"
    images = []
    for _, content, scanned in files:
        if scanned:
            with pymupdf.open(stream=content, filetype="pdf") as doc:
                for page in doc:
                    pixmap = page.get_pixmap(dpi=ocr_dpi, colorspace=pymupdf.csGRAY)
                    images.append(Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples))
    started = time.perf_counter()
    for image in images:
        pytesseract.image_to_string(image, lang="eng+spa")
    tesseract_seconds = time.perf_counter() - started
    ocr_pages = len(images)

    texts: list[str] = []
    for item in parsed:
        resume = ParseDict(item, resume_pb2.ParsedResume(), ignore_unknown_fields=True)
        first_line = next((line.strip() for line in resume.full_text.splitlines() if line.strip()), "")
        titles = [
            t
            for t in dict.fromkeys([resume.headline, first_line, *(e.title for e in resume.experience[:3])])
            if t
        ]
        texts += [p.text for p in resume_passages(resume)] + titles + resume_phrases(resume)
    unique = list(dict.fromkeys(texts))
    embedder = Embedder(threads=1)
    started = time.perf_counter()
    embedder._encode(unique)  # the fastest way this model embeds them: length-bucketed batches
    embed_seconds = time.perf_counter() - started
    return {
        "pymupdf": pymupdf_seconds,
        "tesseract": tesseract_seconds,
        "embedding": embed_seconds,
        "ocr_pages": ocr_pages,
        "texts_embedded": len(unique),
    }


def run(args: argparse.Namespace) -> dict:
    files = generate(args.resumes, args.scan_share, args.seed)
    mailbox = MailSink(free_port())
    mailbox.start()
    mesh = Mesh(
        MeshConfig.with_free_ports(
            Path(tempfile.mkdtemp(prefix="screener-bench-")),
            replicas=args.replicas,
            smtp_url=mailbox.url,
            extra_env={"LOG_LEVEL": "WARNING", "MAX_QUEUED_WORK": str(max(20_000, args.resumes * 2))},
        )
    )
    console.print(f"{len(files)} resumes ({sum(f[2] for f in files)} image-only); starting the mesh ...")
    mesh.start(timeout=300)
    sampler = Sampler(mesh)
    try:
        client = httpx.Client(base_url=mesh.http_url, timeout=300)
        client.headers["Authorization"] = f"Bearer {sign_in(client, mailbox)}"
        job = client.post("/api/jobs", json=SAMPLE_JOB).json()
        sampler.start()
        started = time.perf_counter()

        def send(chunk: list[tuple[str, bytes, bool]]) -> None:
            response = client.post(
                f"/api/jobs/{job['id']}/resumes",
                files=[("files", (name, content, "application/octet-stream")) for name, content, _ in chunk],
            )
            response.raise_for_status()

        chunks = [files[i : i + 25] for i in range(0, len(files), 25)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(send, chunks))
        uploaded = time.perf_counter() - started
        batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
        while client.get(f"/api/batches/{batch['id']}").json()["status"] != "done":
            time.sleep(0.25)
        wall = time.perf_counter() - started
        sampler.stop.set()
        scraped = {name: httpx.get(mesh.metrics_url(name), timeout=10).text for name in mesh.metrics_ports}
        metrics = "\n".join(scraped.values())
        rows = asyncio.run(read_rows(mesh.database_url, job["id"]))
    finally:
        sampler.stop.set()
        mesh.stop()
        mailbox.stop()

    latencies = [
        (r["updated_at"] - r["created_at"]).total_seconds() for r in rows if r["status"] == "completed"
    ]
    stages: dict[str, list[float]] = {}
    for r in rows:
        for stage, seconds in (
            json.loads(r["stage_seconds"])
            if isinstance(r["stage_seconds"], str)
            else r["stage_seconds"] or {}
        ).items():
            stages.setdefault(stage, []).append(float(seconds))
    embeddings = metric_sums(metrics, "screener_embeddings_total", "source")
    parsed = [
        json.loads(r["parsed"]) if isinstance(r["parsed"], str) else r["parsed"] for r in rows if r["parsed"]
    ]
    floor = floor_seconds(files, parsed, args.ocr_dpi)
    floor_total = floor["pymupdf"] + floor["tesseract"] + floor["embedding"]
    return {
        "resumes": len(files),
        "image_only": sum(f[2] for f in files),
        "replicas": args.replicas,
        "completed": sum(r["status"] == "completed" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "upload_seconds": uploaded,
        "wall_seconds": wall,
        "resumes_per_second": len(files) / wall,
        "p50": percentile(latencies, 0.5),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "stage_mean_seconds": {k: statistics.fmean(v) for k, v in stages.items()},
        "steps": per_stage(metrics),
        "peak_memory_mb": sampler.peak_mb,
        "cpu_mean_percent": statistics.fmean(sampler.cpu) if sampler.cpu else 0.0,
        "embeddings": embeddings,
        "floor": floor,
        "floor_seconds": floor_total,
        "efficiency": floor_total / wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resumes", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--scan-share", type=float, default=0.0, help="share of image-only resumes")
    parser.add_argument("--ocr-dpi", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    result = run(args)
    table = Table(
        title=f"mesh benchmark: {result['resumes']} resumes, {result['replicas']} replica(s) per worker"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("completed / failed", f"{result['completed']} / {result['failed']}"),
        ("wall time (s)", f"{result['wall_seconds']:.1f}"),
        ("resumes per second", f"{result['resumes_per_second']:.2f}"),
        (
            "upload to ranked p50 / p95 / p99 (s)",
            f"{result['p50']:.1f} / {result['p95']:.1f} / {result['p99']:.1f}",
        ),
        *(
            (f"mean {stage} (s)", f"{value:.3f}")
            for stage, value in sorted(result["stage_mean_seconds"].items())
        ),
        *(
            (f"mean {step} (s)", f"{value['mean']:.3f} (x{value['count']:.0f})")
            for step, value in sorted(result["steps"].items())
        ),
        *((f"peak memory {svc} (MB)", f"{mb:.0f}") for svc, mb in sorted(result["peak_memory_mb"].items())),
        ("CPU use, mean of all cores (%)", f"{result['cpu_mean_percent']:.0f}"),
        *((f"embeddings {source}", f"{count:.0f}") for source, count in sorted(result["embeddings"].items())),
        ("floor: PyMuPDF alone (s)", f"{result['floor']['pymupdf']:.2f}"),
        (
            "floor: Tesseract alone (s)",
            f"{result['floor']['tesseract']:.2f} ({result['floor']['ocr_pages']} pages)",
        ),
        (
            "floor: embedding alone (s)",
            f"{result['floor']['embedding']:.2f} ({result['floor']['texts_embedded']} texts)",
        ),
        ("pipeline efficiency (floor / wall)", f"{result['efficiency']:.2f}"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2, default=str))
    return 0 if result["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
