"""Writing many forecasts at the database's pace: the driver's bulk path inside the caller's transaction.

* **Rows** go in through the raw DB-API connection of the session's transaction: one
  ``executemany`` per chunk on SQLite, ``COPY ... FROM STDIN`` (CSV written by pyarrow) on
  PostgreSQL.  Times are bound in the form SQLAlchemy stores them (naive UTC text on
  SQLite, ``timestamptz`` on PostgreSQL), so every reader sees the same values.
* **"Already present"** is a join in the database: the incoming rows go into a temporary
  table and meet the stored current forecasts through the target index
  (researcher, question, level, as_of); only matching pairs come back.  Nothing is read
  when no current forecast is stored for the questions the file names.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlmodel import Session

from models.batch import Progress
from models.errors import InputError, Problem
from models.schemas import EvidenceRef
from models.store.db import check_references, keys_checked_after
from models.store.reads import ids_of

CHUNK = 20_000
#: From this many rows on, an import is bulk work: indexes (and, on PostgreSQL, foreign keys)
#: are rebuilt after the rows are in when the import at least doubles the table
#: (:func:`insert_many`), and SQLite checks foreign keys once (:func:`models.store.db.write_session`).
BULK_ROWS = 50_000

#: The forecast columns the importer writes, in order.
FORECAST_COLUMNS = ("id", "researcher_id", "question_id", "level_id", "probability", "as_of", "recorded_at",
                    "rationale", "reconstructed", "given_question_id", "given_outcome", "revision", "updated_at",
                    "updated_by")  # fmt: skip
#: What makes two forecasts the same (besides their evidence).
KEY = ("researcher_id", "question_id", "level_id", "probability", "as_of", "rationale", "reconstructed",
       "given_question_id", "given_outcome")  # fmt: skip


def _raw(session: Session) -> Any:
    """The DB-API connection of the session's transaction."""
    return session.connection().connection.dbapi_connection


def sqlite_times(values: pd.Series) -> list[str | None]:
    """UTC times as SQLAlchemy stores them on SQLite: ``2025-03-04 10:00:00.000000`` (None for NaT)."""
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    text = np.datetime_as_string(naive, unit="us").astype("U26")
    text.view("uint32").reshape(len(text), 26)[:, 10] = ord(" ")  # 2025-03-04T10:… → 2025-03-04 10:…
    out: list[str | None] = text.tolist()
    if values.isna().any():
        for row in np.flatnonzero(values.isna().to_numpy()):
            out[row] = None
    return out


def _sqlite_rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    columns: list[list[Any]] = []
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            columns.append(sqlite_times(col))
        elif col.dtype == "bool":
            columns.append(col.to_numpy(dtype="int64").tolist())
        elif col.dtype.kind in "iuf" and not isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
            columns.append(col.to_numpy().tolist())
        else:
            values = col.astype("object")
            columns.append(values.where(values.notna(), None).tolist())
    return zip(*columns, strict=True)


