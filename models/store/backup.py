"""Whole-database backup and restore as JSON.

The backup holds every row of every table (revisions and soft-deleted rows included),
ordered by primary key, with sorted keys and no time of its own: an unchanged database
always gives the same bytes, and restore → backup gives back an identical file.

Bookkeeping tables (``data_version``, ``frame_cache``) are not backed up.  A backup names
the schema revision it was made at; it restores into any Credence whose backed-up tables
have since only gained columns with a default (revisions from :data:`BACKUPS_READ_SINCE`
to the newest): a row without such a column takes the default, as a migration gives the
rows it keeps.  So a migration that adds bookkeeping, or adds a column with a default,
does not orphan older backups.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from models.errors import CredenceError
from models.store.backup_check import check_tables
from models.store.bulk import sync_sequences
from models.store.db import head_revision, import_lock, write_session
from models.store.tables import ALL_TABLES

FORMAT = "credence-backup"
VERSION = 1

#: The oldest schema revision whose backups restore here: since it, the tables in ALL_TABLES
#: have only gained columns that are nullable or have a server default.  A migration that
#: changes a backed-up table in any other way (drops, renames or retypes a column, or adds
#: one that a row must give) must set this to its own revision (``tests/test_backup.py``
#: fails until it does).
BACKUPS_READ_SINCE = "0009"


def _table(model: type[SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined]


def _dump_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def backup(engine: sa.Engine) -> str:
    """The whole database as deterministic JSON text."""
    tables: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for model in ALL_TABLES:
            table = _table(model)
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings().all()
            tables[table.name] = [{k: _dump_value(v) for k, v in row.items()} for row in rows]
    doc = {"format": FORMAT, "version": VERSION, "schema": head_revision(), "tables": tables}
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def is_empty(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return all(
            conn.execute(sa.select(sa.func.count()).select_from(_table(m))).scalar() == 0 for m in ALL_TABLES
        )


def restore(engine: sa.Engine, text: str, replace: bool = False) -> dict[str, int]:
    """Load a backup; refuses a database that has data unless ``replace``. Returns rows per table."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise CredenceError(
            f"not a Credence backup: invalid JSON at line {err.lineno} (is the file complete?)"
        ) from None
    except RecursionError:
        raise CredenceError("not a Credence backup: the JSON is nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CredenceError('not a Credence backup: the file has no "format": "credence-backup"')
    schema = doc.get("schema")
    if not isinstance(schema, str) or not BACKUPS_READ_SINCE <= schema <= head_revision():
        raise CredenceError(
            f"this backup is of schema {schema!r} but this Credence reads schemas "
            f"{BACKUPS_READ_SINCE!r} to {head_revision()!r}; "
            "restore it with the matching version of Credence, then upgrade"
        )
    tables = [_table(model) for model in ALL_TABLES]
    # Every row is checked (types, limits, the input schemas, keys) before anything is
    # written: a tampered or truncated file is refused whole, naming table and row.
    rows = check_tables(doc.get("tables"), tables)
    if not replace and not is_empty(engine):
        raise CredenceError("the database is not empty; restore into an empty database or pass --replace")
    counts: dict[str, int] = {}
    with write_session(engine) as session:
        # Imports and restores exclude each other on PostgreSQL (SQLite: the write lock).
        import_lock(session)
        if replace:
            for table in reversed(tables):
                session.execute(sa.delete(table))
        for table in tables:
            prepared = rows.get(table.name, [])
            if prepared:
                session.execute(sa.insert(table), prepared)
            counts[table.name] = len(prepared)
        sync_sequences(session)
    return counts
