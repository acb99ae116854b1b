"""What the Calibration page shows: buckets, intervals, Murphy decomposition, sharpness,
scores relative to peers and the per-target breakdown.

The functions take the per-target table of :func:`models.analysis.scoring.target_scores` (one row
per target: ``researcher``, ``final``, ``outcome`` 1/0, ``brier``, ``resolved_at``, ...),
and return plain DataFrames; nothing here reads the database or draws.

Rows that pool every researcher carry ``researcher == ALL_RESEARCHERS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist

import numpy as np
import pandas as pd

#: The ``researcher`` value of rows that pool every researcher's targets.
ALL_RESEARCHERS = "all researchers"

#: The eleven bucket values 0.0, 0.1, ..., 1.0 (``k / 10`` is the double nearest each tenth).
BUCKETS: tuple[float, ...] = tuple(k / 10 for k in range(11))

CALIBRATION_COLUMNS = ["researcher", "bucket", "n", "mean_forecast", "observed"]


def bucket_of(probability: np.ndarray | pd.Series) -> np.ndarray:
    """The calibration bucket (0.0, 0.1, ..., 1.0) of each probability.

    A probability goes to the nearest tenth, and a probability exactly halfway between two
    tenths goes *up*: 0.05 → 0.1, 0.15 → 0.2, 0.85 → 0.9, 0.95 → 1.0.  The bucket is
    ``floor(10 p + 0.5 + 1e-9) / 10``.  The ``1e-9`` is there because tenths are not exact
    in binary: ``0.15 * 10 == 1.4999999999999998``, so a plain ``floor(10 p + 0.5)`` would
    send 0.15 down to 0.1.  The nudge is far larger than that rounding error (~1e-16) and
    far smaller than any meaningful difference between probabilities, so only the
    halfway points are affected, and they all go up.  Probabilities outside [0, 1] are
    clipped to the end buckets.
    """
    p = np.asarray(probability, dtype="float64")
    k = np.clip(np.floor(p * 10.0 + 0.5 + 1e-9), 0.0, 10.0)
    return k / 10.0


def _grouping(frame: pd.DataFrame, pooled: bool = False) -> pd.Series:
    """The researcher of each row (or ALL_RESEARCHERS), as object dtype with a fresh index.

    Building frames from these avoids pandas' inference of a string dtype, which costs a
    conversion on every call.
    """
    if pooled:
        return pd.Series(ALL_RESEARCHERS, index=pd.RangeIndex(len(frame)), dtype="object")
    return pd.Series(frame["researcher"].to_numpy(dtype="object"), dtype="object")


def calibration_table(targets: pd.DataFrame, *, pooled: bool = False) -> pd.DataFrame:
    """Calibration of final forecasts, per researcher (or pooled), per non-empty bucket.

    Each target's final forecast goes to its bucket (:func:`bucket_of`: nearest tenth,
    halfway points up).  Per (researcher, bucket): ``n`` targets, ``mean_forecast`` (the
    mean of their final forecasts, not the bucket value) and ``observed`` (the share that
    resolved yes).  Empty buckets are left out.  With ``pooled=True`` every target of every
    researcher goes into one group, ``researcher == ALL_RESEARCHERS``.

    Columns: researcher, bucket, n, mean_forecast, observed; sorted by researcher, bucket.
    """
    if targets.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in CALIBRATION_COLUMNS}).astype(
            {"researcher": "object", "n": "int64"}
        )
    sums = _bucket_sums(targets, pooled)
    who, k = np.nonzero(sums.n)  # row-major: sorted by researcher, then bucket
    n = sums.n[who, k]
    table = pd.DataFrame(
        {
            "researcher": sums.names[who],
            "bucket": k / 10.0,
            "n": n,
            "mean_forecast": sums.final[who, k] / n,
            "observed": sums.outcome[who, k] / n,
        }
    )
    return table.astype({"researcher": "object", "n": "int64"})[CALIBRATION_COLUMNS]


@dataclass(frozen=True)
class _BucketSums:
    """Per researcher (``names``, sorted) and bucket (0 to 10): how many targets, and the sums
    of their final forecasts and outcomes; arrays of shape (researchers, 11).  ``codes``: each
    target's position in ``names``."""

    names: np.ndarray
    codes: np.ndarray
    n: np.ndarray
    final: np.ndarray
    outcome: np.ndarray


