"""Belief trajectories: a question's dated estimates as step functions of time.

All functions are pure and vectorized over the frames of :mod:`models.frames`; they filter
first (question, researchers, levels) and compute on what is left.

Conventions
-----------
* A *target* is ``(researcher, question_id, level)``; ``level`` is ``None`` when unconditional.
* Forecasts of a target are ordered by ``(as_of, recorded_at, forecast_id)``.  A belief holds
  from its ``as_of`` until the next forecast of the same target: the *standing estimate* at
  time ``t`` is the last forecast with ``as_of <= t``, so at equal ``as_of`` the one recorded
  later wins, and before a target's first forecast there is none (NaN).
* Log-odds are natural: ``logit(p) = ln(p / (1 − p))``, with ``p`` clipped to [0.001, 0.999]
  first so that 0 % and 100 % give ±6.907 instead of infinities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from models.analysis.record import next_on_record
from models.format import expit, logit, utc
from models.frames import Frames, in_forecast_order

TARGET = ["researcher", "question_id", "level"]
#: Separator of "researcher · level" series labels.
SERIES_SEP = " · "
DIRECTION_TEXT = {"raised": " (raised)", "lowered": " (lowered)", "no_change": " (no change)"}

TRAJECTORY_COLUMNS = [
    "forecast_id", "question_id", "question", "researcher", "level", "level_position", "series",
    "probability", "log_odds", "as_of", "recorded_at", "segment_end", "segment_to", "reconstructed",
    "rationale", "evidence", "evidence_ids", "n_evidence",
]  # fmt: skip

Times: TypeAlias = datetime | pd.Timestamp | str | Iterable[datetime | pd.Timestamp | str] | pd.DataFrame


def series_label(researcher: pd.Series, level: pd.Series) -> pd.Series:
    """``researcher`` for unconditional forecasts, ``"researcher · level"`` for conditional ones."""
    conditional = level.notna()
    return researcher.where(~conditional, researcher + SERIES_SEP + level.where(conditional, ""))


def target_ids(df: pd.DataFrame) -> pd.Series:
    """An integer per target ``(researcher, question_id, level)`` of ``df``'s rows."""
    return df.groupby(TARGET, dropna=False, sort=False).ngroup()


def select_forecasts(
    frames: Frames,
    question_ids: Iterable[int] | None = None,
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
) -> pd.DataFrame:
    """The forecasts of ``question_ids`` by ``researchers`` at ``levels``, in forecast order.

    ``None`` means no filter; put ``None`` in ``levels`` to keep unconditional forecasts.
    """
    f = frames.forecasts
    mask = np.ones(len(f), dtype=bool)
    if question_ids is not None:
        mask &= f["question_id"].isin(list(question_ids)).to_numpy()
    if researchers is not None:
        mask &= f["researcher"].isin(list(researchers)).to_numpy()
    if levels is not None:
        mask &= f["level"].isin(list(levels)).to_numpy()
    return in_forecast_order(f[mask])


def frames_for(frames: Frames, question_ids: Iterable[int]) -> Frames:
    """``frames`` narrowed to ``question_ids``: their forecasts, the questions themselves, the
    evidence links of those forecasts and the question links touching them (the evidence
    catalogue and the capability scale stay whole).

    Every function here filters first, but each filter scans the whole frame; a view that
    calls several of them on the same questions narrows once instead.
    """
    wanted = list(question_ids)
    forecasts = frames.forecasts[frames.forecasts["question_id"].isin(wanted)]
    links = frames.links
    return Frames(
        forecasts=forecasts,
        questions=frames.questions[frames.questions["question_id"].isin(wanted)],
        evidence_links=frames.evidence_links[
            frames.evidence_links["forecast_id"].isin(forecasts["forecast_id"])
        ],
        evidence=frames.evidence,
        levels=frames.levels,
        links=links[links["source_question_id"].isin(wanted) | links["target_question_id"].isin(wanted)],
        conditionals=frames.conditionals,
        partitions=frames.partitions,
    )


