"""Per-target scores that stay fresh after every write: what ``credence scores`` reads.

A target's scores (:func:`models.analysis.scoring.target_scores`) depend only on its own
forecasts and its question, and a write touches the forecasts of one question or a few.
So the per-target numbers are kept as a columnar copy in the frame cache and, after a
write, recomputed only for the questions that changed, by the same pandas pipeline
(``select_scored`` → ``target_scores``) on just those questions' forecasts, read through
the question index.  Every target's numbers are therefore exactly what the pipeline gives
on freshly read frames; only their order in the copy differs, and it is restored on read.

Which questions changed, and when everything is recomputed instead, is
:mod:`models.store.changes`' answer.

The copy holds numbers only: ids instead of names (handles, titles and level names are
looked up on every read, so a rename needs no recomputation) and times as nanoseconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from models.analysis.scoring import brier_score, log_score, select_scored, target_scores
from models.store import frame_cache
from models.store.changes import max_forecast_id, questions_to_redo
from models.store.db import data_version
from models.store.reads import ids_of, scoring_frames

#: The columns of :func:`models.analysis.scoring.target_scores`, in order.
TARGET_COLUMNS = [
    "target",
    "researcher",
    "question_id",
    "question",
    "level",
    "resolved_at",
    "outcome",
    "first_as_of",
    "final",
    "n_forecasts",
    "brier",
    "log_score",
    "sum_squared_error",
    "brier_time_averaged",
]
#: What the copy keeps per target: numbers only (ids for names, nanoseconds for times).
ROW_COLUMNS = {
    "researcher_id": "int64",
    "question_id": "int64",
    "level_id": "float64",  # NaN when unconditional
    "resolved_ns": "int64",
    "outcome": "int64",
    "first_as_of_ns": "int64",
    "final": "float64",
    "n_forecasts": "int64",
    "sum_squared_error": "float64",
    "brier_time_averaged": "float64",
}


def _pairs(engine: sa.Engine, sql: str) -> list[tuple[Any, Any]]:
    with engine.connect() as conn:
        return [(a, b) for a, b in conn.execute(sa.text(sql)).all()]


def _target_rows(
    engine: sa.Engine, include_reconstructed: bool, question_ids: list[int] | None = None
) -> pd.DataFrame:
    """:data:`ROW_COLUMNS` of every target, or of the targets on ``question_ids``, by the pandas pipeline."""
    frames = scoring_frames(engine, include_reconstructed, question_ids, cached=False)
    targets = target_scores(select_scored(frames, include_reconstructed=include_reconstructed))
    return pd.DataFrame(
        {
            "researcher_id": ids_of(targets["researcher"], _ids(engine, "SELECT id, handle FROM researcher")),
            "question_id": targets["question_id"].to_numpy(),
            "level_id": ids_of(targets["level"], _ids(engine, "SELECT id, name FROM capability_level")),
            "resolved_ns": targets["resolved_at"].dt.as_unit("ns").array.asi8,
            "outcome": targets["outcome"].to_numpy(),
            "first_as_of_ns": targets["first_as_of"].dt.as_unit("ns").array.asi8,
            "final": targets["final"].to_numpy(),
            "n_forecasts": targets["n_forecasts"].to_numpy(),
            "sum_squared_error": targets["sum_squared_error"].to_numpy(),
            "brier_time_averaged": targets["brier_time_averaged"].to_numpy(),
        }
    ).astype(ROW_COLUMNS)


def _ids(engine: sa.Engine, sql: str) -> dict[str, int]:
    """``{name: id}`` of a query selecting id, name."""
    return {n: int(i) for i, n in _pairs(engine, sql)}


def _names(engine: sa.Engine, sql: str) -> tuple[pd.Index, np.ndarray]:
    """An id index and the names in its order (plus a None at the end, for ids not found)."""
    pairs = _pairs(engine, sql)
    ids = pd.Index([int(i) for i, _ in pairs], dtype="int64")
    return ids, np.array([n for _, n in pairs] + [None], dtype="object")


def _lookup(ids: np.ndarray, names: tuple[pd.Index, np.ndarray]) -> np.ndarray:
    """Each id's name (None when there is none), looked up at once: a copy can hold millions."""
    index, values = names
    return values[index.get_indexer(ids)]  # -1 (not found) takes the trailing None


