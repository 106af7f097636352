"""Draw the mesh benchmark's scaling runs and print them as Markdown tables:

    python -m bench.plot_scaling OUT.png RESULT.json ...

Each RESULT.json is written by `python -m bench.mesh_bench --json-out`. Runs are grouped by N and the
share of image-only resumes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="the PNG to draw")
    parser.add_argument("results", type=Path, nargs="+", help="JSON files written by bench.mesh_bench")
    args = parser.parse_args(argv)
    import matplotlib  # the `bench` extra

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out, paths = args.out, args.results
    results = [json.loads(p.read_text()) for p in paths]
    groups = sorted({(r["resumes"], r["image_only"] > 0) for r in results})
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(10, 4))
    for size, scans in groups:
        runs = sorted(
            (r for r in results if r["resumes"] == size and (r["image_only"] > 0) == scans),
            key=lambda r: r["replicas"],
        )
        replicas = [r["replicas"] for r in runs]
        label = f"N = {size}" + (f", {runs[0]['image_only']} scans" if scans else "")
        throughput.plot(replicas, [r["resumes_per_second"] for r in runs], marker="o", label=label)
        latency.plot(replicas, [r["p95"] for r in runs], marker="o", label=label)
    for axis, title in ((throughput, "resumes per second"), (latency, "p95 upload to ranked (s)")):
        axis.set_xlabel("replicas of each worker service")
        axis.set_title(title)
        axis.set_xticks(sorted({r["replicas"] for r in results}))
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle("Screener mesh on 2 CPU cores (ONNX embeddings)")
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    print(out)
    print(markdown(results))
    return 0


def markdown(results: list[dict]) -> str:
    """The scaling table and the per-step table, one row per run."""
    ordered = sorted(results, key=lambda r: (r["image_only"] > 0, r["resumes"], r["replicas"]))
    lines = [
        "| N | scans | replicas | resumes/s | wall s | upload to ranked p50 / p95 / p99 s "
        "| peak MB extractor / ranker / gateway | CPU % | floor s | efficiency |",
        "| ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: | ---: |",
    ]
    for r in ordered:
        memory = " / ".join(
            f"{r['peak_memory_mb'].get(s, 0):.0f}" for s in ("extractor", "ranker", "gateway")
        )
        lines.append(
            f"| {r['resumes']} | {r['image_only']} | {r['replicas']} | {r['resumes_per_second']:.2f} "
            f"| {r['wall_seconds']:.1f} | {r['p50']:.1f} / {r['p95']:.1f} / {r['p99']:.1f} "
            f"| {memory} "
            f"| {r['cpu_mean_percent']:.0f} | {r['floor_seconds']:.1f} | {r['efficiency']:.2f} |"
        )
    steps = [
        ("queue wait extractor", "extract wait"),
        ("extract (per resume)", "extract"),
        ("ocr_page", "OCR / page"),
        ("queue wait ranker", "rank wait"),
        ("embed", "embed"),
        ("score", "score"),
        ("apply (gateway, per event)", "apply / event"),
    ]
    lines += [
        "",
        "| N | scans | replicas | " + " | ".join(label for _, label in steps) + " |",
        "| ---: | ---: | ---: | " + " | ".join("---:" for _ in steps) + " |",
    ]
    for r in ordered:
        cells = [f"{r['steps'][key]['mean']:.3f}" if key in r.get("steps", {}) else "-" for key, _ in steps]
        lines.append(f"| {r['resumes']} | {r['image_only']} | {r['replicas']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
