"""An index in the ranked table's order

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 17:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The job's resumes in rank order (score, then upload time): the first pages and the job-wide rank
    # are read from it in order, without sorting the whole job.
    op.create_index(
        "ix_resumes_job_rank_order",
        "resumes",
        ["job_id", sa.text("final_score DESC NULLS LAST"), "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_resumes_job_rank_order", table_name="resumes")
