"""What revisions 0009 and 0012 share: giving a table numbered versions with their author.

A revision's effect must never change once released, so change nothing here that a released
revision calls; add a new helper instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.store.tables


def add_version_columns(tables: dict[str, str]) -> None:
    """Add ``revision``, ``updated_at``, ``updated_by`` to each table (name → its entity in
    ``revision``), keeping every row.

    A row whose earlier versions are already in ``revision`` (numbered 1, 2, …) gets the next
    number and the author and time of its latest replacement; any other row is version 1,
    written before authors were recorded (time unknown, author "").
    """
    # Plain ADD COLUMN (no batch rebuild): SQLite adds these in place, and rebuilding a table
    # fails while other tables reference it (see 0007).
    for table in tables:
        op.add_column(table, sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        op.add_column(
            table, sa.Column("updated_at", models.store.tables.UTCDateTime(timezone=True), nullable=True)
        )
        op.add_column(table, sa.Column("updated_by", sa.String(length=80), server_default="", nullable=False))
    bind = op.get_bind()
    for table, entity in tables.items():
        kept = sa.text("SELECT 1 FROM revision WHERE entity = :entity LIMIT 1")
        if bind.execute(kept, {"entity": entity}).first() is None:
            # Nothing to number.  (On PostgreSQL even an UPDATE of no rows fires a statement
            # trigger, and the one on researcher marks every score stale: 0005.)
            continue
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


def drop_version_columns(tables: dict[str, str]) -> None:
    """Undo :func:`add_version_columns` (the versions kept in ``revision`` stay)."""
    for table in tables:
        if op.get_bind().dialect.name == "sqlite":
            for column in ("updated_by", "updated_at", "revision"):
                op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, "updated_by")
            op.drop_column(table, "updated_at")
            op.drop_column(table, "revision")