def _bucket_sums(targets: pd.DataFrame, pooled: bool) -> _BucketSums:
    """:class:`_BucketSums` of the per-target table, in one counting pass (``np.bincount``):
    a few milliseconds where a pandas group-by over the same keys took tens."""
    if pooled:
        names = np.array([ALL_RESEARCHERS], dtype="object")
        codes = np.zeros(len(targets), dtype="int64")
    else:
        codes, names = pd.factorize(targets["researcher"].to_numpy(dtype="object"), sort=True)
        names = np.asarray(names, dtype="object")
    final = targets["final"].to_numpy(dtype="float64")
    key = codes * 11 + np.rint(bucket_of(final) * 10.0).astype("int64")
    shape = (len(names), 11)

    def total(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(key, weights=weights, minlength=shape[0] * shape[1]).reshape(shape)

    outcome = targets["outcome"].to_numpy(dtype="float64")
    return _BucketSums(names, codes, total().astype("int64"), total(final), total(outcome))


def calibration_intervals(calibration: pd.DataFrame, confidence: float = 0.90) -> pd.DataFrame:
    """``calibration`` with the Wilson score interval of ``observed`` as ``lower``, ``upper``.

    For ``n`` targets of which a share ``o`` resolved yes and ``z`` the two-sided normal
    quantile of ``confidence`` (1.645 for 90%)::

        centre = (o + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) · sqrt(o(1 − o)/n + z²/4n²)

    The interval stays inside [0, 1] and is not degenerate when ``o`` is 0 or 1.
    """
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    n = calibration["n"].to_numpy(dtype="float64")
    o = calibration["observed"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = 1.0 + z * z / n
        centre = (o + z * z / (2.0 * n)) / denominator
        half = z / denominator * np.sqrt(o * (1.0 - o) / n + z * z / (4.0 * n * n))
    out = calibration.copy()
    # At o = 0 (or 1) the bound is exactly 0 (or 1); the formula leaves float noise there.
    out["lower"] = np.where(o == 0.0, 0.0, np.clip(centre - half, 0.0, 1.0))
    out["upper"] = np.where(o == 1.0, 1.0, np.clip(centre + half, 0.0, 1.0))
    return out


def murphy_decomposition(targets: pd.DataFrame) -> pd.DataFrame:
    """Murphy's decomposition of the Brier score of final forecasts, per researcher and pooled.

    With the eleven buckets of :func:`bucket_of`, ``N`` targets, bucket ``k`` holding
    ``n_k`` targets whose final forecasts average ``f_k`` and of which a share ``o_k``
    resolved yes, and ``o`` the share of all ``N`` that resolved yes::

        reliability = Σ n_k (f_k − o_k)² / N        (lower is better)
        resolution  = Σ n_k (o_k − o)² / N          (higher is better)
        uncertainty = o (1 − o)                    (the questions, not the forecaster)

    ``brier`` (the mean final Brier, as in the score report) ≈ reliability − resolution +
    uncertainty.  Binning makes this approximate: equality holds exactly when all final
    forecasts in each bucket are equal, in particular when every forecast equals its bucket
    value; otherwise the difference is the within-bucket spread of the forecasts.

    Columns: researcher, n_targets, brier, reliability, resolution, uncertainty; one row per
    researcher (sorted) and a last row with ``researcher == ALL_RESEARCHERS``.
    """
    columns = ["researcher", "n_targets", "brier", "reliability", "resolution", "uncertainty"]
    if targets.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype(
            {"researcher": "object", "n_targets": "int64"}
        )
    parts = []
    brier = targets["brier"].to_numpy(dtype="float64")
    for pooled in (False, True):
        sums = _bucket_sums(targets, pooled)
        n_targets = sums.n.sum(axis=1)
        base_rate = sums.outcome.sum(axis=1) / n_targets
        with np.errstate(divide="ignore", invalid="ignore"):  # empty buckets: 0 / 0, weighted by 0
            f_k = np.where(sums.n > 0, sums.final / sums.n, 0.0)
            o_k = np.where(sums.n > 0, sums.outcome / sums.n, 0.0)
        parts.append(
            pd.DataFrame(
                {
                    "researcher": sums.names,
                    "n_targets": n_targets,
                    "brier": np.bincount(sums.codes, weights=brier, minlength=len(sums.names)) / n_targets,
                    "reliability": (sums.n * (f_k - o_k) ** 2).sum(axis=1) / n_targets,
                    "resolution": (sums.n * (o_k - base_rate[:, None]) ** 2).sum(axis=1) / n_targets,
                    "uncertainty": base_rate * (1.0 - base_rate),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).astype({"researcher": "object", "n_targets": "int64"})[columns]


def sharpness(frame: pd.DataFrame, column: str = "final", *, pooled: bool = False) -> pd.DataFrame:
    """How many forecasts fall in each of the eleven buckets, per researcher (or pooled).

    Pass the per-target table (``column="final"``) to count final forecasts, or
    ``Scored.forecasts`` with ``column="probability"`` to count every scored update.
    Buckets as in :func:`bucket_of`.  All eleven buckets appear for every researcher, empty
    ones with ``n == 0``; ``share`` is ``n`` over the researcher's total.

    Columns: researcher, bucket, n, share; sorted by researcher, bucket.
    """
    columns = ["researcher", "bucket", "n", "share"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}).astype(
            {"researcher": "object", "n": "int64"}
        )
    counts = (
        pd.DataFrame(
            {
                "researcher": _grouping(frame, pooled),
                "bucket": bucket_of(frame[column]),
            }
        )
        .groupby(["researcher", "bucket"], sort=True)
        .size()
    )
    researchers = counts.index.get_level_values("researcher").unique()
    full = pd.MultiIndex.from_product([researchers, list(BUCKETS)], names=["researcher", "bucket"])
    out = counts.reindex(full, fill_value=0).rename("n").reset_index()
    out["share"] = out["n"] / out.groupby("researcher")["n"].transform("sum")
    return out.astype({"researcher": "object", "n": "int64"})[columns]


def calibration_over_time(
    targets: pd.DataFrame, now: datetime, *, months: int = 12, pooled: bool = False
) -> pd.DataFrame:
    """Calibration of targets resolved recently next to calibration over all time.

    ``period == "last 12 months"`` holds targets with ``now − months < resolved_at ≤ now``
    (calendar months); ``period == "all time"`` holds every target given.  Each period is
    :func:`calibration_table` of its targets.

    Columns: period, researcher, bucket, n, mean_forecast, observed.
    """
    stamp = pd.Timestamp(now)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    resolved = targets["resolved_at"]
    recent = targets.loc[(resolved > stamp - pd.DateOffset(months=months)) & (resolved <= stamp)]
    parts = [
        calibration_table(recent, pooled=pooled).assign(period=f"last {months} months"),
        calibration_table(targets, pooled=pooled).assign(period="all time"),
    ]
    return pd.concat(parts, ignore_index=True).astype({"period": "object"})[["period", *CALIBRATION_COLUMNS]]


def relative_scores(targets: pd.DataFrame) -> pd.DataFrame:
    """Each researcher's final Brier against their peers' on the same question and level.

    For every target, ``difference = brier − median(brier of the OTHER researchers' targets
    with the same question_id and level)``, defined only where at least one other
    researcher has such a target (peers are the researchers inside the same selection).
    ``relative_brier`` is the mean difference over the researcher's compared targets;
    negative means better than their peers.  Researchers with no compared target are left out.

    Columns: researcher, n_compared, relative_brier; sorted by researcher.
    """
    columns = ["researcher", "n_compared", "relative_brier"]
    # Sort by (question, level, brier) so each question-level's briers are a sorted run;
    # the median of the others skips the row's own rank in that run.
    group_code = targets.groupby(["question_id", "level"], dropna=False, sort=False).ngroup().to_numpy()
    brier = targets["brier"].to_numpy(dtype="float64")
    order = np.lexsort((brier, group_code))
    group_code, sorted_brier = group_code[order], brier[order]
    size = np.bincount(group_code)[group_code]
    start = np.searchsorted(group_code, group_code, side="left")
    rank = np.arange(len(order)) - start
    others = size - 1
    lo, hi = (others - 1) // 2, others // 2  # median positions among the others

    def other(position: np.ndarray) -> np.ndarray:
        index = start + position + (position >= rank)
        return sorted_brier[np.minimum(index, len(order) - 1)]

    compared = others >= 1
    median = np.where(compared, 0.5 * (other(lo) + other(hi)), np.nan)
    difference = np.empty(len(order))
    difference[order] = sorted_brier - median
    has_peer = np.empty(len(order), dtype="bool")
    has_peer[order] = compared
    table = (
        pd.DataFrame({"researcher": _grouping(targets), "d": difference})
        .loc[has_peer]
        .groupby("researcher", sort=True)
        .agg(n_compared=("d", "size"), relative_brier=("d", "mean"))
        .reset_index()
    )
    return table.astype({"researcher": "object", "n_compared": "int64"})[columns]


def target_breakdown(targets: pd.DataFrame) -> pd.DataFrame:
    """The per-target rows behind the scores, worst first ("which questions hurt most").

    Sorted by ``brier`` descending, then researcher, question_id, level.  ``outcome`` is
    ``"yes"`` or ``"no"``; ``final``, ``brier`` and ``log_score`` as in :func:`target_scores`.

    Columns: researcher, question_id, question, level, final, outcome, brier, log_score.
    """
    out = targets[
        ["researcher", "question_id", "question", "level", "final", "outcome", "brier", "log_score"]
    ]
    out = out.assign(outcome=np.where(out["outcome"].to_numpy() == 1, "yes", "no").astype("object"))
    out = out.sort_values(
        ["brier", "researcher", "question_id", "level"],
        ascending=[False, True, True, True],
        na_position="first",
        kind="stable",
    )
    return out.reset_index(drop=True)