def _pg_csv(frame: pd.DataFrame) -> bytes:
    arrays = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            arrays[name] = pa.array(
                col.dt.tz_convert("UTC").to_numpy("datetime64[us]"), type=pa.timestamp("us")
            )
        elif isinstance(col.dtype, pd.Int64Dtype) or name.endswith("_id") or name == "id":
            arrays[name] = pa.array(col.astype("Int64"), type=pa.int64(), from_pandas=True)
        elif col.dtype == "bool":
            arrays[name] = pa.array(col.to_numpy(dtype="bool"))
        elif col.dtype.kind in "if":
            arrays[name] = pa.array(col.to_numpy())
        else:
            arrays[name] = pa.array(col.astype("object").where(col.notna(), None).tolist(), type=pa.string())
    out = io.BytesIO()
    pa_csv.write_csv(pa.table(arrays), out, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    # Timestamps are written as naive ISO text; the session's time zone must not shift them.
    return out.getvalue()


def stamp_text(session: Session, stamp: datetime) -> str:
    """``stamp`` as the database stores a time (SQLite: naive UTC text; PostgreSQL: ISO 8601 with offset)."""
    if session.get_bind().dialect.name == "postgresql":
        return stamp.astimezone(UTC).isoformat()
    return stamp.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _literal(value: object) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _uniform(col: pd.Series) -> bool:
    """Whether every value of ``col`` is the same (all missing counts as the same)."""
    if len(col) == 0 or col.dtype == "object" and not isinstance(col.iat[0], str | None):
        return False
    missing = col.isna().to_numpy()
    if missing.any():
        return bool(missing.all())
    return bool((col == col.iat[0]).all())


def _sqlite_literal(value: object) -> str:
    """``value`` as SQL text in the form :func:`_sqlite_rows` binds it."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "NULL"
    if isinstance(value, pd.Timestamp):
        return _literal(sqlite_times(pd.Series([value]))[0])
    if isinstance(value, np.generic):
        return _literal(value.item())
    return _literal(value)


def bulk_insert(
    session: Session,
    table: str,
    frame: pd.DataFrame,
    progress: Progress | None = None,
    stage: str = "",
    constants: dict[str, object] | None = None,
    *,
    table_locked: bool = False,
) -> None:
    """Insert ``frame``'s rows into ``table`` (columns named as in the frame) in this transaction.

    ``constants`` are columns with one value for every row (bound once, not per row).
    ``table_locked``: this transaction already holds ``table`` exclusively (its indexes were
    dropped), so on PostgreSQL it may also change the table's column defaults meanwhile.
    """
    if frame.empty:
        return
    constants = constants or {}
    raw = _raw(session)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _copy(raw, table, frame, constants, _Progress(progress, stage), as_defaults=table_locked)
    else:
        _executemany(raw, table, frame, constants, _Progress(progress, stage))


@dataclass(frozen=True)
class _Progress:
    """A bulk write's progress callback and stage, reported chunk by chunk."""

    report: Progress | None
    stage: str

    def chunks(self, frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
        """``frame`` in chunks of :data:`CHUNK` rows, reporting each once it has been used."""
        for start in range(0, len(frame), CHUNK):
            yield frame.iloc[start : start + CHUNK]
            if self.report:
                self.report(self.stage, min(start + CHUNK, len(frame)), len(frame))


def _one_value(frame: pd.DataFrame) -> dict[str, Any]:
    """The columns holding one value in every row, with that value (the first column excepted)."""
    return {name: frame[name].iat[0] for name in frame.columns[1:] if _uniform(frame[name])}


def _executemany(
    raw: Any, table: str, frame: pd.DataFrame, constants: dict[str, object], progress: _Progress
) -> None:
    """SQLite: ``executemany`` per chunk of :data:`CHUNK` rows.

    A column holding one value in every row (no condition, not reconstructed, one recorded-at
    stamp) is bound once, as a literal: executemany's cost is per bound value.  (The first
    column always varies: executemany needs a value per row to insert a row.)
    """
    uniform = _one_value(frame)
    literals = {
        **{k: _sqlite_literal(v) for k, v in uniform.items()},
        **{k: _literal(v) for k, v in constants.items()},
    }
    varying = [name for name in frame.columns if name not in uniform]
    sql = (
        f"INSERT INTO {table} ({', '.join([*varying, *literals])})"
        f" VALUES ({', '.join(['?'] * len(varying) + list(literals.values()))})"
    )
    for part in progress.chunks(frame):
        cur = raw.cursor()
        try:
            cur.executemany(sql, _sqlite_rows(part.drop(columns=list(uniform))))
        finally:
            cur.close()


def _copy(
    raw: Any,
    table: str,
    frame: pd.DataFrame,
    constants: dict[str, object],
    progress: _Progress,
    *,
    as_defaults: bool = False,
) -> None:
    """PostgreSQL: every row in one ``COPY``, chunk by chunk.  A writer thread sends each chunk
    while the next is turned into CSV, so the server stores rows while Python prepares more.

    ``as_defaults`` (only while this transaction holds the table exclusively): each column that
    holds one value in every row (the constants, and in a plain file the recorded-at stamp, no
    condition, not reconstructed) is left out of the ``COPY`` and made the column's default
    meanwhile.  The server evaluates it once instead of parsing it a million times (timestamps
    above all: about a second of a million-row import); the table's own defaults are put back.
    """
    from psycopg.copy import QueuedLibpqWriter

    fixed: dict[str, object] = {}
    left_out: list[str] = []  # dropped chunk by chunk: dropping them from the frame would copy it
    if as_defaults:
        one_value = _one_value(frame)
        fixed = {**{k: _python(v) for k, v in one_value.items()}, **constants}
        left_out, constants = list(one_value), {}
    columns = [name for name in frame.columns if name not in left_out]
    with raw.cursor() as cur, _defaults_meanwhile(cur, table, fixed):
        cur.execute("SET LOCAL TIME ZONE 'UTC'")
        sql = f"COPY {table} ({', '.join([*columns, *constants])}) FROM STDIN WITH (FORMAT csv)"
        with cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
            for part in progress.chunks(frame):
                part = part.drop(columns=left_out)
                if constants:
                    part = part.assign(**{k: [v] * len(part) for k, v in constants.items()})
                copy.write(_pg_csv(part))


@contextmanager
def _defaults_meanwhile(cur: Any, table: str, values: dict[str, object]) -> Iterator[None]:
    """PostgreSQL: ``table``'s columns default to ``values`` inside the block, then to their own
    defaults again (on an error the transaction's rollback puts them back)."""
    from psycopg import sql

    def alter(column: str, default: sql.Composable | None) -> None:
        change = sql.SQL("DROP DEFAULT") if default is None else sql.SQL("SET DEFAULT {}").format(default)
        cur.execute(
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} {}").format(
                sql.Identifier(table), sql.Identifier(column), change
            )
        )

    if not values:
        yield
        return
    cur.execute(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
        " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE a.attrelid = to_regclass(%s) AND a.attname = ANY(%s)",
        (table, list(values)),
    )
    own = {str(name): default for name, default in cur.fetchall()}
    for column, value in values.items():
        alter(column, sql.Literal(value))
    yield
    for column in values:
        alter(column, None if own[column] is None else sql.SQL(own[column]))


