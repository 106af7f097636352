"""per-job scoring settings and stored resume embeddings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("weights", postgresql.JSONB(), server_default="{}", nullable=False))
    op.add_column("jobs", sa.Column("rules", postgresql.JSONB(), server_default="{}", nullable=False))
    op.add_column(
        "jobs", sa.Column("required_education", sa.String(length=32), server_default="", nullable=False)
    )
    op.add_column("resumes", sa.Column("embeddings", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("resumes", "embeddings")
    op.drop_column("jobs", "required_education")
    op.drop_column("jobs", "rules")
    op.drop_column("jobs", "weights")
