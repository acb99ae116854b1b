"""The DataFrames that the data layer hands to the domain layer.

Domain modules (scoring, trajectories, update statistics, charts, reports) take these
frames and nothing else: no session, no ORM rows.  ``models.store.records.load_frames`` builds
them from the database; tests build them by hand with :func:`empty` and plain dicts.

Conventions
-----------
* Probabilities are fractions in [0, 1]; percentages exist only at the edges (input, display).
* Every time column is ``datetime64[ns, UTC]``.
* Only current revisions of rows that are not soft-deleted appear here.
* ``FORECASTS`` rows are ordered by ``(as_of, recorded_at, forecast_id)``: at equal ``as_of``
  the estimate recorded later wins, and within one imported file (one ``recorded_at``)
  the later row, which has the larger id.
* A forecast's *target* is ``(researcher, question_id, level, given_question_id,
  given_outcome)``; ``level`` is ``None`` for an unconditional forecast, otherwise the
  capability level's name; the condition is ``<NA>``/``None`` unless the forecast is given
  another question's outcome (``P(A | B = yes)``).  ``Frames.forecasts`` holds only forecasts
  without such a condition (so grouping it by researcher, question and level is grouping by
  target) and ``Frames.conditionals`` the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.limits import to_utc_times

#: One row per current forecast.
FORECASTS: dict[str, str] = {
    "forecast_id": "int64",
    "researcher": "object",  # handle
    "question_id": "int64",
    "question": "object",  # title
    "level": "object",  # capability level name, or None when unconditional
    "level_position": "float64",  # position on the ordered scale, NaN when unconditional
    "probability": "float64",
    "as_of": "datetime64[ns, UTC]",
    "recorded_at": "datetime64[ns, UTC]",
    "reconstructed": "bool",
    "rationale": "object",  # "" when none was given
    # The condition of P(question | given = given_outcome), or <NA>/None when there is none.
    "given_question_id": "Int64",
    "given": "object",  # the condition's question title
    "given_outcome": "object",  # "yes" | "no"
}

#: One row per current question.
QUESTIONS: dict[str, str] = {
    "question_id": "int64",
    "question": "object",  # title
    "criteria": "object",
    "tags": "object",  # tuple[str, ...], sorted
    "created_at": "datetime64[ns, UTC]",
    "resolve_by": "datetime64[ns, UTC]",  # NaT when none
    "review_every_days": "Int64",  # <NA>: the default review interval
    "outcome": "object",  # "yes" | "no" | "annulled" | None while open
    "resolved_at": "datetime64[ns, UTC]",  # NaT while open
    "resolution_level": "object",  # capability level name reached at resolution, or None
    "resolution_note": "object",
}

#: One row per (forecast, evidence item) link.
EVIDENCE_LINKS: dict[str, str] = {
    "forecast_id": "int64",
    "evidence_id": "int64",
    "evidence": "object",  # title
    "url": "object",  # or None
    "direction": "object",  # "raised" | "lowered" | "no_change" | None when not stated
    "note": "object",
}

#: One row per current evidence item.
EVIDENCE: dict[str, str] = {
    "evidence_id": "int64",
    "evidence": "object",  # title
    "url": "object",
    "published": "datetime64[ns, UTC]",  # NaT when unknown
    "summary": "object",
    "status": "object",  # "anticipated" | "observed"
    "observed_at": "datetime64[ns, UTC]",  # NaT while anticipated, or when unknown
}

#: One row per current likelihood ratio (``models.analysis.likelihood``), with its evidence's status.
RATIOS: dict[str, str] = {
    "ratio_id": "int64",
    "researcher": "object",  # handle
    "question_id": "int64",
    "question": "object",  # title
    "level": "object",  # capability level name, or None when unconditional
    "evidence_id": "int64",
    "evidence": "object",  # title
    "ratio": "float64",  # P(E | yes) / P(E | no), > 0
    "as_of": "datetime64[ns, UTC]",
    "recorded_at": "datetime64[ns, UTC]",
    "rationale": "object",
    "evidence_status": "object",  # "anticipated" | "observed"
    "observed_at": "datetime64[ns, UTC]",  # the evidence's; NaT while anticipated
}

#: The ordered capability scale.
LEVELS: dict[str, str] = {
    "level": "object",
    "position": "float64",
    "description": "object",
}

#: "P(source) moved mostly because P(target) moved".
LINKS: dict[str, str] = {
    "link_id": "int64",
    "source_question_id": "int64",
    "target_question_id": "int64",
    "note": "object",
}


#: Declared partitions (mutually exclusive, exhaustive questions), one row per member.
PARTITIONS: dict[str, str] = {
    "partition_id": "int64",
    "partition": "object",  # its name
    "researcher": "object",  # who declared it
    "note": "object",
    "question_id": "int64",
    "question": "object",
    "position": "int64",
}


#: The order of forecast rows: at equal ``as_of`` the one recorded later, then the larger id.
FORECAST_ORDER = ("as_of", "recorded_at", "forecast_id")


def in_forecast_order(df: pd.DataFrame, *, ignore_index: bool = False) -> pd.DataFrame:
    """``df`` sorted stably by the :data:`FORECAST_ORDER` columns it has.

    Frames usually arrive in that order already (``Frames.forecasts`` does, and so does any
    subset of it): then nothing is sorted and a shallow copy comes back, which a caller may
    change without touching ``df``.  Sorting a million rows that are already in order took
    0.3 s on every page view that selected forecasts.
    """
    if _in_order(df):
        out = df.copy(deep=False)
        if ignore_index:
            out.index = pd.RangeIndex(len(out))
        return out
    return df.sort_values(
        [c for c in FORECAST_ORDER if c in df.columns], kind="stable", ignore_index=ignore_index
    )


def order_keys(df: pd.DataFrame) -> list[np.ndarray] | None:
    """The :data:`FORECAST_ORDER` columns ``df`` has, as int64 arrays that compare as the
    columns do (times as their ticks), or None when one cannot: a missing time (sorted last),
    or a column neither integer nor time."""
    keys = []
    for name in (c for c in FORECAST_ORDER if c in df.columns):
        column = df[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype) or column.dtype.kind == "M":
            if column.isna().any():
                return None
            keys.append(column.array.asi8)
        elif column.dtype.kind in "iu":
            keys.append(column.to_numpy())
        else:
            return None
    return keys


def _in_order(df: pd.DataFrame) -> bool:
    """Whether each row's :func:`order_keys` are ≥ the row before's, compared in turn (ties go
    to the next key); False when they are unknown, and the caller sorts."""
    keys = order_keys(df)
    if keys is None:
        return False
    later = np.zeros(max(len(df) - 1, 0), dtype=bool)  # decided: this row comes after the one before
    tied = ~later  # not decided yet: equal so far
    for key in keys:
        later |= tied & (key[1:] > key[:-1])
        tied &= key[1:] == key[:-1]
    return bool((later | tied).all())


def empty(schema: dict[str, str]) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of ``schema``."""
    key = tuple(schema.items())
    if key not in _EMPTY:  # building one costs a millisecond; pages and tests ask for many
        _EMPTY[key] = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in schema.items()})
    return _EMPTY[key].copy()


