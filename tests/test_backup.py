"""Backup and restore keep everything, and the file is deterministic."""

from __future__ import annotations

import json

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


def test_a_backup_from_an_older_schema_with_the_same_tables_restores(engine, tmp_path):
    from models.store.backup import TABLES_UNCHANGED_SINCE

    actions.import_file(engine, good_csv(), "forecasts")
    doc = json.loads(backup(engine))
    doc["schema"] = TABLES_UNCHANGED_SINCE  # as a Credence of that revision wrote it
    older = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    fresh = open_engine(empty_database(tmp_path, "fresh.db"))
    restore(fresh, older)
    assert json.loads(backup(fresh))["tables"] == doc["tables"]


def test_backed_up_tables_are_unchanged_since_the_revision_backups_are_read_from(tmp_path):
    """Fails when a migration changes a backed-up table without moving TABLES_UNCHANGED_SINCE."""
    from models.store.backup import TABLES_UNCHANGED_SINCE
    from models.store.db import create_engine, migrate
    from models.store.tables import ALL_TABLES

    def columns(revision: str) -> dict[str, list[tuple[str, str, bool]]]:
        eng = create_engine(f"sqlite:///{tmp_path / revision}.db")
        migrate(eng, revision)
        inspector = sa.inspect(eng)
        out = {
            m.__tablename__: [  # type: ignore[attr-defined]
                (c["name"], str(c["type"]), c["nullable"])
                for c in inspector.get_columns(m.__tablename__)  # type: ignore[attr-defined]
            ]
            for m in ALL_TABLES
        }
        eng.dispose()
        return out

    assert columns(TABLES_UNCHANGED_SINCE) == columns("head")
