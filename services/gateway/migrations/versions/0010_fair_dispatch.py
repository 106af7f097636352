"""Resumes wait in Postgres for their turn: the dispatcher sends extract tasks round-robin by owner

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 14:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resumes", sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("resumes", sa.Column("trace_carrier", postgresql.JSONB(), nullable=True))
    # Resumes already in progress were sent by the release before this one.
    op.execute(
        "UPDATE resumes SET dispatched_at = updated_at WHERE status IN ('queued', 'extracting', 'ranking')"
    )
    op.create_index(
        "ix_resumes_waiting",
        "resumes",
        ["owner_id", "updated_at"],
        postgresql_where=sa.text("status = 'queued' AND dispatched_at IS NULL"),
    )
    op.create_index(
        "ix_resumes_active",
        "resumes",
        ["status"],
        postgresql_where=sa.text("status IN ('queued', 'extracting', 'ranking')"),
    )


def downgrade() -> None:
    op.drop_index("ix_resumes_active", table_name="resumes")
    op.drop_index("ix_resumes_waiting", table_name="resumes")
    op.drop_column("resumes", "trace_carrier")
    op.drop_column("resumes", "dispatched_at")
