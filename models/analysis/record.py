"""What was on record when: update histories that do not rewrite themselves, and hindsight.

Pure, vectorized functions of a forecasts frame (the columns of ``models.frames.FORECASTS``).

Conventions
-----------
* A *target* is ``(researcher, question_id, level)``; forecast order is
  ``(as_of, recorded_at, forecast_id)``.
* **The update rule.**  The *from* of a forecast ``F`` is what the researcher had on record
  when ``F`` was recorded: among the forecasts ``G`` of ``F``'s target with
  ``G.recorded_at <= F.recorded_at`` that come before ``F`` in forecast order, the last one.
  A reconstruction written later for an earlier date is therefore never the *from* of a record
  written before it, so entering it does not change the updates around it; it is a row of its
  own, whose *from* follows the same rule.  A reconstruction written *before* a record (and
  dated before it) was on record then, and is that record's *from*.
* **Hindsight gap.**  A reconstructed estimate ``R`` is compared with the contemporaneous
  (not reconstructed) record of its target that stood at ``R.as_of``: the last one in forecast
  order with ``as_of <= R.as_of``.  ``gap_points = 100 · (R.probability − on_record)``; a
  reconstruction dated before the target's first contemporaneous record has no gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.format import format_percent
from models.frames import in_forecast_order

TARGET = ["researcher", "question_id", "level"]

HINDSIGHT_COLUMNS = [
    "researcher", "question_id", "question", "level", "as_of", "recorded_at", "forecast_id",
    "reconstructed_probability", "on_record_forecast_id", "on_record_as_of", "on_record_probability",
    "gap_points",
]  # fmt: skip
HINDSIGHT_SUMMARY_COLUMNS = ["researcher", "n_compared", "mean_gap_points", "mean_abs_gap_points"]


def _in_order(forecasts: pd.DataFrame) -> pd.DataFrame:
    return in_forecast_order(forecasts, ignore_index=True)


def _target_ids(df: pd.DataFrame) -> np.ndarray:
    return df.groupby(TARGET, dropna=False, sort=False).ngroup().to_numpy()


def previous_on_record(forecasts: pd.DataFrame) -> np.ndarray:
    """For each row of ``forecasts`` (in forecast order), the position of its *from*, or −1.

    The *from* is the last earlier row (forecast order) of the same target whose
    ``recorded_at`` is no later than the row's own (see the module's update rule).  Rows
    must already be in forecast order (``(as_of, recorded_at, forecast_id)``).

    Computed by walking back from the preceding row only for the rows whose preceding row was
    recorded after them, so the usual case (records written in date order) is one vectorized
    step, and each further step handles only the rows that are still looking.
    """
    n = len(forecasts)
    if n == 0:
        return np.array([], dtype="int64")
    # Walk within targets: rows grouped by target, forecast order kept inside each group.
    by_target = np.argsort(_target_ids(forecasts), kind="stable")
    target = _target_ids(forecasts)[by_target]
    recorded = pd.DatetimeIndex(forecasts["recorded_at"]).asi8[by_target]
    rows = np.arange(n)
    candidate = rows - 1
    looking = rows[candidate >= 0]
    while len(looking):
        c = candidate[looking]
        valid = c >= 0
        valid[valid] = target[c[valid]] == target[looking[valid]]
        candidate[looking[~valid]] = -1
        looking, c = looking[valid], c[valid]
        later = recorded[c] > recorded[looking]
        candidate[looking[later]] -= 1
        looking = looking[later]
    out = np.full(n, -1, dtype="int64")
    found = candidate >= 0
    out[by_target[found]] = by_target[candidate[found]]
    return out


def from_on_record(forecasts: pd.DataFrame) -> pd.DataFrame:
    """``forecasts`` in forecast order with the *from* of each row by the update rule.

    Adds ``previous_forecast_id`` (nullable), ``previous_as_of`` and ``from_probability``
    (NaN for a row with nothing on record before it).
    """
    d = _in_order(forecasts)
    prev = previous_on_record(d)
    has = prev >= 0
    take = np.where(has, prev, 0)
    ids = pd.array(d["forecast_id"].to_numpy()[take], dtype="Int64")
    ids[~has] = pd.NA
    as_of = d["as_of"].array.take(take)
    as_of[~has] = pd.NaT
    return d.assign(
        previous_forecast_id=ids,
        previous_as_of=as_of,
        from_probability=np.where(has, d["probability"].to_numpy("float64")[take], np.nan),
    )


def hindsight_gaps(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Each reconstructed estimate next to the contemporaneous record that stood at its date.

    One row per reconstructed forecast ``R`` whose target had a contemporaneous (not
    reconstructed) forecast with ``as_of <= R.as_of``: ``researcher, question_id, question,
    level, as_of`` (R's date), ``recorded_at`` and ``forecast_id`` (of R),
    ``reconstructed_probability``, ``on_record_forecast_id``, ``on_record_as_of``,
    ``on_record_probability`` (the last such record in forecast order) and
    ``gap_points = 100 · (reconstructed − on_record)``: negative when the researcher now
    remembers having been less confident of "yes" than the record shows.  Ordered by
    researcher, question, level and date.
    """
    d = _in_order(forecasts).assign(_target=lambda x: _target_ids(x) if len(x) else [])
    recon = d[d["reconstructed"].astype(bool)]
    record = d[~d["reconstructed"].astype(bool)]
    if recon.empty or record.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in HINDSIGHT_COLUMNS})
    right = record[["_target", "as_of", "forecast_id", "probability"]].rename(
        columns={
            "forecast_id": "on_record_forecast_id",
            "probability": "on_record_probability",
        }
    )
    right = right.assign(on_record_as_of=right["as_of"])
    # Backward as-of match on the date within the target; ``record`` is in forecast order, so
    # at equal dates the record written later is the one that stood.
    m = pd.merge_asof(
        recon.sort_values("as_of", kind="stable"),
        right.sort_values("as_of", kind="stable"),
        on="as_of",
        by="_target",
        direction="backward",
        allow_exact_matches=True,
    )
    m = m[m["on_record_forecast_id"].notna()]
    m = m.assign(
        reconstructed_probability=m["probability"],
        on_record_forecast_id=m["on_record_forecast_id"].astype("int64"),
        gap_points=100.0 * (m["probability"] - m["on_record_probability"]),
    )
    m = m.sort_values(["researcher", "question_id", "level", "as_of"], kind="stable", na_position="first")
    return m[HINDSIGHT_COLUMNS].reset_index(drop=True)


