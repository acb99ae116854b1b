"""A bulk import on SQLite checks foreign keys once, after its rows are in, instead of row by row.

The check is the safety net under the importer's own id lookups: if a row ever pointed at a
researcher, question or level that does not exist, the whole import is refused and nothing
is written, exactly as a row-by-row check would have done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import actions
from models.schemas import ResearcherIn
from models.store.db import StorageError, check_foreign_keys, check_references, write_session
from tests.factories import forecast_in, forecasts_csv

INSERT = sa.text(
    "INSERT INTO forecast (id, researcher_id, question_id, probability, as_of, recorded_at, updated_at)"
    " VALUES (1, 999, 999, 0.5, '2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000',"
    " '2025-01-01 00:00:00.000000')"
)


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM forecast")).scalar() or 0)


def test_a_row_pointing_at_nothing_refuses_the_whole_bulk_write(sqlite_engine: sa.Engine) -> None:
    with pytest.raises(StorageError, match="forecast row points at a missing"):
        with write_session(sqlite_engine, keys_checked_after=True) as session:
            session.execute(INSERT)  # accepted for now: keys are checked at the end
            check_foreign_keys(session)
    assert _count(sqlite_engine) == 0


def test_the_bulk_writer_s_own_check_refuses_an_id_its_parent_table_lacks(sqlite_engine: sa.Engine) -> None:
    """What write_forecasts runs on the distinct ids of the rows it wrote, in place of a pass over
    every forecast's keys."""
    actions.import_file(sqlite_engine, b"question\nQuestion 0\n", "questions")
    with pytest.raises(StorageError, match="forecast row points at a missing question"):
        with write_session(sqlite_engine, keys_checked_after=True) as session:
            check_references(session, "forecast", "question", [1, 2.0, float("nan"), None])
    with write_session(sqlite_engine, keys_checked_after=True) as session:
        check_references(session, "forecast", "question", [1, 1.0, float("nan"), None])


def test_the_next_transaction_on_the_same_connection_checks_each_row_again(sqlite_engine: sa.Engine) -> None:
    with write_session(sqlite_engine, keys_checked_after=True) as session:
        check_foreign_keys(session)
    with pytest.raises(StorageError, match="FOREIGN KEY constraint failed"):
        with write_session(sqlite_engine) as session:
            session.execute(INSERT)
    assert _count(sqlite_engine) == 0


def _indexes(engine: sa.Engine) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes("forecast")}


def _defaults(engine: sa.Engine) -> dict[str, object]:
    return {c["name"]: c.get("default") for c in sa.inspect(engine).get_columns("forecast")}


def test_a_large_import_is_written_whole_with_its_indexes_and_keys(engine: sa.Engine) -> None:
    """60,000 rows: the bulk path (indexes rebuilt after the rows, one block of ids, keys
    checked once on SQLite, columns with one value sent as a default on PostgreSQL) gives the
    same database a row-by-row write would."""
    indexes, defaults = _indexes(engine), _defaults(engine)
    questions = b"question\n" + "\n".join(f"Question {q}" for q in range(11)).encode() + b"\n"
    actions.import_file(engine, questions, "questions")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [f"r{i % 7:02d},Question {i % 11},0.{i % 9 + 1},{start + timedelta(minutes=i):%Y-%m-%dT%H:%M:%SZ}"
            for i in range(60_000)]  # fmt: skip
    summary = actions.import_file(
        engine, forecasts_csv(*rows, header="researcher,question,probability,as_of"), "forecasts"
    )
    assert summary.created["forecasts"] == 60_000  # every row new: more than BULK_ROWS, the bulk path
    if engine.dialect.name == "sqlite":  # the import's write-ahead log is not left behind
        log = Path(f"{engine.url.database}-wal")
        assert not log.exists() or log.stat().st_size == 0
    assert _indexes(engine) == indexes
    assert _defaults(engine) == defaults  # the table's own defaults are back
    with engine.connect() as conn:
        one_value = conn.execute(
            sa.text(
                "SELECT COUNT(DISTINCT recorded_at), COUNT(DISTINCT updated_at), MIN(revision), MAX(revision),"
                " COUNT(level_id), COUNT(given_question_id), SUM(CASE WHEN reconstructed THEN 1 ELSE 0 END)"
                " FROM forecast"
            )
        ).one()
    assert tuple(one_value) == (1, 1, 1, 1, 0, 0, 0)
    saved = actions.save_forecast(engine, forecast_in(researcher="r01", question="Question 3"))
    with engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT MIN(id), MAX(id), COUNT(*) FROM forecast")).one()
        if engine.dialect.name == "sqlite":
            assert conn.execute(sa.text("PRAGMA foreign_key_check(forecast)")).first() is None
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    assert ids[2] == summary.created["forecasts"] + 1
    assert ids[1] - ids[0] + 1 == ids[2]  # one block, then the next id after it
    assert saved.forecast_id == ids[1]


