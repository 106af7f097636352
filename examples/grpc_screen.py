"""Screen resumes over the gateway's gRPC API (screener.v1.ScreeningService).

    python examples/grpc_screen.py --target 127.0.0.1:50054 --api-key sk_... resume1.pdf resume2.pdf

Creates a job, streams the files up, starts a batch, follows it with WatchBatch and prints the top of
the ranked table. Create the API key with `POST /api/keys` (REST) first.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import grpc

from screener.v1 import gateway_pb2, gateway_pb2_grpc

CHUNK = 256 * 1024


def upload_messages(job_id: str, paths: list[Path]) -> Iterator[gateway_pb2.UploadResumesRequest]:
    """The UploadResumes stream: the job id, then for each file its name and its bytes in chunks."""
    yield gateway_pb2.UploadResumesRequest(job_id=job_id)
    for path in paths:
        yield gateway_pb2.UploadResumesRequest(filename=path.name)
        data = path.read_bytes()
        for start in range(0, len(data), CHUNK):
            yield gateway_pb2.UploadResumesRequest(chunk=data[start : start + CHUNK])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", default="127.0.0.1:50054", help="the gateway's gRPC address")
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--title", default="Backend engineer")
    parser.add_argument("--skills", default="Python,PostgreSQL", help="required skills, comma-separated")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    auth = (("authorization", f"Bearer {args.api_key}"),)

    with grpc.insecure_channel(args.target) as channel:
        stub = gateway_pb2_grpc.ScreeningServiceStub(channel)
        job = stub.CreateJob(
            gateway_pb2.CreateJobRequest(
                job=gateway_pb2.JobDraft(title=args.title, required_skills=args.skills.split(","))
            ),
            metadata=auth,
        )
        print(f"job {job.id}")
        uploaded = stub.UploadResumes(upload_messages(job.id, args.files), metadata=auth)
        for item in uploaded.items:
            print(f"  {item.filename}: {item.resume_id or item.error_code + ' ' + item.error_message}")
        batch = stub.StartBatch(gateway_pb2.StartBatchRequest(job_id=job.id), metadata=auth)
        for update in stub.WatchBatch(gateway_pb2.WatchBatchRequest(batch_id=batch.id), metadata=auth):
            for row in update.finished:
                print(f"  finished {row.filename}: {row.status}")
            if update.batch.status == "done":
                print(f"batch {batch.id}: {update.batch.completed} ranked, {update.batch.failed} failed")
                break
        page = stub.ListResumes(gateway_pb2.ListResumesRequest(job_id=job.id, page_size=10), metadata=auth)
        for row in page.items:
            verdict = "pass" if row.passed else "fail"
            print(f"#{row.rank} {row.final_score:5.1f} {verdict} {row.candidate_name or row.filename}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