def hindsight_summary(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per researcher, how their reconstructions drift from their records.

    ``n_compared`` (rows of :func:`hindsight_gaps`), ``mean_gap_points`` (signed mean of
    ``gap_points``: a consistent sign is a drift one way) and ``mean_abs_gap_points``.
    """
    g = gaps.assign(_abs=gaps["gap_points"].abs()).groupby("researcher", sort=True)
    out = pd.DataFrame(
        {
            "n_compared": g.size().astype("int64"),
            "mean_gap_points": g["gap_points"].mean().astype("float64"),
            "mean_abs_gap_points": g["_abs"].mean().astype("float64"),
        }
    ).reset_index()
    return out[HINDSIGHT_SUMMARY_COLUMNS]


def next_on_record(forecasts: pd.DataFrame) -> np.ndarray:
    """For each row (in forecast order), the position of the estimate its step leads to, or −1.

    A trajectory draws each estimate as a step held until the next one.  To agree with the
    update rule, the step of ``F`` leads to the last (in forecast order) of the estimates
    whose *from* is ``F``; an estimate that is nobody's *from* (a reconstruction written after
    the records around it) leads to the next estimate of its target in forecast order, so it
    shows as its own short step without cutting the record's line; the last estimate of a
    target leads nowhere (−1).
    """
    n = len(forecasts)
    if n == 0:
        return np.array([], dtype="int64")
    prev = previous_on_record(forecasts)
    nxt = np.full(n, -1, dtype="int64")
    has = prev >= 0
    # Rows are in forecast order, so a larger position is a later estimate: keep the largest.
    np.maximum.at(nxt, prev[has], np.arange(n)[has])
    target = _target_ids(forecasts)
    by_target = np.argsort(target, kind="stable")
    following = np.full(n, -1, dtype="int64")
    same = target[by_target][1:] == target[by_target][:-1]
    following[by_target[:-1][same]] = by_target[1:][same]
    return np.where(nxt >= 0, nxt, following)


def hindsight_sentences(gaps: pd.DataFrame) -> list[str]:
    """:func:`hindsight_gaps` in words, one line per reconstruction, e.g. ``"teal_heron (3x):
    reconstructed 2% for 2024-06-01; on record then: 40% (−38 points)"``; the level is left out
    for an unconditional estimate and the difference is ``gap_points`` with one decimal."""
    lines = []
    for row in gaps.itertuples():
        level = f" ({row.level})" if isinstance(row.level, str) else ""
        points = f"{abs(row.gap_points):.1f}".removesuffix(".0")
        sign = "\u2212" if row.gap_points < 0 else "+"
        lines.append(
            f"{row.researcher}{level}: reconstructed {format_percent(row.reconstructed_probability)} for "
            f"{pd.Timestamp(row.as_of):%Y-%m-%d}; on record then: {format_percent(row.on_record_probability)} "
            f"({sign}{points} points)"
        )
    return lines
