"""Reading: the frames the domain layer works on, and the lists pages and the CLI show.

Reads go through the DB-API cursor and pandas' vectorized parsing rather than ORM objects,
so a million forecasts load in a few seconds.  Only current, not soft-deleted rows are
returned, and a forecast is hidden when its question or researcher is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from models import frames as fr
from models.limits import to_utc_times
from models.store import frame_cache
from models.store.changes import max_forecast_id, questions_to_redo
from models.store.db import data_version
from models.store.tables import CapabilityLevel, Forecast, Question, Researcher

_TIME_COLUMNS = (
    "as_of",
    "recorded_at",
    "created_at",
    "resolve_by",
    "resolved_at",
    "published",
    "observed_at",
)


def _rows(engine: sa.Engine, sql: str) -> tuple[list[str], Sequence[Any]]:
    """A query's column names and rows, as the driver returns them."""
    # Plain DB-API tuples: building a DataFrame from SQLAlchemy Row objects is several
    # times slower (pandas probes each row's attributes).
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()
        finally:
            cursor.close()


def _frame(engine: sa.Engine, sql: str) -> pd.DataFrame:
    """A query's rows with the dtypes pandas infers, times as UTC."""
    columns, rows = _rows(engine, sql)
    # The plain constructor infers the same dtypes ~30% faster than from_records.
    df = pd.DataFrame(rows, columns=columns)
    for col in _TIME_COLUMNS:
        if col in df.columns:
            df[col] = to_utc_times(df[col], format="ISO8601")
    return df


def _objects(engine: sa.Engine, sql: str) -> pd.DataFrame:
    """A query's rows as object columns, as the driver returned them, for :func:`_conformed`.

    Inferring dtypes first (text as ``str``, only to be cast back to objects) cost more than
    the data in the few rows of most of these reads, which every page's first run after a
    write makes.
    """
    columns, rows = _rows(engine, sql)
    return pd.DataFrame(rows, columns=columns, dtype="object")