def _python(value: object) -> object:
    """A value read from a frame as psycopg adapts it (None for every kind of missing)."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _temp_table(session: Session, frame: pd.DataFrame) -> None:
    dialect = session.get_bind().dialect.name
    time_type = "TIMESTAMPTZ" if dialect == "postgresql" else "TEXT"
    raw = _raw(session)
    cur = raw.cursor()
    try:
        cur.execute("DROP TABLE IF EXISTS incoming_forecast")
        cur.execute(
            "CREATE TEMP TABLE incoming_forecast (row_number BIGINT, researcher_id BIGINT, question_id BIGINT,"
            f" level_id BIGINT, probability DOUBLE PRECISION, as_of {time_type}, rationale TEXT, reconstructed BOOLEAN,"
            " given_question_id BIGINT, given_outcome TEXT)"
        )
    finally:
        cur.close()
    bulk_insert(session, "incoming_forecast", frame[["row_number", *KEY]])


def stored_matches(session: Session, incoming: pd.DataFrame) -> pd.DataFrame:
    """``(row_number, forecast_id)`` of each incoming row equal, in :data:`KEY`, to a current stored forecast.

    ``incoming`` has the :data:`KEY` columns and ``row_number`` (others are ignored).  Evidence is
    compared by the caller.
    """
    empty = pd.DataFrame({"row_number": pd.Series(dtype="int64"), "forecast_id": pd.Series(dtype="int64")})
    if incoming.empty:
        return empty
    raw = _raw(session)
    questions = sorted({int(q) for q in incoming["question_id"].unique()})
    cur = raw.cursor()
    try:
        any_stored = False
        for start in range(0, len(questions), 900):
            listed = ", ".join(str(q) for q in questions[start : start + 900])
            cur.execute(
                f"SELECT 1 FROM forecast WHERE question_id IN ({listed}) AND deleted_at IS NULL LIMIT 1"
            )
            if cur.fetchone():
                any_stored = True
                break
    finally:
        cur.close()
    if not any_stored:
        return empty
    _temp_table(session, incoming)
    same = "IS NOT DISTINCT FROM" if session.get_bind().dialect.name == "postgresql" else "IS"
    same_level = f"f.level_id {same} i.level_id AND f.given_question_id {same} i.given_question_id" + (
        f" AND f.given_outcome {same} i.given_outcome"
    )
    cur = raw.cursor()
    try:
        cur.execute(
            "SELECT i.row_number, f.id FROM incoming_forecast i JOIN forecast f"
            " ON f.researcher_id = i.researcher_id AND f.question_id = i.question_id"
            f" AND {same_level} AND f.as_of = i.as_of AND f.probability = i.probability"
            " AND f.rationale = i.rationale AND f.reconstructed = i.reconstructed"
            " WHERE f.deleted_at IS NULL"
        )
        rows = cur.fetchall()
        cur.execute("DROP TABLE incoming_forecast")
    finally:
        cur.close()
    if not rows:
        return empty
    pairs = np.array(rows, dtype="int64")
    return pd.DataFrame({"row_number": pairs[:, 0], "forecast_id": pairs[:, 1]})


def _links(session: Session, forecast_ids: list[int]) -> dict[int, str]:
    """Each forecast's evidence key (sorted ``title\\x1fdirection`` pairs joined by ``\\x1e``)."""
    raw = _raw(session)
    keys: dict[int, list[tuple[str, str | None]]] = {}
    cur = raw.cursor()
    try:
        for start in range(0, len(forecast_ids), 900):
            listed = ", ".join(str(int(i)) for i in forecast_ids[start : start + 900])
            cur.execute(
                "SELECT fe.forecast_id, e.title, fe.direction FROM forecast_evidence fe"
                f" JOIN evidence e ON e.id = fe.evidence_id WHERE fe.forecast_id IN ({listed})"
            )
            for fid, title, direction in cur.fetchall():
                keys.setdefault(int(fid), []).append((title, direction))
    finally:
        cur.close()
    return {fid: "\x1e".join(f"{t}\x1f{d or ''}" for t, d in sorted(refs)) for fid, refs in keys.items()}


