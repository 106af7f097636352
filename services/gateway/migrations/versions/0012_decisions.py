"""Decisions on candidates: each one kept with its note and author, the current one on the resume

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 21:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resumes", sa.Column("decision", sa.String(16), nullable=True))
    op.add_column("resumes", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_resumes_job_decision", "resumes", ["job_id", "decision"])
    op.create_table(
        "decisions",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "resume_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("resumes.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "decided_by",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_decisions_resume_id", "decisions", ["resume_id"])


def downgrade() -> None:
    op.drop_index("ix_decisions_resume_id", table_name="decisions")
    op.drop_table("decisions")
    op.drop_index("ix_resumes_job_decision", table_name="resumes")
    op.drop_column("resumes", "decided_at")
    op.drop_column("resumes", "decision")
