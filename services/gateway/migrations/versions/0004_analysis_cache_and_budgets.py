"""analysis cache, token accounting and budgets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analysis_cache",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("analysis", sa.LargeBinary(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=False),
        sa.Column("tokens_out", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.add_column("jobs", sa.Column("tokens_used", sa.Integer(), server_default="0", nullable=False))
    op.add_column("jobs", sa.Column("token_budget", sa.Integer(), nullable=True))
    op.add_column("jobs", sa.Column("auto_analyze_top_k", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("tokens_used", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    op.drop_column("users", "tokens_used")
    op.drop_column("jobs", "auto_analyze_top_k")
    op.drop_column("jobs", "token_budget")
    op.drop_column("jobs", "tokens_used")
    op.drop_table("analysis_cache")