def evidence_for(frames: Frames, forecast_ids: Iterable[int]) -> pd.DataFrame:
    """Per forecast id: ``evidence`` text, ``evidence_ids`` (tuple) and ``n_evidence``.

    The text lists the linked items with their stated direction, in link order, e.g.
    ``"Paper X (lowered); Result Y (raised)"``; a forecast without links gets ``""``, ``()``, 0.
    """
    ids = pd.Index(pd.unique(np.asarray(list(forecast_ids), dtype="int64")), name="forecast_id")
    links = frames.evidence_links
    links = links[links["forecast_id"].isin(ids)].sort_values("forecast_id", kind="stable")
    fid = links["forecast_id"].to_numpy()
    title = links["evidence"].where(
        links["evidence"].notna(), "evidence #" + links["evidence_id"].astype(str)
    )
    label = (title + links["direction"].map(DIRECTION_TEXT).fillna("")).to_numpy(dtype="object")
    # Join each forecast's labels with np.add.reduceat over object arrays (str and tuple
    # concatenation in C) rather than a Python-level groupby().agg per forecast.
    starts = np.flatnonzero(np.r_[True, fid[1:] != fid[:-1]]) if len(fid) else np.array([], dtype="int64")
    last = np.r_[fid[1:] != fid[:-1], True] if len(fid) else np.array([], dtype=bool)
    pieces = np.where(last, label, label + "; ")
    singles = np.empty(len(fid), dtype="object")
    singles[:] = list(zip(links["evidence_id"].tolist(), strict=True))
    owners = pd.Index(fid[starts], name="forecast_id")
    text = pd.Series(np.add.reduceat(pieces, starts) if len(fid) else [], index=owners, dtype="object")
    tuples = pd.Series(np.add.reduceat(singles, starts) if len(fid) else [], index=owners, dtype="object")
    count = pd.Series(np.diff(np.r_[starts, len(fid)]), index=owners, dtype="int64")
    tuples = tuples.reindex(ids)
    empty_tuples = pd.Series([()] * len(ids), index=ids, dtype="object")
    return pd.DataFrame(
        {
            "evidence": text.reindex(ids).fillna("").astype("object"),
            "evidence_ids": tuples.where(tuples.notna(), empty_tuples),
            "n_evidence": count.reindex(ids, fill_value=0),
        }
    )


