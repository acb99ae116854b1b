"""evidence status and observed date; pre-registered likelihood ratios

Existing evidence is observed; its observed date is its published date where known.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("status", sa.String(length=20), nullable=False, server_default="observed"))
        batch.add_column(sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE evidence SET observed_at = published")
    op.create_table(
        "likelihood_ratio",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("level_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False, server_default=""),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False, server_default=""),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["researcher_id"], ["researcher.id"]),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"]),
        sa.ForeignKeyConstraint(["level_id"], ["capability_level.id"]),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_likelihood_ratio_evidence_id", "likelihood_ratio", ["evidence_id"])
    op.create_index("ix_likelihood_ratio_target", "likelihood_ratio", ["researcher_id", "question_id", "level_id"])


def downgrade() -> None:
    op.drop_index("ix_likelihood_ratio_target", table_name="likelihood_ratio")
    op.drop_index("ix_likelihood_ratio_evidence_id", table_name="likelihood_ratio")
    op.drop_table("likelihood_ratio")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("observed_at")
        batch.drop_column("status")
