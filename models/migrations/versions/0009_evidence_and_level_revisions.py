"""evidence items and capability levels keep numbered revisions with their author

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

Adds ``revision``, ``updated_at`` and ``updated_by`` to ``evidence`` and ``capability_level``,
as questions and forecasts have.  Every row is kept.  A row that an import already updated
(its earlier versions are in ``revision`` under entity ``evidence`` / ``capability_level``,
numbered 1, 2, …) gets the next number, and the author and time of its latest replacement;
any other row is version 1, written before authors were recorded (time unknown, author "").
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.store.tables

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"evidence": "evidence", "capability_level": "capability_level"}  # table -> revision entity


def upgrade() -> None:
    # Plain ADD COLUMN (no batch rebuild): SQLite adds these in place, and rebuilding
    # ``evidence`` fails while forecast_evidence references it (see 0007).
    for table in TABLES:
        op.add_column(table, sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        op.add_column(table, sa.Column("updated_at", models.store.tables.UTCDateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("updated_by", sa.String(length=80), server_default="", nullable=False))
    for table, entity in TABLES.items():
        latest = (
            "(SELECT r.{col} FROM revision r WHERE r.entity = '{entity}' AND r.entity_id = {table}.id "
            "ORDER BY r.number DESC LIMIT 1)"
        )
        op.execute(
            f"UPDATE {table} SET "
            f"revision = {latest.format(col='number', entity=entity, table=table)} + 1, "
            f"updated_at = {latest.format(col='changed_at', entity=entity, table=table)}, "
            f"updated_by = {latest.format(col='changed_by', entity=entity, table=table)} "
            f"WHERE EXISTS (SELECT 1 FROM revision r WHERE r.entity = '{entity}' AND r.entity_id = {table}.id)"
        )


def downgrade() -> None:
    for table in TABLES:
        if op.get_bind().dialect.name == "sqlite":
            for column in ("updated_by", "updated_at", "revision"):
                op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, "updated_by")
            op.drop_column(table, "updated_at")
            op.drop_column(table, "revision")
