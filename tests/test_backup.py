"""Backup and restore keep everything, and the file is deterministic."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from models import actions
from models.errors import CredenceError
from models.schemas import ForecastEdit
from models.store.backup import backup, restore
from models.store.db import open_engine, write_session
from models.store.records import edit_forecast, soft_delete
from tests.factories import empty_database, good_csv


def fill(engine: sa.Engine) -> None:
    """Data with a revision and a soft-deleted row, which a backup must keep too."""
    actions.import_file(engine, good_csv(), "forecasts")
    with write_session(engine) as s:
        edit_forecast(s, 1, ForecastEdit(probability=0.05, rationale="corrected"), by="teal_heron")
        soft_delete(s, "forecast", 2)


def test_backup_of_an_unchanged_database_is_always_the_same(engine):
    fill(engine)
    assert backup(engine) == backup(engine)


def test_backup_restore_backup_is_identical(engine, tmp_path):
    fill(engine)
    first = backup(engine)
    other = open_engine(empty_database(tmp_path, "restored.db"))
    restore(other, first)
    assert backup(other) == first


def test_backup_holds_revisions_and_deleted_rows(engine):
    fill(engine)
    text = backup(engine)
    assert '"entity": "forecast"' in text
    assert '"deleted_at": null' in text and text.count('"deleted_at": "') >= 1


def test_restore_refuses_a_database_with_data(engine):
    fill(engine)
    text = backup(engine)
    with pytest.raises(CredenceError, match="not empty; restore into an empty database or pass --replace"):
        restore(engine, text)


def test_restore_with_replace_overwrites_and_new_rows_get_fresh_ids(engine):
    fill(engine)
    text = backup(engine)
    actions.import_file(
        engine, b"researcher,question,probability,as_of\nx,Later,0.5,2024-01-01\n", "forecasts"
    )
    restore(engine, text, replace=True)
    assert backup(engine) == text
    # Sequences were moved past restored ids, so new rows do not collide (PostgreSQL).
    actions.import_file(
        engine, b"researcher,question,probability,as_of\nx,Later,0.5,2024-01-01\n", "forecasts"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not a Credence backup: invalid JSON at line 1"),
        ('{"format": "other"}', 'not a Credence backup: the file has no "format": "credence-backup"'),
        ('{"format": "credence-backup", "schema": "9999", "tables": {}}', "this backup is of schema '9999'"),
    ],
)
def test_restore_refuses_what_is_not_a_matching_backup(sqlite_engine, text, message):
    with pytest.raises(CredenceError, match=message.replace("(", r"\(")):
        restore(sqlite_engine, text)


def _columns_at(revision: str, tmp_path) -> dict[str, dict[str, dict[str, Any]]]:
    """Each backed-up table's columns (name → what the inspector says) at ``revision``, on SQLite."""
    from models.store.db import create_engine, migrate
    from models.store.tables import ALL_TABLES

    eng = create_engine(f"sqlite:///{tmp_path / revision}.db")
    migrate(eng, revision)
    inspector = sa.inspect(eng)
    out = {
        m.__tablename__: {c["name"]: c for c in inspector.get_columns(m.__tablename__)}  # type: ignore[attr-defined]
        for m in ALL_TABLES
    }
    eng.dispose()
    return out


def test_a_backup_from_the_oldest_readable_schema_restores_and_newer_columns_take_their_defaults(
    engine, tmp_path
):
    from models.store.backup import BACKUPS_READ_SINCE

    fill(engine)
    q1, q2 = (int(i) for i in pd.read_sql("SELECT id FROM question ORDER BY id LIMIT 2", engine)["id"])
    actions.link_questions(engine, q1, q2, "neuralese drives scheming", by="teal_heron")
    doc = json.loads(backup(engine))
    then = _columns_at(BACKUPS_READ_SINCE, tmp_path)
    # The file as a Credence at that revision wrote it: only the columns its tables had.
    older = {
        t: [{k: v for k, v in row.items() if k in then[t]} for row in rows]
        for t, rows in doc["tables"].items()
    }
    added = {t: sorted(set(rows[0]) - set(then[t])) for t, rows in doc["tables"].items() if rows}
    assert added["researcher"] == added["question_link"] == ["revision", "updated_at", "updated_by"]
    text = json.dumps({**doc, "schema": BACKUPS_READ_SINCE, "tables": older}, sort_keys=True)

    fresh = open_engine(empty_database(tmp_path, "fresh.db"))
    restore(fresh, text)

    restored = json.loads(backup(fresh))["tables"]
    assert {
        t: [{k: v for k, v in row.items() if k in then[t]} for row in rows] for t, rows in restored.items()
    } == older
    for table in ("researcher", "question_link"):
        assert {(r["revision"], r["updated_at"], r["updated_by"]) for r in restored[table]} == {(1, None, "")}


def test_backed_up_tables_only_gained_columns_with_a_default_since_backups_are_read_from(tmp_path):
    """Fails when a migration drops, retypes or adds a required column of a backed-up table
    without moving BACKUPS_READ_SINCE: older backups would no longer restore."""
    from models.store.backup import BACKUPS_READ_SINCE

    then, now = _columns_at(BACKUPS_READ_SINCE, tmp_path), _columns_at("head", tmp_path)
    for table, columns in then.items():
        for name, c in columns.items():
            assert name in now[table], f"{table}.{name} was dropped or renamed"
            assert (str(now[table][name]["type"]), now[table][name]["nullable"]) == (
                str(c["type"]),
                c["nullable"],
            )
        for name in now[table].keys() - columns.keys():
            c = now[table][name]
            assert c["nullable"] or c["default"] is not None, f"{table}.{name} must be given by every row"