_EMPTY: dict[tuple[tuple[str, str], ...], pd.DataFrame] = {}


def conform(df: pd.DataFrame, schema: dict[str, str], *, time_format: str | None = None) -> pd.DataFrame:
    """``df`` with exactly the columns of ``schema``, in order, cast to its dtypes.

    Missing object columns are filled with ``None``; naive datetimes are read as UTC, text
    times in ``time_format`` (``"ISO8601"``: any ISO 8601 form, as the databases store them).  A
    column already of its dtype is not cast again: most frames are a few rows, where each
    cast costs more than the data.
    """
    if not len(df):
        return empty(schema)
    columns = {}
    for name, dtype in schema.items():
        col = df[name] if name in df.columns else pd.Series(None, index=df.index, dtype="object")
        if str(col.dtype) == dtype and dtype != "object":
            pass
        elif dtype.startswith("datetime64"):
            col = to_utc_times(col, format=time_format).astype(dtype)
        elif dtype == "object":
            if col.dtype != "object":
                col = col.astype("object")
            if col.isna().any():
                col = col.where(col.notna(), None)
        else:
            col = col.astype(dtype)
        columns[name] = col
    return pd.DataFrame(columns, index=df.index).reset_index(drop=True)


@dataclass(frozen=True)
class Frames:
    """Everything the domain layer reads, as of one moment."""

    forecasts: pd.DataFrame
    questions: pd.DataFrame
    evidence_links: pd.DataFrame
    evidence: pd.DataFrame
    levels: pd.DataFrame
    links: pd.DataFrame
    #: Forecasts given another question's outcome (``P(A | B = yes)``), same columns as
    #: ``forecasts``.  Kept apart so that trajectories, updates and scores, which group
    #: ``forecasts`` by (researcher, question, level), never mix a conditional estimate of A
    #: with the direct ones; :mod:`models.analysis.decomposition` reads both.
    conditionals: pd.DataFrame = field(default_factory=lambda: empty(FORECASTS))
    #: Declared partitions (:data:`PARTITIONS`); frames built without them have none.
    partitions: pd.DataFrame = field(default_factory=lambda: empty(PARTITIONS))

    @classmethod
    def empty(cls) -> Frames:
        return cls(
            forecasts=empty(FORECASTS),
            questions=empty(QUESTIONS),
            evidence_links=empty(EVIDENCE_LINKS),
            evidence=empty(EVIDENCE),
            levels=empty(LEVELS),
            links=empty(LINKS),
        )
