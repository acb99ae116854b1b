"""team mode: researchers' sign-in e-mail, share links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.store.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("researcher", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.create_index("ix_researcher_email", ["email"], unique=True)

    op.create_table(
        "share_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), server_default="", nullable=False),
        sa.Column("question_ids", sa.Text(), server_default="", nullable=False),
        sa.Column("tag", sa.String(length=200), nullable=True),
        sa.Column("created_at", models.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), server_default="", nullable=False),
        sa.Column("expires_at", models.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", models.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["researcher_id"], ["researcher.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("share_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_share_link_researcher_id"), ["researcher_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("share_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_share_link_researcher_id"))
    op.drop_table("share_link")
    with op.batch_alter_table("researcher", schema=None) as batch_op:
        batch_op.drop_index("ix_researcher_email")
        batch_op.drop_column("email")