def stored_evidence_keys(session: Session, forecast_ids: list[int]) -> dict[int, str]:
    """The evidence key of each of ``forecast_ids`` that cites evidence (others have none: "")."""
    raw = _raw(session)
    cur = raw.cursor()
    try:
        cur.execute("SELECT 1 FROM forecast_evidence LIMIT 1")
        if cur.fetchone() is None:
            return {}
    finally:
        cur.close()
    return _links(session, forecast_ids)


def stored_by_id(session: Session, forecast_ids: list[int]) -> pd.DataFrame:
    """The stored current forecasts of ``forecast_ids``: ``id``, the :data:`KEY` columns,
    ``recorded_at`` and ``evidence_key``, each suffixed ``_stored`` except ``id``."""
    raw = _raw(session)
    rows: list[tuple[Any, ...]] = []
    cur = raw.cursor()
    try:
        for start in range(0, len(forecast_ids), 900):
            listed = ", ".join(str(int(i)) for i in forecast_ids[start : start + 900])
            cur.execute(
                f"SELECT id, {', '.join(KEY)}, recorded_at FROM forecast"
                f" WHERE id IN ({listed}) AND deleted_at IS NULL"
            )
            rows.extend(cur.fetchall())
    finally:
        cur.close()
    df = pd.DataFrame(rows, columns=["id", *KEY, "recorded_at"])
    for name in ("as_of", "recorded_at"):
        df[name] = pd.to_datetime(df[name], utc=True, format="ISO8601").astype("datetime64[ns, UTC]")
    df["level_id"] = df["level_id"].astype("float64")
    df["given_question_id"] = df["given_question_id"].astype("float64")
    df["given_outcome"] = df["given_outcome"].astype("object")
    df["reconstructed"] = df["reconstructed"].astype("bool")
    keys = stored_evidence_keys(session, df["id"].tolist()) if len(df) else {}
    df["evidence_key"] = df["id"].map(keys).astype("object").fillna("")
    df["id"] = df["id"].astype("Int64")
    return df.rename(columns={c: f"{c}_stored" for c in df.columns if c != "id"})


def mark_everything_changed(session: Session) -> None:
    """Record in ``score_change`` that every question's scores must be recomputed (question 0)."""
    if session.get_bind().dialect.name == "postgresql":
        upsert = (
            "INSERT INTO score_change (question_id, version) SELECT 0, version FROM data_version WHERE id = 1"
            " ON CONFLICT (question_id) DO UPDATE SET version = EXCLUDED.version"
        )
    else:
        upsert = "INSERT OR REPLACE INTO score_change (question_id, version) SELECT 0, version FROM data_version WHERE id = 1"
    cur = _raw(session).cursor()
    try:
        cur.execute(upsert)
    finally:
        cur.close()


def _indexes(session: Session, table: str) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX statement)`` of each index of ``table`` that is not a constraint's."""
    cur = _raw(session).cursor()
    try:
        if session.get_bind().dialect.name == "postgresql":
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = %s AND indexname NOT IN"
                " (SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s))",
                (table, table),
            )
        else:
            cur.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                (table,),
            )
        return [(str(n), str(s)) for n, s in cur.fetchall()]
    finally:
        cur.close()


