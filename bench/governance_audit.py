"""A bias audit and a counterfactual audit on the shared ranking data, through the running mesh.

    python -m bench.governance_audit [--data ../shared/data] [--jobs INFORMATION-TECHNOLOGY,ENGINEERING]

Starts the mesh, creates each named job from ranking/jobs.yaml, uploads all 192 resumes to it and
screens them, then gives each candidate constructed demographic labels (drawn with a fixed seed, the
same for every job: the real resumes carry none, and no label says anything about the person) and prints
the job's bias audit and a counterfactual audit of its 20 top-ranked resumes. With labels drawn at
random, every impact ratio should sit near 1; the counterfactual changes should sit within the trust
goal (largest <= 0.5, mean <= 0.1).
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from rich.console import Console
from rich.table import Table

from bench.ranking_eval import DEFAULT_DATA
from services.demo.mailbox import MailSink
from services.demo.run import sign_in
from services.gateway.bias_audit import RACES, SEXES
from services.launcher import Mesh, MeshConfig, free_port

console = Console()


def labels_for(resume_ids: list[str], seed: int) -> dict[str, tuple[str | None, str | None]]:
    rng = random.Random(seed)
    out = {}
    for resume_id in sorted(resume_ids):
        sex = rng.choice([*SEXES, None]) if rng.random() > 0.05 else None
        race = rng.choices([*RACES, None], weights=[18, 55, 13, 1, 7, 1, 3, 2])[0]
        out[resume_id] = (sex, race)
    return out


def screen(client: httpx.Client, spec: dict, files: list[Path]) -> dict:
    job = (
        client.post(
            "/api/jobs",
            json={
                "title": spec["title"],
                "description": spec["description"],
                "required_skills": spec["required_skills"],
                "preferred_skills": spec.get("preferred_skills", []),
                "min_years_experience": spec.get("min_years", 0),
            },
        )
        .raise_for_status()
        .json()
    )
    for start in range(0, len(files), 50):
        chunk = files[start : start + 50]
        parts = [("files", (f"{p.parent.name}-{p.name}", p.read_bytes(), "application/pdf")) for p in chunk]
        client.post(f"/api/jobs/{job['id']}/resumes", files=parts).raise_for_status()
    batch = client.post("/api/batches", json={"job_id": job["id"]}).raise_for_status().json()
    while client.get(f"/api/batches/{batch['id']}").json()["status"] != "done":
        time.sleep(1)
    return dict(job)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--jobs", default="INFORMATION-TECHNOLOGY,ENGINEERING,ACCOUNTANT")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    ranking = Path(args.data) / "ranking"
    specs = yaml.safe_load((ranking / "jobs.yaml").read_text())
    with (ranking / "labels.csv").open() as handle:
        files = [ranking / row["path"] for row in csv.DictReader(handle)]
    mailbox = MailSink(free_port())
    mailbox.start()
    mesh = Mesh(
        MeshConfig.with_free_ports(
            Path(tempfile.mkdtemp(prefix="screener-governance-")),
            smtp_url=mailbox.url,
            extra_env={"LOG_LEVEL": "WARNING"},
        )
    )
    mesh.start(timeout=300)
    try:
        client = httpx.Client(base_url=mesh.http_url, timeout=600)
        client.headers["Authorization"] = f"Bearer {sign_in(client, mailbox)}"
        for key in args.jobs.split(","):
            started = time.monotonic()
            job = screen(client, specs[key], files)
            rows = client.get(f"/api/jobs/{job['id']}/resumes", params={"page_size": 200}).json()["items"]
            labels = labels_for([row["filename"] for row in rows], args.seed)
            lines = ["resume_id,sex,race_ethnicity"]
            lines += [
                f"{row['id']},{labels[row['filename']][0] or ''},{labels[row['filename']][1] or ''}"
                for row in rows
            ]
            client.post(
                f"/api/jobs/{job['id']}/demographics",
                files={"file": ("labels.csv", "\n".join(lines).encode(), "text/csv")},
            ).raise_for_status()
            report = client.get(f"/api/jobs/{job['id']}/bias-audit").json()
            print_audit(key, report, time.monotonic() - started)
            counterfactual = (
                client.post(f"/api/jobs/{job['id']}/counterfactual-audit", json={"resumes": 20})
                .raise_for_status()
                .json()
            )
            for kind, change in counterfactual["changes"].items():
                console.print(
                    f"counterfactual, {kind}: {change['variants']} variants, "
                    f"largest {change['largest']:.2f}, mean {change['mean']:.3f} points"
                )
    finally:
        mesh.stop()
        mailbox.stop()
    return 0


def print_audit(key: str, report: dict, seconds: float) -> None:
    table = Table(
        title=f"{key}: {report['candidates']} candidates, median {report['median_score']:.1f} "
        f"({seconds:.0f} s)"
    )
    for column in ("dimension", "category", "n", "selection", "IR", "scoring", "IR", "flags"):
        table.add_column(column, justify="left" if column in ("dimension", "category", "flags") else "right")
    for dimension in report["dimensions"][:2]:
        for group in dimension["groups"]:
            table.add_row(
                dimension["dimension"],
                group["category"] + (" (small)" if group["small"] else ""),
                str(group["candidates"]),
                f"{group['selection_rate']:.2f}",
                "-" if group["selection_impact_ratio"] is None else f"{group['selection_impact_ratio']:.2f}",
                f"{group['scoring_rate']:.2f}",
                "-" if group["scoring_impact_ratio"] is None else f"{group['scoring_impact_ratio']:.2f}",
                " ".join(group["below_four_fifths"]),
            )
        table.add_row(dimension["dimension"], "unknown", str(dimension["unknown"]), "", "", "", "", "")
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
