"""Draw the mesh benchmark's scaling runs: python -m bench.plot_scaling OUT.png RESULT.json ...

Each RESULT.json is written by `python -m bench.mesh_bench --json-out`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out, paths = Path(argv[0]), [Path(p) for p in argv[1:]]
    results = [json.loads(p.read_text()) for p in paths]
    sizes = sorted({r["resumes"] for r in results})
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(10, 4))
    for size in sizes:
        runs = sorted((r for r in results if r["resumes"] == size), key=lambda r: r["replicas"])
        replicas = [r["replicas"] for r in runs]
        throughput.plot(replicas, [r["resumes_per_second"] for r in runs], marker="o", label=f"N = {size}")
        latency.plot(replicas, [r["p95"] for r in runs], marker="o", label=f"N = {size}")
    for axis, title in ((throughput, "resumes per second"), (latency, "p95 upload to ranked (s)")):
        axis.set_xlabel("replicas of each worker service")
        axis.set_title(title)
        axis.set_xticks(sorted({r["replicas"] for r in results}))
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle("Screener mesh on 2 CPU cores (text resumes, ONNX embeddings)")
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