def test_a_bulk_insert_with_one_row_pointing_at_nothing_writes_nothing(engine: sa.Engine) -> None:
    """The bulk path's one check (SQLite: foreign_key_check; PostgreSQL: the keys added back
    after the rows) refuses the whole write, as a per-row check would."""
    import numpy as np
    import pandas as pd

    from models.store.bulk_write import BULK_ROWS, insert_many

    actions.import_file(engine, b"question\nQuestion 0\n", "questions")
    actions.create_researcher(engine, ResearcherIn(handle="r00", name="r00"))
    with engine.connect() as conn:
        rid = conn.execute(sa.text("SELECT id FROM researcher")).scalar_one()
        qid = conn.execute(sa.text("SELECT id FROM question")).scalar_one()
    n = BULK_ROWS + 10
    stamp = pd.Timestamp("2025-01-01", tz="UTC")
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "researcher_id": np.where(np.arange(n) == n // 2, 999_999, rid),
            "question_id": np.full(n, qid),
            "probability": np.full(n, 0.5),
            "as_of": pd.Series(pd.date_range("2020-01-01", periods=n, freq="min", tz="UTC")),
            "recorded_at": pd.Series([stamp] * n),
            "updated_at": pd.Series([stamp] * n),
        }
    )
    with pytest.raises(StorageError):
        with write_session(engine, keys_checked_after=True) as session:
            insert_many(session, "forecast", frame)
            check_foreign_keys(session)
    assert _count(engine) == 0
    assert _indexes(engine) >= {"ix_forecast_target", "ix_forecast_question_id"}


def test_a_role_that_does_not_own_the_tables_imports_in_bulk_all_the_same(pg_migrated_url: str) -> None:
    """A group may run the app under a role that can only read and write rows: a large import
    then keeps the indexes and keys and takes ids one by one, and still writes everything."""
    import uuid

    from models.store.db import open_engine

    role = f"writer_{uuid.uuid4().hex[:8]}"
    owner = sa.create_engine(pg_migrated_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
        for grant in ("USAGE ON SCHEMA public", "SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public",
                      "USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public"):  # fmt: skip
            conn.execute(sa.text(f"GRANT {grant} TO {role}"))
    writer = open_engine(
        sa.make_url(pg_migrated_url).set(username=role).render_as_string(hide_password=False)
    )
    try:
        indexes = _indexes(writer)
        actions.import_file(writer, b"question\nQuestion 0\nQuestion 1\n", "questions")
        rows = [
            f"r{i % 3},Question {i % 2},0.{i % 9 + 1},2024-01-01T00:{i % 60:02d}:{i % 59:02d}Z"
            for i in range(60_000)
        ]
        summary = actions.import_file(
            writer, forecasts_csv(*rows, header="researcher,question,probability,as_of"), "forecasts"
        )
        assert summary.created["forecasts"] + summary.present["forecasts"] == 60_000
        assert _indexes(writer) == indexes
        assert _count(writer) == summary.created["forecasts"]
    finally:
        writer.dispose()
        with owner.connect() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE {role}"))
        owner.dispose()