def trajectories(
    frames: Frames,
    question_ids: Iterable[int],
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
    now: datetime | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """The points of several questions' trajectories (see :func:`trajectory`), one row per forecast."""
    df = select_forecasts(frames, question_ids, researchers, levels)
    now_ts = utc(now)
    questions = frames.questions.drop_duplicates("question_id").set_index("question_id")
    end = questions["resolved_at"].astype("datetime64[ns, UTC]").reindex(df["question_id"]).set_axis(df.index)
    end = end.where(end.notna() & (end < now_ts), now_ts).astype("datetime64[ns, UTC]")
    # Each step leads to the estimate that updated it by the update rule
    # (models.analysis.record), so a reconstruction entered later is a step of its own and
    # does not cut the line of the records around it.
    nxt = next_on_record(df)
    has = nxt >= 0
    take = np.where(has, nxt, 0)
    following = pd.Series(df["as_of"].array.take(take), index=df.index).where(has)
    segment_to = pd.array(df["forecast_id"].to_numpy()[take], dtype="Int64")
    segment_to[~has] = pd.NA
    segment_end = following.fillna(end)
    ev = evidence_for(frames, df["forecast_id"])
    out = df.assign(
        series=series_label(df["researcher"], df["level"]),
        log_odds=logit(df["probability"]),
        segment_end=segment_end.where(segment_end >= df["as_of"], df["as_of"]),
        segment_to=segment_to,
        evidence=ev["evidence"].reindex(df["forecast_id"]).to_numpy(),
        evidence_ids=ev["evidence_ids"].reindex(df["forecast_id"]).to_numpy(),
        n_evidence=ev["n_evidence"].reindex(df["forecast_id"]).to_numpy(),
    )
    return out[TRAJECTORY_COLUMNS].reset_index(drop=True)


def trajectory(
    frames: Frames,
    question_id: int,
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
    now: datetime | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """The points of one question's trajectory, one row per forecast in forecast order.

    Columns: ``forecast_id, question_id, question, researcher, level, level_position, series``
    (``researcher``, or ``"researcher · level"`` when conditional), ``probability``,
    ``log_odds`` (natural, ``p`` clipped to [0.001, 0.999]), ``as_of, recorded_at``,
    ``segment_end``, ``segment_to``, ``reconstructed, rationale``, ``evidence`` (tooltip text such as
    ``"Paper X (lowered); Result Y (raised)"``), ``evidence_ids`` (tuple), ``n_evidence``.

    ``segment_end`` is where the step drawn from this point stops and ``segment_to`` the
    forecast it leads to (nullable): the latest forecast whose *from* this one is by the
    update rule of :mod:`models.analysis.record` (for records written in date order, simply
    the next forecast of the target); for a forecast that is nobody's *from* (a
    reconstruction entered after the records around it), the next forecast of its target;
    with neither, ``now`` (default: the current time), or the question's ``resolved_at`` if
    it resolved before ``now``.  Never earlier than the point's own ``as_of``.
    """
    return trajectories(frames, [question_id], researchers, levels, now)


def _times_frame(times: Times) -> pd.DataFrame:
    if isinstance(times, pd.DataFrame):
        out = times[["question_id", "time"]].copy()
    elif isinstance(times, str | datetime) or not pd.api.types.is_list_like(times):
        out = pd.DataFrame({"time": [pd.Timestamp(times)]})
    else:
        out = pd.DataFrame({"time": pd.Series(list(times), dtype="object")})
    out["time"] = pd.to_datetime(out["time"], utc=True).astype("datetime64[ns, UTC]")
    return out.drop_duplicates().reset_index(drop=True)


def value_at(traj_or_forecasts: pd.DataFrame, times: Times) -> pd.DataFrame:
    """The standing estimate of every target of the input at each of ``times``.

    The input needs ``researcher, question_id, level, probability, as_of`` (a trajectory or a
    forecasts frame).  ``times`` is one time, a list of times, or a frame of
    ``(question_id, time)`` giving each question its own times.  The value of a target at ``t``
    is its last forecast with ``as_of <= t`` (a backward ``merge_asof``; at equal ``as_of`` the
    later recorded wins), so a forecast counts from its own ``as_of`` on; before the first
    forecast the value is NaN.

    Returns one row per (target, time): the target's columns (and ``question``,
    ``level_position``, ``series`` when present), ``time``, ``probability``, ``log_odds``,
    ``as_of``, ``forecast_id`` and ``reconstructed`` of the standing forecast.
    """
    t = _times_frame(times)
    d = in_forecast_order(traj_or_forecasts, ignore_index=True)
    if "series" not in d.columns:
        d["series"] = series_label(d["researcher"], d["level"])
    target = target_ids(d).to_numpy()
    static = [c for c in ("question", "level_position", "series") if c in d.columns]
    carried = [c for c in ("forecast_id", "reconstructed") if c in d.columns]
    targets = d.assign(_target=target).drop_duplicates("_target")[["_target", *TARGET, *static]]
    grid = _grid(targets, t)

    # A backward as-of lookup per target, in numpy: rank every time on one axis, so that
    # (target, rank) packs into one sortable integer, then one searchsorted finds for each
    # grid row the last forecast of its target with as_of <= time.  Within a target the
    # forecasts keep forecast order, so at equal as_of the later recorded one is found.
    by_target = np.argsort(target, kind="stable")
    as_of = _nanoseconds(d["as_of"])[by_target]
    when = _nanoseconds(grid["time"])
    axis = np.unique(np.concatenate([as_of, when]))
    width = len(axis) + 1
    keys = target[by_target] * width + np.searchsorted(axis, as_of)
    wanted = grid["_target"].to_numpy() * width + np.searchsorted(axis, when)
    hit = np.searchsorted(keys, wanted, side="right") - 1
    found = (hit >= 0) & (target[by_target][np.maximum(hit, 0)] == grid["_target"].to_numpy())
    rows = by_target[np.where(found, hit, 0)]

    out = grid.drop(columns="_target")
    out["probability"] = np.where(found, d["probability"].to_numpy("float64")[rows], np.nan)
    out["log_odds"] = logit(out["probability"])
    nat = np.iinfo(np.int64).min  # NaT as int64
    standing = np.where(found, _nanoseconds(d["as_of"])[rows], nat).view("datetime64[ns]")
    out["as_of"] = pd.DatetimeIndex(standing).tz_localize("UTC")
    if "forecast_id" in carried:
        out["forecast_id"] = pd.array(d["forecast_id"].to_numpy()[rows], dtype="Int64")
        out.loc[~found, "forecast_id"] = pd.NA
    if "reconstructed" in carried:
        out["reconstructed"] = pd.array(d["reconstructed"].to_numpy(dtype=bool)[rows], dtype="boolean")
        out.loc[~found, "reconstructed"] = pd.NA
    columns = [*TARGET, *static, "time", "probability", "log_odds", "as_of", *carried]
    return out[columns].reset_index(drop=True)


def _grid(targets: pd.DataFrame, t: pd.DataFrame) -> pd.DataFrame:
    """Every target (ids ``0..n−1`` in order) with each of its times, ordered by (target, time).

    With a ``question_id`` column in ``t`` a target gets its own question's times, else all.
    Built by index arithmetic rather than a merge and a sort of the product.
    """
    if "question_id" in t.columns:
        t = t.sort_values(["question_id", "time"], kind="stable")
        t_questions = t["question_id"].to_numpy()
        own = targets["question_id"].to_numpy()
        starts = np.searchsorted(t_questions, own, side="left")
        counts = np.searchsorted(t_questions, own, side="right") - starts
    else:
        t = t.sort_values("time", kind="stable")
        starts = np.zeros(len(targets), dtype="int64")
        counts = np.full(len(targets), len(t), dtype="int64")
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(targets)), counts)
    offset = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.repeat(starts, counts) + offset
    grid = targets.iloc[owner].reset_index(drop=True)
    grid["time"] = t["time"].astype("datetime64[ns, UTC]").array.take(rows)
    return grid


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """UTC times as int64 nanoseconds since the epoch."""
    return pd.DatetimeIndex(times.astype("datetime64[ns, UTC]")).asi8