def _conformed(df: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    """:func:`_objects`'s frame as a frame of ``schema``, each column cast once, stored times
    read as ISO 8601 (:func:`models.frames.conform`)."""
    return fr.conform(df, schema, time_format="ISO8601")


def _typed(engine: sa.Engine, sql: str, schema: dict[str, str]) -> pd.DataFrame:
    """A query's rows as a frame of ``schema``: :func:`_objects`, then :func:`_conformed`."""
    return _conformed(_objects(engine, sql), schema)


_FORECAST_SQL = """
SELECT f.id AS forecast_id, f.researcher_id, f.question_id, f.level_id, f.probability, f.as_of,
       f.recorded_at, f.reconstructed {rationale}
FROM forecast f
JOIN researcher r ON r.id = f.researcher_id
JOIN question q ON q.id = f.question_id
WHERE f.deleted_at IS NULL AND q.deleted_at IS NULL AND r.deleted_at IS NULL {where}
"""


#: Column types of a forecast query's non-text columns (``level_id`` is NaN when unconditional).
_FORECAST_ID_DTYPES = {
    "forecast_id": "int64",
    "researcher_id": "int64",
    "question_id": "int64",
    "level_id": "float64",
    "probability": "float64",
    "reconstructed": "bool",
}


def _forecast_rows(engine: sa.Engine, sql: str) -> pd.DataFrame:
    """The rows of a :data:`_FORECAST_SQL` query, sorted in the FORECASTS contract order."""
    df = _frame(engine, sql).astype(_FORECAST_ID_DTYPES)
    for text in ("rationale", "given_outcome"):  # as pandas infers them from few rows or many: objects
        if text in df.columns:
            values = df[text].astype("object")
            df[text] = values.where(values.notna(), None)
    if "given_question_id" in df.columns:  # all NULL reads as objects, some as floats: always floats
        df["given_question_id"] = df["given_question_id"].astype("float64")
    # Sorting here is several times faster than ORDER BY in SQLite for large tables.
    return df.sort_values(list(FORECAST_ORDER), kind="stable", ignore_index=True)


#: The FORECASTS contract's row order (``forecast_id`` last, so the order is total).
FORECAST_ORDER = fr.FORECAST_ORDER


def _of_questions(question_ids: Iterable[int]) -> str:
    """A forecast query's condition keeping the forecasts of ``question_ids`` (none when empty)."""
    listed = ", ".join(str(int(q)) for q in question_ids) or "NULL"
    return f" AND f.question_id IN ({listed})"


def ids_of(names: pd.Series, ids: Mapping[str, int | float]) -> np.ndarray:
    """The id of each row's name (NaN where there is none, or it is not in ``ids``), looking each
    distinct name up once: a million rows name a few thousand things."""
    codes, distinct = pd.factorize(names.to_numpy(dtype="object"))
    found = np.array([ids.get(name, np.nan) for name in distinct] + [np.nan], dtype="float64")
    return found[codes]  # code -1 (no name) takes the last entry, NaN


def _lookup(ids: pd.Series, table: pd.DataFrame, column: str, missing: object) -> pd.Series:
    """``table[column]`` for each of ``ids`` (``table`` indexed by id), ``missing`` where none.

    Object dtype, as the frames contract has it (pandas would otherwise infer ``str``).
    """
    values = np.append(table[column].to_numpy(dtype="object"), np.array([missing], dtype="object"))
    found = values[pd.Index(table.index).get_indexer(ids)]  # -1 (not found) takes ``missing``
    return pd.Series(found, index=ids.index, dtype="object")


def _named(engine: sa.Engine, df: pd.DataFrame) -> pd.DataFrame:
    """Forecast rows with ids (RangeIndex) as a :data:`models.frames.FORECASTS` frame.

    Names are taken from small id-indexed tables as plain object arrays: mapping a
    million ids through pandas would build string arrays only to convert them back.
    """
    names = _frame(engine, "SELECT id, handle FROM researcher").set_index("id")
    titles = _frame(engine, "SELECT id, title FROM question").set_index("id")
    levels = _frame(engine, "SELECT id, name, position FROM capability_level").set_index("id")
    rationale = df["rationale"] if "rationale" in df.columns else np.full(len(df), "", dtype="object")
    # Reads that leave conditional forecasts out (scoring) do not select the condition.
    if "given_question_id" in df.columns:
        given = df["given_question_id"].astype("float64")
        outcome = df["given_outcome"].to_numpy(dtype="object")
    else:
        given = pd.Series(np.nan, index=df.index, dtype="float64")
        outcome = np.full(len(df), None, dtype="object")
    return pd.DataFrame(
        {
            "forecast_id": df["forecast_id"].to_numpy(dtype="int64"),
            "researcher": _lookup(df["researcher_id"], names, "handle", None),
            "question_id": df["question_id"].to_numpy(dtype="int64"),
            "question": _lookup(df["question_id"], titles, "title", None),
            "level": _lookup(df["level_id"], levels, "name", None),
            "level_position": _lookup(df["level_id"], levels, "position", np.nan).astype("float64"),
            "probability": df["probability"].to_numpy(dtype="float64"),
            "as_of": df["as_of"].astype(fr.FORECASTS["as_of"]),
            "recorded_at": df["recorded_at"].astype(fr.FORECASTS["recorded_at"]),
            "reconstructed": df["reconstructed"].to_numpy(dtype="bool"),
            "rationale": pd.Series(rationale, dtype="object", index=df.index),
            "given_question_id": given.astype("Int64"),
            "given": _lookup(given, titles, "title", None),
            "given_outcome": pd.Series(outcome, index=df.index, dtype="object").where(given.notna(), None),
        },
        index=df.index,
    )


def forecasts_frame(engine: sa.Engine, *, rationale: bool = True) -> pd.DataFrame:
    """Current forecasts as a :data:`models.frames.FORECASTS` frame.

    ``rationale=False`` skips the largest column when only numbers are needed (its
    values are then "").  Names (handle, title, level) are looked up from ids in pandas:
    creating a million Python strings per query is what makes a large read slow.
    """
    return _named(engine, _forecast_rows(engine, _every_column_sql(rationale)))


def _every_column_sql(rationale: bool = True, where: str = "") -> str:
    extra = ", f.given_question_id, f.given_outcome" + (", f.rationale" if rationale else "")
    return _FORECAST_SQL.format(rationale=extra, where=where)


@dataclass(frozen=True)
class ForecastRows:
    """Current forecasts by id (every column, sorted as the frames are), the data version they
    were read at, and the largest forecast id stored then: what :func:`refresh_frames` patches."""

    rows: pd.DataFrame
    version: int
    top_id: int


def current_rows(engine: sa.Engine, previous: ForecastRows | None = None) -> ForecastRows:
    """Every current forecast by id, rereading only the questions changed since ``previous``.

    The same rows, in the same order, as reading them all (:func:`forecasts_frame` before
    names are looked up): a question's rows are all dropped and read again when anything on
    it changed (:mod:`models.store.changes`), and the result is sorted as a full read is.
    """
    version = data_version(engine)
    if previous is not None and previous.version == version:
        return previous
    top = max_forecast_id(engine)  # before the rows: a forecast added meanwhile is redone next time
    redo = None if previous is None else questions_to_redo(engine, previous.version, previous.top_id)
    if previous is None or redo is None:
        rows = _forecast_rows(engine, _every_column_sql())
    else:
        fresh = _forecast_rows(engine, _every_column_sql(where=_of_questions(sorted(redo))))
        rows = patched_rows(previous.rows, fresh, redo)
    return ForecastRows(rows, version, top)


def _records(keys: list[np.ndarray]) -> np.ndarray:
    """Parallel key arrays as one record per row, which numpy compares field by field."""
    out = np.empty(len(keys[0]), dtype=[(f"k{i}", "i8") for i in range(len(keys))])
    for i, key in enumerate(keys):
        out[f"k{i}"] = key
    return out


def patched_rows(rows: pd.DataFrame, fresh: pd.DataFrame, redo: Iterable[int]) -> pd.DataFrame:
    """``rows`` without the questions in ``redo``, and ``fresh`` in their place: both sorted in
    :data:`FORECAST_ORDER`, and so is the result.

    The same frame as concatenating and sorting again, but each fresh row finds its place by
    binary search among the kept ones: sorting a million rows again for one question's few
    hundred took most of a page's first run after a write.
    """
    kept = np.flatnonzero(~rows["question_id"].isin(list(redo)).to_numpy())
    ours, theirs = fr.order_keys(rows), fr.order_keys(fresh)
    if ours is None or theirs is None or any(rows[c].dtype != fresh[c].dtype for c in FORECAST_ORDER):
        # A missing time, or other time units: leave it to pandas.
        both = pd.concat([rows.iloc[kept], fresh], ignore_index=True)
        return fr.in_forecast_order(both, ignore_index=True)
    places = np.searchsorted(_records(ours)[kept], _records(theirs)) + np.arange(len(fresh))
    source = np.empty(len(kept) + len(fresh), dtype=np.int64)
    is_fresh = np.zeros(len(source), dtype=bool)
    is_fresh[places] = True
    source[is_fresh] = len(rows) + np.arange(len(fresh))  # fresh rows follow ``rows`` in ``both``
    source[~is_fresh] = kept
    out = pd.concat([rows, fresh], ignore_index=True).take(source)
    out.index = pd.RangeIndex(len(out))
    return out


def refresh_frames(engine: sa.Engine, previous: ForecastRows | None = None) -> tuple[fr.Frames, ForecastRows]:
    """:func:`load_frames`, reading again only the forecasts of questions changed since ``previous``.

    Returns the frames and the rows to pass as ``previous`` next time.  Names are looked up
    afresh every time, so a renamed researcher, question or level needs no reread.
    """
    rows = current_rows(engine, previous)
    return _frames_of(engine, _named(engine, rows.rows)), rows


def questions_frame(engine: sa.Engine) -> pd.DataFrame:
    """Current questions as a :data:`models.frames.QUESTIONS` frame (tags as sorted tuples)."""
    df = _objects(
        engine,
        """SELECT q.id AS question_id, q.title AS question, q.criteria, q.tags, q.created_at, q.resolve_by,
                  q.review_every_days,
                  q.outcome, q.resolved_at, l.name AS resolution_level, q.resolution_note
           FROM question q LEFT JOIN capability_level l ON l.id = q.resolution_level_id
           WHERE q.deleted_at IS NULL ORDER BY q.id""",
    )
    df["tags"] = [tuple(t for t in (s or "").split(";") if t) for s in df["tags"]]
    return _conformed(df, fr.QUESTIONS)


def evidence_links_frame(engine: sa.Engine) -> pd.DataFrame:
    return _typed(
        engine,
        """SELECT fe.forecast_id, fe.evidence_id, e.title AS evidence, e.url, fe.direction, fe.note
           FROM forecast_evidence fe JOIN evidence e ON e.id = fe.evidence_id
           JOIN forecast f ON f.id = fe.forecast_id
           WHERE f.deleted_at IS NULL AND e.deleted_at IS NULL ORDER BY fe.forecast_id, e.title""",
        fr.EVIDENCE_LINKS,
    )


def evidence_frame(engine: sa.Engine) -> pd.DataFrame:
    return _typed(
        engine,
        """SELECT id AS evidence_id, title AS evidence, url, published, summary, status, observed_at, kind
           FROM evidence WHERE deleted_at IS NULL ORDER BY title""",
        {**fr.EVIDENCE, "kind": "object"},
    )


def ratios_frame(engine: sa.Engine) -> pd.DataFrame:
    """Current likelihood ratios as a :data:`models.frames.RATIOS` frame, ordered by researcher,
    question, level and evidence title.  Ratios of deleted researchers, questions, levels or
    evidence items are left out."""
    df = _objects(
        engine,
        """SELECT lr.id AS ratio_id, r.handle AS researcher, lr.question_id, q.title AS question,
                  l.name AS level, lr.evidence_id, e.title AS evidence, lr.ratio, lr.as_of, lr.recorded_at,
                  lr.rationale, e.status AS evidence_status, e.observed_at
           FROM likelihood_ratio lr
           JOIN researcher r ON r.id = lr.researcher_id
           JOIN question q ON q.id = lr.question_id
           JOIN evidence e ON e.id = lr.evidence_id
           LEFT JOIN capability_level l ON l.id = lr.level_id
           WHERE lr.deleted_at IS NULL AND r.deleted_at IS NULL AND q.deleted_at IS NULL
             AND e.deleted_at IS NULL AND (lr.level_id IS NULL OR l.deleted_at IS NULL)
""",
    )
    # Sorted here: SQLite and PostgreSQL order NULL levels differently.
    df = df.sort_values(["researcher", "question", "level", "evidence"], na_position="first", kind="stable")
    return _conformed(df, fr.RATIOS)


def levels_frame(engine: sa.Engine) -> pd.DataFrame:
    return _typed(
        engine,
        """SELECT name AS level, position, description, id AS level_id
           FROM capability_level WHERE deleted_at IS NULL ORDER BY position, name""",
        {**fr.LEVELS, "level_id": "int64"},
    )


def links_frame(engine: sa.Engine) -> pd.DataFrame:
    return _typed(
        engine,
        """SELECT id AS link_id, source_question_id, target_question_id, note
           FROM question_link WHERE deleted_at IS NULL ORDER BY id""",
        fr.LINKS,
    )


def researchers_frame(engine: sa.Engine, *, counts: bool = True) -> pd.DataFrame:
    """Researchers (id, handle, name, created_at, email), with their forecast counts.

    ``counts=False`` leaves the ``forecasts`` column out: counting reads every forecast row
    (0.2 s at 100,000), which a list of handles does not need.
    """
    if not counts:
        return _frame(
            engine,
            """SELECT r.id, r.handle, r.name, r.created_at, r.email
               FROM researcher r WHERE r.deleted_at IS NULL ORDER BY r.handle""",
        )
    return _frame(engine, RESEARCHER_COUNTS_SQL)


#: Live researchers with their live forecasts: every forecast counted from ix_forecast_target
#: alone, less the deleted ones, which their own small index lists.  Counting the live ones
#: read every row (1.8 s at a million on SQLite); a count per researcher was worse (55 s at
#: ten million on PostgreSQL).
RESEARCHER_COUNTS_SQL = """
SELECT r.id, r.handle, r.name, r.created_at, r.email, COALESCE(n.forecasts, 0) - COALESCE(d.deleted, 0) AS forecasts
FROM researcher r
LEFT JOIN (SELECT researcher_id, COUNT(*) AS forecasts FROM forecast GROUP BY researcher_id) n
  ON n.researcher_id = r.id
LEFT JOIN (SELECT researcher_id, COUNT(*) AS deleted FROM forecast WHERE deleted_at IS NOT NULL GROUP BY researcher_id) d
  ON d.researcher_id = r.id
WHERE r.deleted_at IS NULL ORDER BY r.handle
"""


def load_frames(engine: sa.Engine) -> fr.Frames:
    """Everything the domain layer reads, as of now."""
    return _frames_of(engine, forecasts_frame(engine))


def _frames_of(engine: sa.Engine, every: pd.DataFrame) -> fr.Frames:
    """The frames, given every current forecast (:data:`models.frames.FORECASTS`); the rest is read now."""
    conditional = every["given_question_id"].notna().to_numpy()
    if conditional.any():
        forecasts = every[~conditional].reset_index(drop=True)
        conditionals = every[conditional].reset_index(drop=True)
    else:  # the usual case: no copy of a million rows to split off none
        forecasts, conditionals = every.reset_index(drop=True), every.iloc[:0].reset_index(drop=True)
    return fr.Frames(
        forecasts=forecasts,
        conditionals=conditionals,
        questions=questions_frame(engine),
        evidence_links=evidence_links_frame(engine),
        evidence=evidence_frame(engine),
        levels=levels_frame(engine),
        links=links_frame(engine),
        partitions=partitions_frame(engine),
    )


def partitions_frame(engine: sa.Engine) -> pd.DataFrame:
    """Current declared partitions, one row per member, as a :data:`models.frames.PARTITIONS` frame."""
    return _typed(
        engine,
        """SELECT p.id AS partition_id, p.name AS partition, r.handle AS researcher, p.note,
                  m.question_id, q.title AS question, m.position
           FROM question_partition p JOIN partition_member m ON m.partition_id = p.id
           JOIN question q ON q.id = m.question_id JOIN researcher r ON r.id = p.researcher_id
           WHERE p.deleted_at IS NULL AND q.deleted_at IS NULL ORDER BY p.name, m.position""",
        fr.PARTITIONS,
    )


def scoring_frames(
    engine: sa.Engine,
    include_reconstructed: bool = False,
    question_ids: list[int] | None = None,
    *,
    cached: bool = True,
) -> fr.Frames:
    """Just what scoring needs: forecasts (without rationale) on questions resolved yes or no.

    The forecast rows are numbers only, so they are served from
    :mod:`models.store.frame_cache` while the data is unchanged: ``credence scores`` on a
    million forecasts then reads one BLOB instead of half a million rows.  ``question_ids``
    reads only those questions' forecasts (through the question index); they, and every
    read with ``cached=False``, skip the cache.
    """
    # A forecast given another question's outcome is not scored against its own question:
    # P(A | B = yes) says nothing about A in the worlds where B is no.
    where = "AND q.outcome IN ('yes', 'no') AND f.as_of < q.resolved_at AND f.given_question_id IS NULL"
    if not include_reconstructed:
        where += " AND NOT f.reconstructed"
    if question_ids is not None:
        where += _of_questions(question_ids)
    sql = _FORECAST_SQL.format(rationale="", where=where)
    if question_ids is not None or not cached:
        rows = _forecast_rows(engine, sql)
    else:
        name = "scoring forecasts" + (" with reconstructed" if include_reconstructed else "")
        rows = frame_cache.cached_frame(engine, name, sql, lambda: _forecast_rows(engine, sql))
    empty = fr.Frames.empty()
    return fr.Frames(
        forecasts=_named(engine, rows),
        questions=questions_frame(engine),
        evidence_links=empty.evidence_links,
        evidence=empty.evidence,
        levels=levels_frame(engine),
        links=empty.links,
    )


def current_forecasts(engine: sa.Engine) -> tuple[pd.DataFrame, dict[int, list[tuple[str, str | None]]]]:
    """Current forecasts ordered by id, and each one's evidence as ``(title, direction)`` sorted by title."""
    df = forecasts_frame(engine).rename(columns={"forecast_id": "id"}).sort_values("id", kind="stable")
    links = evidence_links_frame(engine)
    refs: dict[int, list[tuple[str, str | None]]] = {}
    for fid, title, direction in zip(
        links["forecast_id"], links["evidence"], links["direction"], strict=True
    ):
        refs.setdefault(int(fid), []).append((title, direction))
    return df, refs


def standing_estimate(
    engine: sa.Engine, researcher: str, question: str, level: str | None, at: datetime | date | None = None
) -> float | None:
    """The researcher's latest current forecast of the target (question title, level name or None)
    with ``as_of`` up to the end of ``at``'s day (default: any), the one recorded later at equal
    ``as_of``; None when there is none."""
    f, r, q, lv = (t.__table__ for t in (Forecast, Researcher, Question, CapabilityLevel))  # type: ignore[union-attr]
    stmt = (
        sa.select(f.c.probability)
        .join(r, r.c.id == f.c.researcher_id)
        .join(q, q.c.id == f.c.question_id)
        .where(r.c.handle == researcher, q.c.title == question, f.c.deleted_at.is_(None))
        .order_by(f.c.as_of.desc(), f.c.recorded_at.desc(), f.c.id.desc())
        .limit(1)
    )
    if level is None:
        stmt = stmt.where(f.c.level_id.is_(None))
    else:
        stmt = stmt.where(f.c.level_id == sa.select(lv.c.id).where(lv.c.name == level).scalar_subquery())
    if at is not None:
        day = at.date() if isinstance(at, datetime) else at
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
        stmt = stmt.where(f.c.as_of < end)
    with engine.connect() as conn:
        value = conn.execute(stmt).scalar()
    return None if value is None else float(value)
