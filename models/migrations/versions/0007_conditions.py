"""conditions: forecasts given another question's outcome; declared partitions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: recreating ``forecast`` fails while forecast_evidence references it
        # (migrations run with foreign keys on, inside a transaction).  SQLite adds a nullable
        # column with a REFERENCES clause in place.
        op.execute("ALTER TABLE forecast ADD COLUMN given_question_id INTEGER REFERENCES question (id)")
        op.execute("ALTER TABLE forecast ADD COLUMN given_outcome VARCHAR(3)")
    else:
        op.add_column("forecast", sa.Column("given_question_id", sa.Integer(), nullable=True))
        op.add_column("forecast", sa.Column("given_outcome", sa.String(length=3), nullable=True))
        op.create_foreign_key("fk_forecast_given_question_id", "forecast", "question", ["given_question_id"], ["id"])
    op.create_table(
        "question_partition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("researcher_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), server_default="", nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["researcher_id"], ["researcher.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "partition_member",
        sa.Column("partition_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["partition_id"], ["question_partition.id"]),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"]),
        sa.PrimaryKeyConstraint("partition_id", "question_id"),
    )


def downgrade() -> None:
    op.drop_table("partition_member")
    op.drop_table("question_partition")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE forecast DROP COLUMN given_outcome")
        # SQLite cannot drop a column with a REFERENCES clause in place; it stays, unused.
    else:
        op.drop_constraint("fk_forecast_given_question_id", "forecast", type_="foreignkey")
        op.drop_column("forecast", "given_outcome")
        op.drop_column("forecast", "given_question_id")