def standing_at_changes(traj: pd.DataFrame) -> pd.DataFrame:
    """:func:`value_at` of a trajectory at each of its questions' own change times.

    The times of a question are every ``as_of`` of its forecasts plus the latest
    ``segment_end``, so the result spans the whole drawn trajectory.
    """
    times = pd.concat(
        [
            traj[["question_id", "as_of"]].rename(columns={"as_of": "time"}),
            traj.groupby("question_id", as_index=False)["segment_end"]
            .max()
            .rename(columns={"segment_end": "time"}),
        ]
    )
    return value_at(traj, times)


def _levels_position(frames: Frames, df: pd.DataFrame) -> pd.Series:
    scale = frames.levels.drop_duplicates("level").set_index("level")["position"]
    return df["level"].map(scale).fillna(df["level_position"]).astype("float64")


def capability_curve_over_time(
    frames: Frames,
    question_id: int,
    dates: Times,
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
) -> pd.DataFrame:
    """:func:`capability_curve` at each of ``dates``, stacked for a slider or an animation.

    Adds ``date_index`` (0 for the earliest date) and ``date_label`` (``YYYY-MM-DD``).
    """
    f = select_forecasts(frames, [question_id], researchers, levels)
    f = f[f["level"].notna()]
    v = value_at(f, dates).dropna(subset=["probability"]).rename(columns={"time": "at"})
    v["level_position"] = _levels_position(frames, v)
    order = pd.Index(_times_frame(dates)["time"].sort_values().unique())
    v["date_index"] = order.get_indexer(v["at"]).astype("int64")
    v["date_label"] = v["at"].dt.strftime("%Y-%m-%d")
    v = v.sort_values(["date_index", "researcher", "level_position"], kind="stable")
    columns = ["question_id", "question", "researcher", "level", "level_position", "at", "date_index",
               "date_label", "probability", "log_odds", "as_of", "forecast_id", "reconstructed"]  # fmt: skip
    return v[columns].reset_index(drop=True)


