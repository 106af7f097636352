"""A file name (or a candidate's name, or a skill) written as a spreadsheet formula is exported as text."""

from __future__ import annotations

import csv
import io

from screener.contract.schemas import FORMULA_STARTS
from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.security.conftest import signed_up

HOSTILE_NAMES = [
    "=cmd|' -C calc'!A0.pdf",
    "+HYPERLINK(CONCAT(A1,B1)).pdf",
    "-2+3+cmd|' -C calc'!A0.pdf",
    "@SUM(1+9)*cmd|' -C calc'!A0.pdf",
]


def test_the_csv_export_disarms_cells_a_spreadsheet_would_run(security_mesh: Mesh, mailbox: MailSink) -> None:
    client = signed_up(security_mesh, mailbox).client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    # The candidate's name line is a formula too.
    lines = ["=HYPERLINK(A1)", *SAMPLE_RESUMES[1].lines[1:]]
    files = [("files", (name, render_pdf([*lines, name]), "application/pdf")) for name in HOSTILE_NAMES]
    uploaded = client.post(f"/api/jobs/{job['id']}/resumes", files=files)
    assert uploaded.status_code == 201, uploaded.text
    assert sorted(item["filename"] for item in uploaded.json()["items"]) == sorted(HOSTILE_NAMES)

    exported = client.get(f"/api/jobs/{job['id']}/export", params={"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(row["filename"] for row in rows) == sorted(f"'{name}" for name in HOSTILE_NAMES)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(FORMULA_STARTS), (column, cell)
    # The JSON export keeps the names as they are: it is data, not a sheet.
    document = client.get(f"/api/jobs/{job['id']}/export", params={"format": "json"}).json()
    assert sorted(item["filename"] for item in document["items"]) == sorted(HOSTILE_NAMES)