def _foreign_keys(session: Session, table: str) -> list[tuple[str, str]]:
    """``(name, definition)`` of each foreign key of ``table`` on PostgreSQL (none listed on SQLite,
    which checks them once after a bulk write instead: see :func:`models.store.db.write_session`).

    Dropped for a bulk insert and added again after it, which checks every row in one join
    rather than a trigger per row (4 s of a million-forecast import).  A row pointing at
    nothing makes adding the key fail, and with it the whole transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        return []
    cur = _raw(session).cursor()
    try:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
            (table,),
        )
        return [(str(n), str(d)) for n, d in cur.fetchall()]
    finally:
        cur.close()


def insert_many(
    session: Session,
    table: str,
    frame: pd.DataFrame,
    progress: Progress | None = None,
    stage: str = "",
    constants: dict[str, object] | None = None,
) -> None:
    """:func:`bulk_insert`, rebuilding ``table``'s indexes afterwards when the rows outnumber the table's.

    Both databases update each index row by row, at random places; building an index
    afterwards sorts once, several times faster for a large import (a million forecasts on
    PostgreSQL: about 24 s of index upkeep against 2 s of building).  PostgreSQL's foreign
    keys are dropped and added again the same way (:func:`_foreign_keys`).  Same transaction, so a
    failure leaves the indexes as they were.  Only for an import at least doubling the table
    (a first import, typically): on PostgreSQL, readers of the table wait for such an import
    to commit, as dropping an index locks the table.
    """
    if len(frame) < BULK_ROWS:
        bulk_insert(session, table, frame, progress, stage, constants)
        return
    cur = _raw(session).cursor()
    try:
        cur.execute(f"SELECT COUNT(*) FROM {table}")
        stored = int(cur.fetchone()[0])
    finally:
        cur.close()
    if len(frame) < stored or not owns(session, table):
        bulk_insert(session, table, frame, progress, stage, constants)
        analyze(session, table)
        return
    indexes = _indexes(session, table)
    keys = _foreign_keys(session, table)
    cur = _raw(session).cursor()
    try:
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for name, _ in keys:
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        bulk_insert(session, table, frame, progress, stage, constants, table_locked=True)
        steps = len(indexes) + len(keys)
        if progress:
            progress("indexing", 0, steps)
        if session.get_bind().dialect.name == "postgresql":
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")  # sort in memory, not on disk
        for n, sql in enumerate(
            [sql for _, sql in indexes]
            + [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}' for name, sql in keys],
            start=1,
        ):
            cur.execute(sql)
            if progress:
                progress("indexing", n, steps)
    finally:
        cur.close()
    analyze(session, table)


def owns(session: Session, table: str) -> bool:
    """Whether this connection may drop and recreate ``table``'s indexes and keys: always on
    SQLite; on PostgreSQL when its role owns the table (a group may run the app under a role
    that only reads and writes rows; it then keeps them, and the import is just slower)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    owned = session.execute(
        sa.text(
            "SELECT pg_has_role(current_user, tableowner, 'USAGE') FROM pg_tables"
            " WHERE schemaname = current_schema() AND tablename = :t"
        ),
        {"t": table},
    ).scalar()
    return bool(owned)


def analyze(session: Session, table: str) -> None:
    """After a bulk insert on PostgreSQL, refresh the planner's statistics of ``table``.

    They would still describe the table before the import until autovacuum comes by: the
    planner would then scan ten million forecasts to find the few newer than an id.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"ANALYZE {table}"))


def evidence_key(refs: Iterable[tuple[str, str | None]]) -> str:
    return "\x1e".join(f"{t}\x1f{d or ''}" for t, d in refs)


def unique_refs(refs: list[EvidenceRef]) -> list[EvidenceRef]:
    """The first mention of each evidence title (a forecast links an item once)."""
    first: dict[str, EvidenceRef] = {}
    for ref in refs:
        first.setdefault(ref.title, ref)
    return list(first.values())


def _line(line: object) -> int | None:
    return None if line is None or pd.isna(line) else int(line)  # type: ignore[call-overload]


def _refuse_repeated_ids(with_ids: pd.DataFrame, present: np.ndarray) -> None:
    """Mark a row that repeats an earlier row (id and values) as present; refuse, by line, a row
    that gives an earlier row's id to different values."""
    repeated = with_ids["id"].duplicated(keep="first")
    if not repeated.any():
        return
    values = with_ids.astype({"level_id": "float64", "given_question_id": "float64"})
    again = values.duplicated(subset=["id", *KEY, "evidence_key", "recorded_at"], keep="first")
    first_line = with_ids.groupby("id")["line"].transform("first")
    clash = repeated & ~again
    if clash.any():
        raise InputError(
            [
                Problem(
                    f"{int(r.id)} is already the id of another forecast in this file (line {_line(first)}); "
                    "ids must be unique",
                    "id",
                    _line(r.line),
                )
                for r, first in zip(with_ids[clash].itertuples(), first_line[clash], strict=True)
            ]
        )
    present[with_ids.loc[repeated, "row_number"].to_numpy(dtype="int64")] = True