def capability_curve(
    frames: Frames,
    question_id: int,
    at: datetime | pd.Timestamp | str | None = None,
    researchers: Iterable[str] | None = None,
    levels: Iterable[str | None] | None = None,
) -> pd.DataFrame:
    """Each researcher's standing ``P(question | level)`` at ``at`` (default: now), per level.

    Only conditional forecasts count; a (researcher, level) without a forecast by ``at`` has no
    row.  ``level_position`` comes from the capability scale (``frames.levels``), so sorting
    by it orders the x axis; ``levels`` narrows the scale.  Columns as
    :func:`capability_curve_over_time`.
    """
    return capability_curve_over_time(frames, question_id, [utc(at)], researchers, levels)


def group_line(
    standing: pd.DataFrame,
    researchers: Iterable[str] | None = None,
    by: Sequence[str] = ("question_id", "question", "level", "time"),
) -> pd.DataFrame:
    """Per time (and question, level): the group's median and geometric mean of odds.

    ``standing`` is a :func:`value_at` / :func:`standing_at_changes` frame; targets without an
    estimate yet (NaN) are left out, and ``researchers`` narrows the group.
    ``median_probability`` is the median of the probabilities (the mean of the middle two
    for an even count).  ``geo_mean_odds_probability`` converts each probability (clipped to
    [0.001, 0.999]) to odds ``p / (1 − p)``, takes their geometric mean and converts back:
    ``o / (1 + o)``, which equals ``expit(mean(logit(p)))``.  ``n_researchers`` counts the
    estimates behind each row.
    """
    s = standing[standing["probability"].notna()]
    if researchers is not None:
        s = s[s["researcher"].isin(list(researchers))]
    keys = [c for c in by if c in s.columns]
    g = s.assign(_lo=logit(s["probability"])).groupby(keys, dropna=False, sort=True)
    out = pd.DataFrame(
        {
            "n_researchers": g.size().astype("int64"),
            "median_probability": g["probability"].median(),
            "geo_mean_odds_probability": expit(g["_lo"].mean()),
        }
    ).reset_index()
    if "level" in out.columns:
        out["level"] = out["level"].astype("object").where(out["level"].notna(), None)
    return out


def evidence_events(frames: Frames, traj: pd.DataFrame) -> pd.DataFrame:
    """The evidence items cited by a trajectory's forecasts, as events on its time axis.

    Columns: ``evidence_id, evidence, url, date`` (published date, or the first citing
    forecast's ``as_of`` when unknown), ``date_known``, ``n_citing``, ``cited_by`` (text such as
    ``"alice (raised); bob (lowered)"``).
    """
    links = frames.evidence_links
    links = links[links["forecast_id"].isin(traj["forecast_id"])]
    cites = links.merge(traj[["forecast_id", "series", "as_of"]], on="forecast_id")
    cites = cites.sort_values(["evidence_id", "as_of"], kind="stable")
    cites["_label"] = cites["series"] + cites["direction"].map(DIRECTION_TEXT).fillna("")
    g = cites.groupby("evidence_id", sort=True)
    out = pd.DataFrame(
        {
            "evidence": g["evidence"].first(),
            "first_cited": g["as_of"].min(),
            "n_citing": g.size().astype("int64"),
            "cited_by": g["_label"].agg("; ".join),
        }
    )
    catalogue = frames.evidence.drop_duplicates("evidence_id")[["evidence_id", "url", "published"]]
    out = out.reset_index().merge(catalogue, on="evidence_id", how="left")
    out["date_known"] = out["published"].notna()
    out["date"] = out["published"].fillna(out["first_cited"]).astype("datetime64[ns, UTC]")
    out["url"] = out["url"].astype("object").where(out["url"].notna(), None)
    return out[["evidence_id", "evidence", "url", "date", "date_known", "n_citing", "cited_by"]]


def resolution_of(frames: Frames, question_id: int) -> dict[str, Any] | None:
    """``{"resolved_at", "outcome", "resolution_level"}`` of a resolved question, else ``None``."""
    q = frames.questions[frames.questions["question_id"] == question_id]
    if q.empty or q["outcome"].iloc[0] is None or pd.isna(q["resolved_at"].iloc[0]):
        return None
    row = q.iloc[0]
    return {k: row[k] for k in ("resolved_at", "outcome", "resolution_level")}


