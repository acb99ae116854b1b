"""Update histories: how each researcher's estimates moved, why, and how far apart they are.

Pure, vectorized functions of :class:`models.frames.Frames`; filter first, then compute.

Conventions
-----------
* An *update* is a forecast that has a *from*: the previous forecast of the same target
  ``(researcher, question_id, level)`` in forecast order ``(as_of, recorded_at, forecast_id)``
  among those recorded no later than it (what was on record when it was written; see
  :mod:`models.analysis.record`).  A target's first forecast is not an update (its changes
  are NaN), and a reconstruction entered later never changes the *from* of a record.
* Changes are ``to − from``: in percentage points ``100 · (p₁ − p₀)`` and in natural log-odds
  ``logit(p₁) − logit(p₀)``, with probabilities clipped to [0.001, 0.999] before the logit, so
  a move from 0 % to 100 % is +13.8 log-odds, never infinite.
* An update *has a reason* when its rationale is not blank or it links evidence.
* Filters: ``question_ids``, ``researchers`` and ``levels`` (capability level names; ``None``
  in the list keeps unconditional forecasts) select whole targets before anything is computed;
  ``None`` as the filter itself keeps everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from models.analysis.record import previous_on_record
from models.analysis.trajectory import TARGET, Times, evidence_for, select_forecasts, value_at
from models.format import logit, utc
from models.frames import Frames

UPDATE_COLUMNS = [
    "forecast_id", "researcher", "question_id", "question", "level", "as_of", "recorded_at",
    "reconstructed", "rationale", "previous_forecast_id", "previous_as_of", "from_probability",
    "to_probability", "change_points", "change_log_odds", "has_reason", "evidence", "evidence_ids",
    "n_evidence",
]  # fmt: skip
DIRECTIONS = ["raised", "lowered", "no_change", "unstated"]


def updates(
    frames: Frames,
    question_ids: Iterable[int] | None = None,
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
) -> pd.DataFrame:
    """Every forecast next to the estimate it updated, in forecast order.

    The *from* of a forecast is what its researcher had on record when it was recorded: the
    previous forecast of its target by ``as_of`` among those recorded no later than it (see
    :mod:`models.analysis.record`).  A reconstruction entered later for an earlier date is a
    row of its own and changes no other row's *from*.

    Columns: ``forecast_id, researcher, question_id, question, level, as_of, recorded_at,
    reconstructed, rationale``; ``previous_forecast_id`` (nullable) and ``previous_as_of``;
    ``from_probability`` (NaN for a target's first forecast), ``to_probability``;
    ``change_points = 100 · (to − from)``; ``change_log_odds = logit(to) − logit(from)``
    (natural log, both clipped to [0.001, 0.999]); ``has_reason`` (rationale not blank or
    evidence linked); ``evidence`` text (``"Paper X (lowered); Result Y (raised)"``),
    ``evidence_ids`` and ``n_evidence``.  ``levels`` keeps only those targets (``None`` in it
    keeps the unconditional ones); each target is complete, so its changes are unaffected.
    """
    d = select_forecasts(frames, question_ids, researchers, levels)
    # The update rule (models.analysis.record): the previous estimate by as_of among those
    # recorded no later than this one, so a reconstruction entered later changes no update.
    prev = previous_on_record(d)
    has = prev >= 0
    previous = d[["forecast_id", "as_of", "probability"]].iloc[np.where(has, prev, 0)].set_axis(d.index)
    previous = previous.where(pd.Series(has, index=d.index), axis=0)
    ev = evidence_for(frames, d["forecast_id"]).reindex(d["forecast_id"]).set_axis(d.index)
    rationale = d["rationale"].fillna("").astype(str).str.strip()
    out = d.assign(
        previous_forecast_id=previous["forecast_id"].astype("Int64"),
        previous_as_of=previous["as_of"],
        from_probability=previous["probability"],
        to_probability=d["probability"],
        change_points=100.0 * (d["probability"] - previous["probability"]),
        change_log_odds=logit(d["probability"]) - logit(previous["probability"]),
        has_reason=(rationale != "").to_numpy() | (ev["n_evidence"] > 0).to_numpy(),
        evidence=ev["evidence"],
        evidence_ids=ev["evidence_ids"],
        n_evidence=ev["n_evidence"],
    )
    return out[UPDATE_COLUMNS].reset_index(drop=True)


def update_statistics(
    frames: Frames,
    researchers: Iterable[str] | None = None,
    question_ids: Iterable[int] | None = None,
    now: datetime | pd.Timestamp | str | None = None,
    levels: Iterable[str | None] | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per researcher who made a forecast in the selection: how they update.

    * ``n_forecasts``; ``n_updates`` (forecasts with a previous one in the same target).
    * ``mean_abs_change_points``, ``mean_abs_change_log_odds``: mean ``|change|`` over updates
      (NaN with no updates; log-odds finite even for moves to or from 0 % and 100 %).
    * ``largest_update_points``: the signed change of largest ``|change_points|`` (earliest on
      ties), with its ``largest_update_question_id``, ``largest_update_question``,
      ``largest_update_level``, ``largest_update_as_of``, ``largest_update_evidence`` (text) and
      ``largest_update_rationale``.
    * ``total_movement_points`` = Σ ``|change_points|`` over updates; ``net_movement_points`` =
      Σ over targets of ``100 · (last − first)``.  A zig-zag has a large total and a small net.
    * ``share_with_reason``: share of updates that have a reason (NaN with no updates).
    * ``days_since_last_update``: days from the latest ``as_of`` of any of their forecasts
      to ``now`` (default: the current time).

    ``history`` is :func:`updates` of the same selection when the caller has it already.
    """
    u = updates(frames, question_ids, researchers, levels) if history is None else history
    now_ts = utc(now)
    by_researcher = u.groupby("researcher", sort=True)
    out = pd.DataFrame({"n_forecasts": by_researcher.size().astype("int64")})
    idx = out.index
    rev = u[u["from_probability"].notna()].assign(
        _abs_points=lambda x: x["change_points"].abs(), _abs_log_odds=lambda x: x["change_log_odds"].abs()
    )
    g = rev.groupby("researcher", sort=True)
    out["n_updates"] = g.size().reindex(idx, fill_value=0).astype("int64")
    out["mean_abs_change_points"] = g["_abs_points"].mean().reindex(idx)
    out["mean_abs_change_log_odds"] = g["_abs_log_odds"].mean().reindex(idx)

    largest = rev.sort_values(["_abs_points", "as_of"], ascending=[False, True], kind="stable")
    largest = largest.drop_duplicates("researcher").set_index("researcher").reindex(idx)
    for column, source in [
        ("largest_update_points", "change_points"),
        ("largest_update_question_id", "question_id"),
        ("largest_update_question", "question"),
        ("largest_update_level", "level"),
        ("largest_update_as_of", "as_of"),
        ("largest_update_evidence", "evidence"),
        ("largest_update_rationale", "rationale"),
    ]:
        out[column] = largest[source]
    out["largest_update_question_id"] = out["largest_update_question_id"].astype("Int64")

    out["total_movement_points"] = g["_abs_points"].sum().reindex(idx, fill_value=0.0)
    ends = u.groupby(TARGET, dropna=False, sort=False).agg(
        first=("to_probability", "first"), last=("to_probability", "last")
    )
    net = (100.0 * (ends["last"] - ends["first"])).groupby(level="researcher").sum()
    out["net_movement_points"] = net.reindex(idx, fill_value=0.0)
    out["share_with_reason"] = g["has_reason"].mean().reindex(idx)
    out["days_since_last_update"] = (now_ts - by_researcher["as_of"].max()).dt.total_seconds() / 86400.0
    return out.reset_index()


def _spread(standing: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Spread statistics per ``keys`` of a standing frame (one row per target and time)."""
    s = standing[standing["probability"].notna()]
    # The title and the scale position follow from question_id and level: grouping on fewer
    # (and integer) keys is much faster, and each target is one researcher, so counting the
    # rows of a group counts its researchers.
    by = [k for k in keys if k not in ("question", "level_position")]
    g = s.assign(_lo=logit(s["probability"])).groupby(by, dropna=False, sort=True)
    out = pd.DataFrame(
        {
            "n_researchers": g.size().astype("int64"),
            "min_probability": g["probability"].min(),
            "max_probability": g["probability"].max(),
            "median_probability": g["probability"].median(),
            "std_log_odds": g["_lo"].std(ddof=0),
        }
    )
    out.insert(3, "spread_points", 100.0 * (out["max_probability"] - out["min_probability"]))
    first = g[[k for k in keys if k not in by]].first()  # same groups, same order as ``out``
    for column in first.columns:
        out[column] = first[column].to_numpy()
    out = out.reset_index()
    out["level"] = out["level"].astype("object").where(out["level"].notna(), None)
    return out[[*keys, *[c for c in out.columns if c not in keys]]]


def disagreement(
    frames: Frames,
    question_ids: Iterable[int] | None = None,
    researchers: Iterable[str] | None = None,
    at: datetime | pd.Timestamp | str | None = None,
    levels: Iterable[str | None] | None = None,
) -> pd.DataFrame:
    """How far apart the researchers' standing estimates are, per question and level, at ``at``.

    The standing estimate of a target is its last forecast with ``as_of <= at`` (default: all
    forecasts).  Columns: ``question_id, question, level, level_position, n_researchers,
    min_probability, max_probability, spread_points = 100 · (max − min), median_probability,
    std_log_odds`` (population standard deviation, ddof 0, of natural log-odds with
    probabilities clipped to [0.001, 0.999]; 0 for a single researcher), ``at``.
    Sorted by ``spread_points``, widest first.
    """
    d = select_forecasts(frames, question_ids, researchers, levels)
    at_ts = utc(at) if at is not None else None
    if at_ts is not None:
        d = d[d["as_of"] <= at_ts]
    standing = d.drop_duplicates(TARGET, keep="last")
    out = _spread(standing, ["question_id", "question", "level", "level_position"])
    out["at"] = pd.Series(at_ts, index=out.index, dtype="datetime64[ns, UTC]")
    return out.sort_values(
        ["spread_points", "question_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def spread_over_time(
    frames: Frames,
    question_id: int,
    dates: Times | None = None,
    researchers: Iterable[str] | None = None,
) -> pd.DataFrame:
    """:func:`disagreement` of one question at each of ``dates``: convergence or divergence.

    One row per (level, date) with at least one standing estimate; ``time`` holds the date.
    Without ``dates``, the spread is taken at every ``as_of`` of the selected forecasts, the
    only times it can change (see :func:`spread_history`).
    """
    if dates is None:
        return spread_history(frames, [question_id], researchers)
    d = select_forecasts(frames, [question_id], researchers)
    standing = value_at(d, dates)
    return _spread(standing, ["question_id", "question", "level", "level_position", "time"])


def spread_history(
    frames: Frames,
    question_ids: Iterable[int] | None = None,
    researchers: Iterable[str] | None = None,
    until: datetime | pd.Timestamp | str | None = None,
    levels: Iterable[str | None] | None = None,
) -> pd.DataFrame:
    """The spread of :func:`disagreement` at every time it changes, per question and level.

    The times of a question are the ``as_of`` of its forecasts up to ``until`` (default: all),
    plus ``until`` itself, so the last row of each (question, level) is its spread then.
    Columns as :func:`disagreement` with ``time`` in place of ``at``, ordered by time.
    """
    d = select_forecasts(frames, question_ids, researchers, levels)
    keys = ["question_id", "question", "level", "level_position", "time"]
    if until is not None:
        until_ts = utc(until)
        d = d[d["as_of"] <= until_ts]
    times = d[["question_id", "as_of"]].rename(columns={"as_of": "time"})
    if until is not None:
        ends = pd.DataFrame({"question_id": d["question_id"].unique(), "time": until_ts})
        times = pd.concat([times, ends], ignore_index=True)
    if d.empty:
        return _spread(value_at(d, pd.DataFrame({"question_id": [], "time": []})), keys)
    return _spread(value_at(d, times), keys)


#: Trend of :func:`convergence`.
CONVERGED, DIVERGED, STEADY = "converged", "diverged", "about the same"


def convergence(history: pd.DataFrame, tolerance_points: float = 5.0) -> pd.DataFrame:
    """Did the researchers converge or diverge on each question (and level)?

    ``history`` is :func:`spread_history` (up to the date of interest); only the times when at
    least two researchers had a standing estimate count.  Per (question, level): ``since`` (the
    first such time) and ``spread_then_points`` (the spread ``100 · (max − min)`` then),
    ``spread_now_points`` (at the last time of the history), ``change_points = now − then``,
    ``peak_points`` and ``peak_at`` (the widest spread and when it was first reached),
    ``n_researchers`` (now) and ``trend``: ``"converged"`` when the spread shrank by at least
    ``tolerance_points``, ``"diverged"`` when it grew by at least that much, else ``"about
    the same"``.  A (question, level) never shared by two researchers has no row.  Sorted by
    ``|change_points|``, largest first, then by question id.
    """
    h = history[history["n_researchers"] >= 2].sort_values("time", kind="stable")
    # One integer per (question, level): first, last and widest rows by drop_duplicates on it.
    h = h.assign(_key=h.groupby(["question_id", "level"], dropna=False, sort=False).ngroup())
    first = h.drop_duplicates("_key").set_index("_key")
    last = h.drop_duplicates("_key", keep="last").set_index("_key").reindex(first.index)
    peaks = h.sort_values(["spread_points", "time"], ascending=[False, True], kind="stable")
    peak = peaks.drop_duplicates("_key").set_index("_key").reindex(first.index)
    out = first[["question_id", "question", "level", "level_position"]].assign(
        since=first["time"],
        spread_then_points=first["spread_points"],
        spread_now_points=last["spread_points"],
        n_researchers=last["n_researchers"].astype("int64"),
        peak_points=peak["spread_points"],
        peak_at=peak["time"],
    )
    out["change_points"] = out["spread_now_points"] - out["spread_then_points"]
    change = out["change_points"].round(9)  # 100 · (0.20 − 0.15) is 5.000000000000002
    out["trend"] = np.select(
        [change <= -tolerance_points, change >= tolerance_points],
        [CONVERGED, DIVERGED],
        STEADY,
    ).astype("object")
    out = out.reset_index(drop=True)
    out["level"] = out["level"].astype("object").where(out["level"].notna(), None)
    out = out.assign(_abs=out["change_points"].abs()).sort_values(
        ["_abs", "question_id"], ascending=[False, True], kind="stable"
    )
    columns = ["question_id", "question", "level", "level_position", "trend", "change_points",
               "spread_then_points", "since", "spread_now_points", "n_researchers", "peak_points", "peak_at"]  # fmt: skip
    return out[columns].reset_index(drop=True)


def evidence_impact(
    frames: Frames,
    question_ids: Iterable[int] | None = None,
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each evidence item × researcher: how the forecasts citing it moved.

    Columns: ``evidence_id, evidence, researcher, n_citing`` (forecasts linking the item),
    ``n_updates`` (those that are updates), ``n_raised, n_lowered, n_no_change, n_unstated``
    (stated directions of the links), ``sum_change_points`` and ``sum_change_log_odds`` (sums of
    the citing updates' changes; a target's first forecast adds nothing).  ``history`` is
    :func:`updates` of the same selection when the caller has it already.
    """
    u = updates(frames, question_ids, researchers, levels) if history is None else history
    links = frames.evidence_links
    m = links[links["forecast_id"].isin(u["forecast_id"])].merge(
        u[["forecast_id", "researcher", "from_probability", "change_points", "change_log_odds"]],
        on="forecast_id",
    )
    direction = m["direction"].fillna("unstated")
    counts = pd.get_dummies(direction).reindex(columns=DIRECTIONS, fill_value=False).astype("int64")
    m = pd.concat([m, counts.add_prefix("n_")], axis=1).assign(_is_update=m["from_probability"].notna())
    g = m.groupby(["evidence_id", "researcher"], sort=True)
    out = pd.DataFrame(
        {
            "evidence": g["evidence"].first(),
            "n_citing": g.size().astype("int64"),
            "n_updates": g["_is_update"].sum().astype("int64"),
            **{f"n_{d}": g[f"n_{d}"].sum().astype("int64") for d in DIRECTIONS},
            "sum_change_points": g["change_points"].sum(),
            "sum_change_log_odds": g["change_log_odds"].sum(),
        }
    ).reset_index()
    titles = frames.evidence.drop_duplicates("evidence_id").set_index("evidence_id")["evidence"]
    known = titles.reindex(out["evidence_id"]).to_numpy()
    out["evidence"] = np.where(pd.notna(known), known, out["evidence"])
    return out[["evidence_id", "evidence", *[c for c in out.columns if c not in ("evidence_id", "evidence")]]]