def target_frame(engine: sa.Engine, rows: pd.DataFrame) -> pd.DataFrame:
    """Per-target numbers (:data:`ROW_COLUMNS`) as :func:`models.analysis.scoring.target_scores`' frame.

    Names are looked up now.  Targets are ordered as that function orders them (researcher
    handle, question id, then level: unconditional first, then by level id) and numbered
    0, 1, ...; ``brier`` ``(final − y)²`` and ``log_score`` (``final`` clipped to
    [0.001, 0.999]) come from the scoring module's own functions.
    """
    handles = _names(engine, "SELECT id, handle FROM researcher")
    titles = _names(engine, "SELECT id, title FROM question")
    levels = _names(engine, "SELECT id, name FROM capability_level")
    researcher_id = rows["researcher_id"].to_numpy(dtype="int64")
    researcher = _lookup(researcher_id, handles)
    # Handles sort as their ranks do: integers sort a million rows faster than strings.
    by_handle = np.argsort(handles[1][:-1].astype("str"), kind="stable")
    rank = np.empty(len(by_handle) + 1, dtype="int64")
    rank[by_handle] = np.arange(len(by_handle))
    rank[-1] = len(by_handle)
    handle_rank = rank[handles[0].get_indexer(researcher_id)]
    level_id = rows["level_id"].to_numpy(dtype="float64")
    order = np.lexsort((np.nan_to_num(level_id, nan=-1.0), rows["question_id"].to_numpy(), handle_rank))
    rows = rows.iloc[order].reset_index(drop=True)
    researcher, level_id = researcher[order], level_id[order]
    outcome = rows["outcome"].to_numpy(dtype="int64").astype("int8")
    final = rows["final"].to_numpy(dtype="float64")
    question_id = rows["question_id"].to_numpy(dtype="int64")
    level = _lookup(np.nan_to_num(level_id, nan=-1.0).astype("int64"), levels)  # no level id is -1
    out = pd.DataFrame(
        {
            "target": np.arange(len(rows), dtype="int64"),
            "researcher": pd.Series(researcher, dtype="object"),
            "question_id": question_id,
            "question": pd.Series(_lookup(question_id, titles), dtype="object"),
            "level": pd.Series(level, dtype="object"),
            "resolved_at": pd.to_datetime(rows["resolved_ns"].to_numpy(dtype="int64"), unit="ns", utc=True),
            "outcome": outcome,
            "first_as_of": pd.to_datetime(
                rows["first_as_of_ns"].to_numpy(dtype="int64"), unit="ns", utc=True
            ),
            "final": final,
            "n_forecasts": rows["n_forecasts"].to_numpy(dtype="int64"),
            "brier": brier_score(final, outcome),
            "log_score": log_score(final, outcome),
            "sum_squared_error": rows["sum_squared_error"].to_numpy(dtype="float64"),
            "brier_time_averaged": rows["brier_time_averaged"].to_numpy(dtype="float64"),
        }
    )
    return out[TARGET_COLUMNS]


#: Up to this many changed questions, a patched copy is not stored (see :func:`target_rows`).
REDO_RATHER_THAN_STORE = 16


def target_rows(engine: sa.Engine, include_reconstructed: bool = False) -> pd.DataFrame:
    """Per-target numbers (:data:`ROW_COLUMNS`), fresh for the current data (see the module)."""
    name = "score targets" + (" with reconstructed" if include_reconstructed else "")
    key = f"{_target_rows.__qualname__} {sorted(ROW_COLUMNS)} {include_reconstructed}"
    before = data_version(engine)
    hit = frame_cache.lookup_any(engine, name, key)
    if hit is not None and hit.version == before:
        return hit.frame
    top = max_forecast_id(engine)
    rows: pd.DataFrame | None = None
    changed = (
        None if hit is None or hit.meta is None else questions_to_redo(engine, hit.version, int(hit.meta))
    )
    if hit is not None and changed is not None:
        kept = hit.frame[~hit.frame["question_id"].isin(list(changed))]
        fresh = _target_rows(engine, include_reconstructed, question_ids=sorted(changed))
        rows = pd.concat([kept, fresh], ignore_index=True) if len(kept) else fresh
    if rows is None:
        rows = _target_rows(engine, include_reconstructed)
    # A patch of a few questions is cheaper to redo on the next read than to store (writing
    # the copy of a million forecasts' targets takes about 0.4 s); the stored copy stays
    # valid, and the next read patches everything changed since it.
    small_patch = changed is not None and len(changed) <= REDO_RATHER_THAN_STORE
    if not small_patch and data_version(engine) == before:
        frame_cache.store(engine, name, key, before, rows, meta=top)
    return rows


def score_targets(engine: sa.Engine, include_reconstructed: bool = False) -> pd.DataFrame:
    """:func:`models.analysis.scoring.target_scores` of every scored forecast, fresh after every write.

    The same values as that pipeline on freshly read frames: each target's numbers come
    from it, computed on the questions that changed since the copy was stored.
    """
    return target_frame(engine, target_rows(engine, include_reconstructed))