# --- choosing what a view shows ------------------------------------------------------------


def researchers_of(frames: Frames, question_ids: Iterable[int] | None = None) -> list[str]:
    """Handles of everyone with a forecast on ``question_ids`` (all questions when ``None``), sorted."""
    f = frames.forecasts
    if question_ids is not None:
        f = f[f["question_id"].isin(list(question_ids))]
    return sorted(f["researcher"].dropna().unique().tolist())


def levels_of(frames: Frames, question_ids: Iterable[int] | None = None) -> list[str]:
    """Capability levels with a conditional forecast on ``question_ids``, in scale order."""
    f = frames.forecasts
    if question_ids is not None:
        f = f[f["question_id"].isin(list(question_ids))]
    f = f[f["level"].notna()]
    order = f.assign(_position=_levels_position(frames, f)).sort_values(["_position", "level"], kind="stable")
    return order["level"].drop_duplicates().tolist()


def level_choices(frames: Frames, question_ids: Iterable[int] | None = None) -> list[str | None]:
    """What a level filter offers: ``None`` (unconditional) first if ``question_ids`` have
    unconditional forecasts, then :func:`levels_of`."""
    f = frames.forecasts
    if question_ids is not None:
        f = f[f["question_id"].isin(list(question_ids))]
    unconditional: list[str | None] = [None] if f["level"].isna().any() else []
    return unconditional + levels_of(frames, question_ids)


def capability_dates(frames: Frames, question_id: int) -> list[date]:
    """The UTC days on which some conditional estimate of ``question_id`` was made, ascending.

    These are the days on which the capability curve can change: the steps of its date slider.
    """
    f = select_forecasts(frames, [question_id])
    days = f.loc[f["level"].notna(), "as_of"].dt.normalize().drop_duplicates().sort_values()
    return [d.date() for d in days]


def tagged_questions(frames: Frames, tag: str) -> list[int]:
    """Ids of the questions tagged ``tag``, ascending."""
    q = frames.questions
    return sorted(int(i) for i, tags in zip(q["question_id"], q["tags"], strict=True) if tag in tags)


@dataclass(frozen=True)
class QuestionChoice:
    """The questions a comparison shows: ``question_ids`` (ascending) out of ``matching``."""

    question_ids: list[int]
    matching: int

    @property
    def truncated(self) -> bool:
        return len(self.question_ids) < self.matching


def choose_questions(
    frames: Frames,
    tag: str | None = None,
    question_ids: Iterable[int] | None = None,
    limit: int = 24,
    default: int = 6,
) -> QuestionChoice:
    """The questions to compare: those of ``question_ids`` if given, else those tagged ``tag``,
    else the ``default`` questions that the most researchers forecast.

    Unknown ids are dropped.  When more than ``limit`` questions match, the ``limit`` with the
    most researchers (then the most forecasts, then the lowest id) are kept; ``matching``
    says how many matched, so a page can say what it left out.
    """
    q = frames.questions
    if question_ids is not None:
        wanted = set(question_ids)
        candidates = q.loc[q["question_id"].isin(wanted), "question_id"]
        cap = limit
    elif tag:
        candidates = pd.Series(tagged_questions(frames, tag), dtype="int64")
        cap = limit
    else:
        candidates = q["question_id"]
        cap = min(default, limit)
    f = frames.forecasts
    if question_ids is not None or tag:
        f = f[f["question_id"].isin(candidates)]
    g = f.groupby("question_id")
    ranked = pd.DataFrame({"researchers": g["researcher"].nunique(), "forecasts": g.size()}).reindex(
        candidates.unique(), fill_value=0
    )
    ranked = ranked.rename_axis("question_id").reset_index()
    ranked = ranked.sort_values(["researchers", "forecasts", "question_id"], ascending=[False, False, True])
    if question_ids is None and not tag:
        ranked = ranked[ranked["forecasts"] > 0]
        matching = min(len(ranked), cap)
    else:
        matching = len(ranked)
    chosen = sorted(int(i) for i in ranked["question_id"].head(cap))
    return QuestionChoice(question_ids=chosen, matching=matching)