def _objects(values: pd.Series | np.ndarray) -> pd.Series:
    """Text as Python objects, as the drivers take it: pandas would otherwise copy a million
    strings into an Arrow string column, only for the writer to turn them back."""
    return pd.Series(np.asarray(values, dtype="object"), dtype="object", copy=False)


def _repeated_rows(rows: pd.DataFrame) -> np.ndarray:
    """``row_number`` of each row equal (:data:`KEY` and evidence) to an earlier row.

    Rows can only be equal where researcher, question, time and probability are: those few
    numeric columns are compared first, and the rest only for the rows they leave.
    """
    coarse = rows.duplicated(["researcher_id", "question_id", "as_of", "probability"], keep=False).to_numpy()
    if not coarse.any():
        return np.zeros(0, dtype="int64")
    candidates = rows[coarse]
    dup = (
        candidates[[*KEY, "evidence_key"]]
        .astype({"level_id": "float64", "given_question_id": "float64"})
        .duplicated(keep="first")
    )
    return candidates["row_number"].to_numpy(dtype="int64")[dup.to_numpy()]


def write_forecasts(
    session: Session,
    frame: pd.DataFrame,
    ids: dict[str, dict[str, int]],
    stamp: datetime,
    by: str,
    progress: Progress | None,
    allocate: Callable[[Session, str, int], np.ndarray],
) -> tuple[int, int]:
    """Write the forecasts of ``frame`` that are not already present; ``(created, present)``.

    ``frame``: :data:`models.batch.FORECAST_COLUMNS`; ``ids``: ``{"researchers": {handle: id},
    "questions": {title: id}, "levels": {name: id}, "evidence": {title: id}}`` for every name
    the rows use; ``allocate(session, "forecast", n)``: n fresh ids.  A row identical (its
    :data:`KEY` columns and its evidence) to a current stored forecast, or to an earlier row,
    is already present; a row with an ``id`` must match the stored row of that id, or the
    whole import is refused.
    """
    rids, qids, lids, eids = ids["researchers"], ids["questions"], ids["levels"], ids["evidence"]
    n = len(frame)
    has_evidence = np.fromiter(map(bool, frame["evidence"].to_numpy(dtype="object")), dtype="bool", count=n)
    keys = np.full(n, "", dtype="object")
    for row in np.flatnonzero(has_evidence):
        keys[row] = evidence_key(sorted({(e.title, e.direction) for e in frame["evidence"].iat[row]}))
    level = ids_of(frame["capability"], lids)
    given = ids_of(frame["given"], qids)
    given_outcome = frame["given_outcome"].to_numpy(dtype="object").copy()
    given_outcome[np.isnan(given)] = None
    incoming = pd.DataFrame(
        {
            "row_number": np.arange(n, dtype="int64"),
            "researcher_id": ids_of(frame["researcher"], rids).astype("int64"),
            "question_id": ids_of(frame["question"], qids).astype("int64"),
            "level_id": pd.array(level, dtype="Int64"),
            "probability": frame["probability"].to_numpy(dtype="float64"),
            "as_of": frame["as_of"].reset_index(drop=True),
            "rationale": _objects(frame["rationale"]),
            "reconstructed": frame["reconstructed"].to_numpy(dtype="bool"),
            "given_question_id": pd.array(given, dtype="Int64"),
            "given_outcome": _objects(given_outcome),
            "evidence_key": _objects(keys),
            "id": frame["id"].reset_index(drop=True).astype("Int64"),
            "recorded_at": frame["recorded_at"].reset_index(drop=True).fillna(pd.Timestamp(stamp)),
            "line": frame["line"].reset_index(drop=True),
        },
        copy=False,  # the arrays as they are: a million rows, no second copy
    )
    has_id = incoming["id"].notna().to_numpy()
    present = np.zeros(n, dtype="bool")

    # Rows with an id (from an export): a row repeating an earlier row's id must be that row
    # again (then it is already present), and the stored row of that id must be identical.
    if has_id.any():
        _refuse_repeated_ids(incoming[has_id], present)
        stored = stored_by_id(session, incoming.loc[has_id, "id"].astype("int64").tolist())
        with_id = incoming[has_id].merge(stored, on="id", how="inner", suffixes=("", "_stored"))
        same = pd.Series(True, index=with_id.index)
        for name in (*KEY, "evidence_key", "recorded_at"):
            a, b = with_id[name], with_id[f"{name}_stored"]
            if name in ("level_id", "given_question_id"):
                a, b = a.astype("float64"), b.astype("float64")
            same &= (a == b).fillna(False) | (a.isna() & b.isna())
        conflicts = with_id[~same]
        if len(conflicts):
            raise InputError(
                [
                    Problem(
                        f"{int(r.id)} is already stored with different values; edit that forecast instead",
                        "id",
                        _line(r.line),
                    )
                    for r in conflicts.itertuples()
                ]
            )
        present[with_id["row_number"].to_numpy(dtype="int64")] = True

    # Rows without an id: identical to a stored forecast, or to an earlier row, is already present.
    no_id = ~has_id
    if no_id.any():
        without = incoming if no_id.all() else incoming[no_id]  # (a plain file: every row, no copy)
        matches = stored_matches(session, without)
        if len(matches):
            stored_keys = stored_evidence_keys(session, matches["forecast_id"].tolist())
            wanted = keys[matches["row_number"].to_numpy()]
            found = (
                matches["forecast_id"].map(stored_keys).astype("object").fillna("").to_numpy(dtype="object")
                if stored_keys
                else np.full(len(matches), "", dtype="object")
            )
            present[matches["row_number"].to_numpy()[wanted == found]] = True
        present[_repeated_rows(without)] = True

    new = incoming[~present] if present.any() else incoming  # a first import copies nothing
    forecast_ids = new["id"].astype("Int64").to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(forecast_ids)
    forecast_ids[missing] = allocate(session, "forecast", int(missing.sum()))
    records = pd.DataFrame(
        {
            "id": forecast_ids.astype("int64"),
            "researcher_id": new["researcher_id"].to_numpy(),
            "question_id": new["question_id"].to_numpy(),
            "level_id": new["level_id"].to_numpy(dtype="float64", na_value=np.nan),
            "probability": new["probability"].to_numpy(),
            "as_of": new["as_of"].reset_index(drop=True),
            "recorded_at": new["recorded_at"].reset_index(drop=True),
            "rationale": _objects(new["rationale"]),
            "reconstructed": new["reconstructed"].to_numpy(dtype="bool"),
            "given_question_id": new["given_question_id"].to_numpy(dtype="float64", na_value=np.nan),
            "given_outcome": _objects(new["given_outcome"]),
        },
        copy=False,  # the arrays as they are: a million rows, no second copy
    )
    records["level_id"] = pd.array(records["level_id"], dtype="Int64")
    records["given_question_id"] = pd.array(records["given_question_id"], dtype="Int64")
    constants = {"revision": 1, "updated_at": stamp_text(session, stamp), "updated_by": by}
    insert_many(session, "forecast", records, progress, "writing forecasts", constants)
    if keys_checked_after(session):  # the keys of the rows just written, each distinct id once
        check_references(session, "forecast", "researcher", np.unique(records["researcher_id"].to_numpy()))
        check_references(session, "forecast", "question", np.unique(records["question_id"].to_numpy()))
        for column, parent in (("level_id", "capability_level"), ("given_question_id", "question")):
            check_references(session, "forecast", parent, records[column].dropna().unique())
    cited = np.flatnonzero(has_evidence[~present])
    if len(cited):
        rows = []
        evidence = frame["evidence"].to_numpy()[~present]
        for i in cited:
            for ref in unique_refs(evidence[i]):
                rows.append((int(records["id"].iat[i]), eids[ref.title], ref.direction, ref.note))
        links = pd.DataFrame(rows, columns=["forecast_id", "evidence_id", "direction", "note"])
        bulk_insert(session, "forecast_evidence", links)
        if keys_checked_after(session):  # (the forecast ids are the rows just written)
            check_references(session, "forecast_evidence", "evidence", links["evidence_id"].unique())
    return len(new), int(present.sum())
