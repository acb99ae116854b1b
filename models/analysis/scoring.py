"""Scores of resolved forecasts: which forecasts count, per-target and per-researcher scores.

Pipeline (each step a pure function of DataFrames, all vectorized)::

    scored = select_scored(frames, scope, include_reconstructed=False)  # the one filter
    targets = target_scores(scored)                                      # one row per target
    researcher_scores(targets), calibration_table(targets), ...          # summaries
    score_report(frames)                                                 # the JSON contract

Conventions
-----------
* A *target* is ``(researcher, question_id, level)``, ``level`` ``None`` when unconditional.
* Brier is the one-sided form ``(p − outcome)²`` in [0, 1], 0 best; ``outcome`` is 1 for a
  question resolved yes and 0 for one resolved no.
* Log score is ``ln p`` if yes, ``ln(1 − p)`` if no, ``p`` clipped to [0.001, 0.999] so a
  certain wrong forecast scores ``ln 0.001`` rather than minus infinity; 0 is perfect,
  higher (closer to 0) is better.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import AwareDatetime, BaseModel, ConfigDict, model_validator

from models.analysis.calibration import ALL_RESEARCHERS, calibration_table
from models.frames import Frames

#: Log-score clipping: a probability of 0 or 1 counts as 0.001 or 0.999.
LOG_CLIP = 0.001

#: The FORECASTS columns carried into ``Scored.forecasts`` (text columns cost time to copy).
_KEPT = [
    "forecast_id",
    "researcher",
    "question_id",
    "level",
    "probability",
    "as_of",
    "recorded_at",
    "reconstructed",
]

SCORE_COLUMNS = ["n_targets", "n_forecasts", "brier", "log_score", "brier_all", "brier_time_averaged"]


def brier_score(probability: np.ndarray | pd.Series, outcome: np.ndarray | pd.Series) -> np.ndarray:
    """Elementwise one-sided Brier score ``(p − outcome)²``; outcome 1 (yes) or 0 (no)."""
    p = np.asarray(probability, dtype="float64")
    return (p - np.asarray(outcome, dtype="float64")) ** 2


def log_score(probability: np.ndarray | pd.Series, outcome: np.ndarray | pd.Series) -> np.ndarray:
    """Elementwise log score: ``ln p`` if outcome is 1, ``ln(1 − p)`` if 0.

    ``p`` is clipped to [0.001, 0.999] first, so the score lies in [ln 0.001, ln 0.999]
    (about [−6.908, −0.001]) and is never infinite.
    """
    p = np.clip(np.asarray(probability, dtype="float64"), LOG_CLIP, 1.0 - LOG_CLIP)
    return np.where(np.asarray(outcome) == 1, np.log(p), np.log1p(-p))


class Scope(BaseModel):
    """Which resolved questions and forecasts a score covers, as a page or command sets it.

    Every field narrows the selection; ``None`` or an empty tuple means "no filter".

    * ``tags``: the question has at least one of these tags.
    * ``resolved_since`` / ``resolved_until``: ``resolved_since ≤ resolved_at < resolved_until``.
    * ``levels``: the forecast's capability level is one of these; ``None`` in the tuple
      selects unconditional forecasts.
    * ``researchers``: the forecast's researcher handle is one of these.
    """

    model_config = ConfigDict(frozen=True)

    tags: tuple[str, ...] | None = None
    resolved_since: AwareDatetime | None = None
    resolved_until: AwareDatetime | None = None
    levels: tuple[str | None, ...] | None = None
    researchers: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Scope:
        if self.resolved_since and self.resolved_until and self.resolved_since >= self.resolved_until:
            raise ValueError("resolved_since must be before resolved_until")
        return self


@dataclass(frozen=True)
class Scored:
    """The scored forecasts of one selection, and what they were selected from.

    ``forecasts``: one row per scored forecast, sorted by (target, as_of, recorded_at,
    forecast_id).  forecast_id, researcher, question_id, level, probability, as_of,
    recorded_at, reconstructed (as in FORECASTS), then ``resolved_at``; ``outcome`` (1 yes, 0 no);
    ``target`` (0, 1, ... in row order); ``is_final`` (the target's last row);
    ``squared_error`` ``(p − outcome)²``; ``held_seconds``, how long this forecast was the
    target's current one (until the next forecast's ``as_of``, or resolution for the final
    one; 0 for one superseded at the same ``as_of``).

    ``questions``: the questions resolved yes or no inside the scope's tags and dates.

    ``researchers``: every researcher with a forecast inside the scope's researchers, scored
    or not (sorted).
    """

    forecasts: pd.DataFrame
    questions: pd.DataFrame
    researchers: tuple[str, ...]


def _ns(series: pd.Series) -> np.ndarray:
    """A UTC datetime column as int64 nanoseconds (NaT is the smallest int64)."""
    return np.asarray(series.dt.as_unit("ns").array.asi8)


def _in_contract_order(as_of: np.ndarray, recorded: np.ndarray, ids: np.ndarray) -> bool:
    """Whether rows are already sorted by (as_of, recorded_at, forecast_id)."""
    a0, a1, r0, r1 = as_of[:-1], as_of[1:], recorded[:-1], recorded[1:]
    later = (a1 > a0) | ((a1 == a0) & ((r1 > r0) | ((r1 == r0) & (ids[1:] >= ids[:-1]))))
    return bool(later.all())


def _stable_order(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for non-negative int64 keys, but faster.

    NumPy's stable sort is a radix sort only for 16-bit integers, so a key below 2**48 is
    sorted as up to three 16-bit digits, least significant first (an LSD radix sort,
    about four times faster than the merge sort used for int64 on a million rows).
    """
    top = int(key.max(initial=0))
    if top >= 1 << 48:
        return np.argsort(key, kind="stable")
    order = np.arange(len(key))
    shift = 0
    while shift == 0 or top >> shift:
        digit = ((key[order] >> shift) & 0xFFFF).astype("uint16")
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def _scoped_questions(questions: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    mask = questions["outcome"].isin(["yes", "no"]) & questions["resolved_at"].notna()
    if scope.tags:
        tagged = questions[["question_id", "tags"]].explode("tags")
        mask &= questions["question_id"].isin(tagged.loc[tagged["tags"].isin(scope.tags), "question_id"])
    if scope.resolved_since is not None:
        mask &= questions["resolved_at"] >= pd.Timestamp(scope.resolved_since)
    if scope.resolved_until is not None:
        mask &= questions["resolved_at"] < pd.Timestamp(scope.resolved_until)
    return questions.loc[mask].reset_index(drop=True)


def select_scored(
    frames: Frames, scope: Scope | None = None, *, include_reconstructed: bool = False
) -> Scored:
    """The forecasts that count towards scores; every score function starts from this.

    A forecast is scored when all of these hold:

    * its question resolved ``yes`` or ``no`` (annulled and open questions are left out);
    * its ``as_of`` is strictly before the question's ``resolved_at`` (a forecast made at the
      resolution instant is left out);
    * it is not reconstructed, unless ``include_reconstructed`` is true;
    * it is unconditional (``level`` is None), or conditional on exactly the level the
      question resolved at (``level == resolution_level``);
    * it lies inside ``scope`` (tags, resolution dates, levels, researchers; see :class:`Scope`).

    The frames hold only current, non-deleted revisions, so nothing else is dropped.
    """
    scope = scope or Scope()
    forecasts = frames.forecasts
    questions = _scoped_questions(frames.questions, scope)

    researcher_code, researcher_names = pd.factorize(forecasts["researcher"], sort=True)
    level_code, _ = pd.factorize(forecasts["level"])  # -1 for None
    question_pos = pd.Index(questions["question_id"]).get_indexer(forecasts["question_id"])
    level = forecasts["level"].to_numpy(dtype="object")
    unconditional = level_code < 0
    # A trailing sentinel answers for question_pos == -1 (question out of scope).
    resolution_level = np.append(
        questions["resolution_level"].to_numpy(dtype="object"), np.array([None], dtype="object")
    )[question_pos]
    resolved_at = np.append(_ns(questions["resolved_at"]), np.iinfo("int64").min)[question_pos]
    as_of = _ns(forecasts["as_of"])

    keep = (question_pos >= 0) & (as_of < resolved_at) & (unconditional | (level == resolution_level))
    if not include_reconstructed:
        keep &= ~forecasts["reconstructed"].to_numpy(dtype="bool")
    if scope.levels:
        named = [name for name in scope.levels if name is not None]
        keep &= forecasts["level"].isin(named).to_numpy() | (unconditional & (None in scope.levels))
    researchers = [str(name) for name in researcher_names]
    if scope.researchers:
        keep &= forecasts["researcher"].isin(scope.researchers).to_numpy()
        researchers = [name for name in researchers if name in scope.researchers]

    rows = np.flatnonzero(keep)
    recorded = _ns(forecasts["recorded_at"])[rows]
    ids = forecasts["forecast_id"].to_numpy(dtype="int64")[rows]
    as_of = as_of[rows]
    # One integer per target: (researcher, question, level) codes packed together.
    n_levels = int(level_code.max(initial=-1)) + 2
    key = (researcher_code[rows].astype("int64") * len(questions) + question_pos[rows]) * n_levels
    key += level_code[rows] + 1
    if _in_contract_order(as_of, recorded, ids):
        order = _stable_order(key)  # keeps (as_of, recorded_at, forecast_id) order
    else:
        order = np.lexsort((ids, recorded, as_of, key))
    rows, key, as_of = rows[order], key[order], as_of[order]
    resolved_at = resolved_at[rows]

    new_target = np.empty(len(rows), dtype="bool")
    new_target[:1] = True
    np.not_equal(key[1:], key[:-1], out=new_target[1:])
    is_final = np.empty(len(rows), dtype="bool")
    is_final[:-1] = new_target[1:]
    is_final[-1:] = True
    held_until = np.where(is_final, resolved_at, np.roll(as_of, -1))
    outcome = (questions["outcome"].to_numpy(dtype="object") == "yes").astype("int8")[question_pos[rows]]
    probability = forecasts["probability"].to_numpy(dtype="float64")[rows]

    out = forecasts[_KEPT].take(rows).reset_index(drop=True)
    out["resolved_at"] = pd.to_datetime(resolved_at, utc=True, unit="ns")
    out["outcome"] = outcome
    out["target"] = np.cumsum(new_target) - 1
    out["is_final"] = is_final
    out["squared_error"] = brier_score(probability, outcome)
    out["held_seconds"] = (held_until - as_of) / 1e9
    return Scored(forecasts=out, questions=questions, researchers=tuple(researchers))


def target_scores(scored: Scored) -> pd.DataFrame:
    """One row per target with its final forecast and scores, in ``target`` order.

    The *final forecast* is the target's scored forecast with the latest ``as_of`` (at
    equal ``as_of`` the later ``recorded_at``, then the larger ``forecast_id``).

    * ``final``, ``brier`` ``(final − outcome)²``, ``log_score`` (clipped, see :func:`log_score`);
    * ``n_forecasts``: the target's scored forecasts, every update counted;
    * ``sum_squared_error``: Σ (p − outcome)² over them (what ``brier_all`` pools);
    * ``brier_time_averaged``: ∫ (p(t) − outcome)² dt / (resolved_at − first_as_of), from the
      first scored forecast's ``as_of`` to resolution, ``p(t)`` the latest forecast at ``t``
      (a step function; durations in exact nanoseconds, no day rounding).  A target with a
      single forecast gets its squared error.

    Columns: target, researcher, question_id, question, level, resolved_at, outcome,
    first_as_of, final, n_forecasts, brier, log_score, sum_squared_error, brier_time_averaged.
    """
    fc = scored.forecasts
    target = fc["target"].to_numpy(dtype="int64")
    n_targets = int(target[-1]) + 1 if len(target) else 0
    squared = fc["squared_error"].to_numpy(dtype="float64")
    held = fc["held_seconds"].to_numpy(dtype="float64")
    is_final = fc["is_final"].to_numpy(dtype="bool")
    first = np.flatnonzero(np.concatenate([[True], is_final[:-1]]) if len(target) else is_final)

    out = fc.loc[is_final, ["target", "researcher", "question_id", "level", "resolved_at"]]
    out = out.reset_index(drop=True)
    titles = scored.questions["question"].to_numpy(dtype="object")
    position = pd.Index(scored.questions["question_id"]).get_indexer(out["question_id"])
    out.insert(3, "question", pd.Series(titles[position], dtype="object"))
    outcome = fc["outcome"].to_numpy()[is_final]
    final = fc["probability"].to_numpy(dtype="float64")[is_final]
    out["outcome"] = outcome
    out["first_as_of"] = pd.to_datetime(_ns(fc["as_of"])[first], utc=True, unit="ns")
    out["final"] = final
    out["n_forecasts"] = np.bincount(target, minlength=n_targets).astype("int64")
    out["brier"] = brier_score(final, outcome)
    out["log_score"] = log_score(final, outcome)
    out["sum_squared_error"] = np.bincount(target, weights=squared, minlength=n_targets)
    weighted = np.bincount(target, weights=squared * held, minlength=n_targets)
    out["brier_time_averaged"] = weighted / np.bincount(target, weights=held, minlength=n_targets)
    return out


def researcher_scores(targets: pd.DataFrame, *, pooled: bool = False) -> pd.DataFrame:
    """Scores per researcher (sorted by handle), or one pooled row of every target.

    * ``n_targets``; ``n_forecasts`` (every scored update of those targets);
    * ``brier``, ``log_score``, ``brier_time_averaged``: means over targets;
    * ``brier_all``: mean of ``(p − outcome)²`` over every scored forecast, each update counted.

    ``pooled=True`` gives one row, ``researcher == ALL_RESEARCHERS``, pooling every target
    of every researcher (not a mean of researcher means).

    Columns: researcher, n_targets, n_forecasts, brier, log_score, brier_all, brier_time_averaged.
    """
    group = ALL_RESEARCHERS if pooled else targets["researcher"]
    table = (
        targets.assign(researcher=pd.Series(group, index=targets.index, dtype="object"))
        .groupby("researcher", sort=True)
        .agg(
            n_targets=("target", "size"),
            n_forecasts=("n_forecasts", "sum"),
            brier=("brier", "mean"),
            log_score=("log_score", "mean"),
            sum_squared_error=("sum_squared_error", "sum"),
            brier_time_averaged=("brier_time_averaged", "mean"),
        )
    )
    table["brier_all"] = table["sum_squared_error"] / table["n_forecasts"]
    table = table.reset_index()[["researcher", *SCORE_COLUMNS]]
    return table.astype({"researcher": "object", "n_targets": "int64", "n_forecasts": "int64"})


_COUNTS = {"n", "n_targets", "n_forecasts"}


def _plain(row: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """``row`` restricted to ``columns`` with numpy scalars turned into int/float."""
    return {c: int(row[c]) if c in _COUNTS else float(row[c]) for c in columns}


def score_report(
    frames: Frames, include_reconstructed: bool = False, *, scope: Scope | None = None
) -> dict[str, Any]:
    """The scores as plain JSON-ready data (``credence scores --json``).

    ``{"researchers": [{"researcher", "n_targets", "n_forecasts", "brier", "log_score",
    "brier_all", "brier_time_averaged", "calibration": [{"bucket", "n", "mean_forecast",
    "observed"}, ...]}, ...], "overall": {the same keys without "researcher"}}``

    Which forecasts count: :func:`select_scored`; per-target definitions:
    :func:`target_scores`; means and pooling: :func:`researcher_scores`; buckets:
    :func:`models.analysis.calibration.calibration_table`.  Researchers with no scored target are
    left out; the rest are sorted by handle.  ``overall`` pools every target of every
    researcher; with nothing scored the report is ``{"researchers": [], "overall": None}``.
    Values are Python ints and floats (never NaN or infinite).
    """
    return report_of_targets(
        target_scores(select_scored(frames, scope, include_reconstructed=include_reconstructed))
    )


def report_of_targets(targets: pd.DataFrame) -> dict[str, Any]:
    """:func:`score_report` from per-target scores already computed (:func:`target_scores`' columns)."""
    if targets.empty:
        return {"researchers": [], "overall": None}
    bucket_columns = ["bucket", "n", "mean_forecast", "observed"]
    calibration: dict[str, list[dict[str, Any]]] = {}
    for row in calibration_table(targets).to_dict("records"):
        calibration.setdefault(row["researcher"], []).append(_plain(row, bucket_columns))
    researchers = [
        {
            "researcher": str(row["researcher"]),
            **_plain(row, SCORE_COLUMNS),
            "calibration": calibration[row["researcher"]],
        }
        for row in researcher_scores(targets).to_dict("records")
    ]
    overall = {
        **_plain(researcher_scores(targets, pooled=True).to_dict("records")[0], SCORE_COLUMNS),
        "calibration": [
            _plain(row, bucket_columns) for row in calibration_table(targets, pooled=True).to_dict("records")
        ],
    }
    return {"researchers": researchers, "overall": overall}


def coverage(scored: Scored) -> pd.DataFrame:
    """Per researcher, the share of resolved questions they had a scored target on.

    ``n_resolved`` is the number of questions resolved yes or no inside the selection's tags
    and dates (``scored.questions``); ``n_questions`` the distinct questions among the
    researcher's scored targets; ``coverage = n_questions / n_resolved``.  Every researcher
    with a forecast in scope appears, with 0 when nothing of theirs was scored.

    Columns: researcher, n_questions, n_resolved, coverage; sorted by researcher.
    """
    finals = scored.forecasts.loc[scored.forecasts["is_final"], ["researcher", "question_id"]]
    counts = finals.drop_duplicates().groupby("researcher").size()
    counts = counts.reindex(pd.Index(scored.researchers, dtype="object"), fill_value=0)
    n_resolved = len(scored.questions)
    table = pd.DataFrame(
        {
            "researcher": pd.Series(scored.researchers, dtype="object"),
            "n_questions": counts.to_numpy(dtype="int64"),
            "n_resolved": n_resolved,
        }
    )
    table["coverage"] = table["n_questions"] / n_resolved if n_resolved else np.nan
    return table
