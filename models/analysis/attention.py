"""What needs a researcher's attention today: the home page's lists, as pure functions.

Inputs are the frames of ``models.frames`` (forecasts in forecast order
``(as_of, recorded_at, forecast_id)``, questions) and ``now``; nothing here reads a database.

Conventions
-----------
* A *target* is ``(researcher, question_id, level)``; its *standing estimate* is its last
  forecast in forecast order.
* A target was *revisited* at the latest ``as_of`` of its forecasts: reaffirming an estimate
  (the same value again, as of today) counts; a reconstruction dated in the past does not
  move it.
* **Due for review**: an open question's target whose last revisit is more than its interval
  ago: ``(now − last as_of) > interval`` in days, where the interval is the question's
  ``review_every_days`` when set, else ``default_days`` (90; Fatebook nudges after 14).
  Exactly the interval ago is not yet due.
* **Due for resolution**: an open question (no outcome) whose ``resolve_by`` is at or before
  ``now``.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import pandas as pd

from models.analysis.decomposition import inconsistencies, linked_forecasts
from models.analysis.record import TARGET, from_on_record
from models.format import format_percent, plural, utc
from models.frames import Frames, in_forecast_order

#: The default review interval in days.
DEFAULT_REVIEW_DAYS = 90
#: How far back "recent" reaches for colleagues' updates, in days.
RECENT_DAYS = 30

STANDING_COLUMNS = [
    "question_id", "question", "level", "level_position", "probability", "as_of", "forecast_id",
    "from_probability", "change_points", "reconstructed",
]  # fmt: skip
DUE_COLUMNS = [
    "researcher", "question_id", "question", "level", "probability", "as_of", "days_since",
    "interval_days", "days_overdue", "forecast_id",
]  # fmt: skip
RESOLUTION_COLUMNS = ["question_id", "question", "resolve_by", "days_overdue"]
COLLEAGUE_COLUMNS = [
    "researcher", "question_id", "question", "level", "as_of", "recorded_at", "from_probability",
    "probability", "change_points", "reconstructed", "rationale", "forecast_id",
]  # fmt: skip


def _open_question_ids(questions: pd.DataFrame) -> pd.Index:
    return pd.Index(questions.loc[questions["outcome"].isna(), "question_id"])


def standing_estimates(forecasts: pd.DataFrame, researcher: str) -> pd.DataFrame:
    """``researcher``'s standing estimate of every question and level, with its last change.

    One row per target: the last forecast in forecast order (``probability, as_of,
    forecast_id, reconstructed``), its ``from_probability`` by the update rule of
    :mod:`models.analysis.record` (NaN for a first estimate) and
    ``change_points = 100 · (probability − from)``.  Ordered by question id, then level
    position (unconditional first).
    """
    mine = from_on_record(forecasts[forecasts["researcher"] == researcher])
    last = mine.drop_duplicates(TARGET, keep="last")
    last = last.assign(change_points=100.0 * (last["probability"] - last["from_probability"]))
    last = last.sort_values(["question_id", "level_position"], kind="stable", na_position="first")
    return last[STANDING_COLUMNS].reset_index(drop=True)


def due_for_review(
    forecasts: pd.DataFrame,
    questions: pd.DataFrame,
    now: datetime | pd.Timestamp | str | None = None,
    researcher: str | None = None,
    default_days: float = DEFAULT_REVIEW_DAYS,
) -> pd.DataFrame:
    """Targets on open questions not revisited for longer than their review interval.

    Per target (of ``researcher``, or everyone's): the standing ``probability`` and
    ``forecast_id``, ``as_of`` = the latest ``as_of`` of its forecasts (the last revisit),
    ``days_since = (now − as_of)`` in days, ``interval_days`` (the question's
    ``review_every_days`` when the frame has it and it is set, else ``default_days``) and
    ``days_overdue = days_since − interval_days``.  Only rows with ``days_overdue > 0``;
    most overdue first, then researcher and question id.
    """
    now_ts = utc(now)
    f = forecasts if researcher is None else forecasts[forecasts["researcher"] == researcher]
    f = in_forecast_order(f[f["question_id"].isin(_open_question_ids(questions))])
    last = f.drop_duplicates(TARGET, keep="last")
    revisited = f.groupby(TARGET, dropna=False, sort=False)["as_of"].max()
    key = pd.MultiIndex.from_frame(last[TARGET])
    as_of = revisited.reindex(key).to_numpy()
    interval = pd.Series(float(default_days), index=last.index)
    if "review_every_days" in questions.columns:
        per_question = questions.drop_duplicates("question_id").set_index("question_id")["review_every_days"]
        own = pd.to_numeric(last["question_id"].map(per_question), errors="coerce")
        interval = own.where(own.notna() & (own > 0), float(default_days)).astype("float64")
    out = last.assign(as_of=pd.DatetimeIndex(as_of).tz_convert("UTC") if len(last) else last["as_of"])
    out["days_since"] = (now_ts - out["as_of"]).dt.total_seconds() / 86400.0
    out["interval_days"] = interval
    out["days_overdue"] = out["days_since"] - out["interval_days"]
    out = out[out["days_overdue"] > 0]
    out = out.sort_values(["days_overdue", "researcher", "question_id"], ascending=[False, True, True])
    return out[DUE_COLUMNS].reset_index(drop=True)


def due_for_resolution(
    questions: pd.DataFrame, now: datetime | pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """Open questions whose ``resolve_by`` is at or before ``now``, longest overdue first.

    Columns ``question_id, question, resolve_by, days_overdue = (now − resolve_by)`` in days.
    """
    now_ts = utc(now)
    q = questions[questions["outcome"].isna() & questions["resolve_by"].notna()]
    q = q[q["resolve_by"] <= now_ts]
    q = q.assign(days_overdue=(now_ts - q["resolve_by"]).dt.total_seconds() / 86400.0)
    q = q.sort_values(["resolve_by", "question_id"], kind="stable")
    return q[RESOLUTION_COLUMNS].reset_index(drop=True)


def colleague_updates(
    forecasts: pd.DataFrame,
    researcher: str,
    now: datetime | pd.Timestamp | str | None = None,
    days: float = RECENT_DAYS,
) -> pd.DataFrame:
    """Colleagues' recent estimates on the questions ``researcher`` also forecasts.

    Every forecast by another researcher on a question ``researcher`` has a forecast of,
    recorded within ``days`` before ``now`` (``now − days <= recorded_at <= now``), with its
    ``from_probability`` by the update rule of :mod:`models.analysis.record` and
    ``change_points = 100 · (probability − from)`` (NaN for a first estimate).  Newest
    recorded first.
    """
    now_ts = utc(now)
    shared = forecasts.loc[forecasts["researcher"] == researcher, "question_id"].unique()
    others = forecasts[(forecasts["researcher"] != researcher) & forecasts["question_id"].isin(shared)]
    # The update rule needs each target's whole history, so filter by time afterwards.
    u = from_on_record(others)
    u = u.assign(change_points=100.0 * (u["probability"] - u["from_probability"]))
    recent = (u["recorded_at"] <= now_ts) & (u["recorded_at"] >= now_ts - pd.Timedelta(days=days))
    u = u[recent].sort_values(["recorded_at", "forecast_id"], ascending=[False, False], kind="stable")
    return u[COLLEAGUE_COLUMNS].reset_index(drop=True)


#: Columns of :func:`linked_inconsistencies` (those of the decomposition check).
INCONSISTENCY_COLUMNS = [
    "researcher", "level", "question", "given", "implied", "direct", "difference_points",
    "consistent", "reconstructed_inputs", "problem",
]  # fmt: skip


def linked_inconsistencies(
    frames: object, researcher: str, now: datetime | pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """``researcher``'s linked beliefs that do not add up at ``now``, largest gap first.

    The home page's slot for the decomposition check of linked questions: one row per
    decomposition whose direct estimate is more than the threshold from the one its parts
    imply (columns :data:`INCONSISTENCY_COLUMNS`), as
    :func:`models.analysis.decomposition.inconsistencies` finds them on ``now``'s date (UTC)
    at the default threshold.
    """
    view = inconsistencies(linked_forecasts(cast(Frames, frames)), cast(Frames, frames).questions,
                           cast(Frames, frames).partitions, utc(now).date())  # fmt: skip
    return view[view["researcher"] == researcher][INCONSISTENCY_COLUMNS].reset_index(drop=True)


def review_lines(due: pd.DataFrame) -> list[str]:
    """:func:`due_for_review` as lines of text, one per estimate, e.g. ``"teal_heron · Q
    (3x AI R&D): 4% as of 2024-06-15, 534 days ago (review every 90 days)"``; the level is left
    out for an unconditional estimate, and days are whole days, rounded down."""
    lines = []
    for row in due.itertuples():
        level = f" ({row.level})" if isinstance(row.level, str) else ""
        lines.append(
            f"{row.researcher} · {row.question}{level}: {format_percent(float(row.probability))} as of "
            f"{pd.Timestamp(row.as_of):%Y-%m-%d}, {plural(int(row.days_since), 'day')} ago "
            f"(review every {plural(int(round(float(row.interval_days))), 'day')})"
        )
    return lines
