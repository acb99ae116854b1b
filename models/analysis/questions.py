"""Questions as the Questions page lists them: search, tags, status, current estimates, links.

Pure functions of :class:`~models.frames.Frames`; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pandas as pd

from models.analysis.trajectory import TARGET
from models.analysis.updates import updates
from models.format import utc
from models.frames import Frames

#: Question statuses, as :func:`question_list` names them.
STATUSES = ("open", "resolved", "annulled")

LIST_COLUMNS = [
    "question_id", "question", "tags", "status", "outcome", "resolve_by", "resolved_at", "due",
    "n_forecasts", "n_researchers", "last_forecast",
]  # fmt: skip


def question_tags(frames: Frames) -> list[str]:
    """Every tag used by a current question, sorted."""
    tags = frames.questions["tags"].explode().dropna()
    return sorted(set(tags.tolist()))


def question_list(
    frames: Frames,
    search: str = "",
    tags: Iterable[str] = (),
    status: str | Iterable[str] | None = None,
    researcher: str | None = None,
    due: bool = False,
    now: datetime | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """The questions that pass every given filter, in creation order, with forecast counts.

    * ``search``: every whitespace-separated word occurs (case-insensitive) in the title,
      criteria or tags.
    * ``tags``: the question carries *all* of them.
    * ``status``: one or several of ``"open"`` (no outcome), ``"resolved"`` (yes or no) and
      ``"annulled"``.
    * ``researcher``: they have a current forecast on the question.
    * ``due``: due for resolution, i.e. still open and ``resolve_by`` is before ``now``
      (default: the current time).  The ``due`` column is computed whether or not it filters.

    Columns: ``question_id, question, tags`` (tuple), ``status, outcome, resolve_by,
    resolved_at, due, n_forecasts, n_researchers, last_forecast`` (latest ``as_of``, NaT
    with no forecasts).
    """
    q = frames.questions
    f = frames.forecasts
    outcome = q["outcome"]
    status_col = pd.Series(
        np.select([outcome.isna(), outcome == "annulled"], ["open", "annulled"], "resolved"),
        index=q.index,
        dtype="object",
    )
    due_col = (outcome.isna() & q["resolve_by"].notna() & (q["resolve_by"] < utc(now))).astype(bool)
    mask = pd.Series(True, index=q.index)
    words = search.lower().split()
    if words:
        tag_text = q["tags"].map(" ".join) if len(q) else pd.Series(dtype="object")
        hay = (q["question"].fillna("") + "\n" + q["criteria"].fillna("") + "\n" + tag_text).str.lower()
        for word in words:
            mask &= hay.str.contains(word, regex=False)
    wanted = set(tags)
    if wanted:
        exploded = q["tags"].explode()
        hits = exploded[exploded.isin(wanted)].groupby(level=0).nunique()
        mask &= hits.reindex(q.index, fill_value=0) == len(wanted)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        mask &= status_col.isin(statuses)
    if researcher is not None:
        mask &= q["question_id"].isin(f.loc[f["researcher"] == researcher, "question_id"].unique())
    if due:
        mask &= due_col
    out = q.loc[mask, ["question_id", "question", "tags", "outcome", "resolve_by", "resolved_at"]].copy()
    out["status"] = status_col[mask]
    out["due"] = due_col[mask]
    counted = f[f["question_id"].isin(out["question_id"])].groupby("question_id")
    ids = out["question_id"]
    out["n_forecasts"] = counted.size().reindex(ids, fill_value=0).to_numpy().astype("int64")
    out["n_researchers"] = (
        counted["researcher"].nunique().reindex(ids, fill_value=0).to_numpy().astype("int64")
    )
    out["last_forecast"] = counted["as_of"].max().astype("datetime64[ns, UTC]").reindex(ids).to_numpy()
    return out[LIST_COLUMNS].reset_index(drop=True)


def find_question(frames: Frames, ref: str | None) -> int | None:
    """The id of the question ``ref`` names, by id (``"12"``) or exact title; None if none does."""
    if not ref:
        return None
    q = frames.questions
    ref = str(ref).strip()
    if ref.isdigit() and int(ref) in set(q["question_id"]):
        return int(ref)
    hit = q.loc[q["question"] == ref, "question_id"]
    return int(hit.iloc[0]) if len(hit) else None


ESTIMATE_COLUMNS = [
    "researcher", "level", "level_position", "probability", "as_of", "forecast_id", "reconstructed",
    "n_forecasts", "previous_probability", "change_points", "change_log_odds", "rationale", "evidence",
]  # fmt: skip


def current_estimates(frames: Frames, question_id: int) -> pd.DataFrame:
    """Each researcher's standing estimate on a question, per capability level.

    The standing estimate of a target ``(researcher, question, level)`` is its last forecast
    in forecast order (see :mod:`models.analysis.updates`), shown with how it moved from the one
    before: ``change_points = 100 · (p − previous)`` and ``change_log_odds`` (natural,
    probabilities clipped to [0.001, 0.999]); NaN for a target's only forecast.
    ``n_forecasts`` counts the target's forecasts.  Sorted by level position (unconditional
    first), then researcher.
    """
    u = updates(frames, [question_id])
    u["n_forecasts"] = u.groupby(TARGET, dropna=False, sort=False)["forecast_id"].transform("size")
    out = u.drop_duplicates(TARGET, keep="last").rename(
        columns={"to_probability": "probability", "from_probability": "previous_probability"}
    )
    f = frames.forecasts
    positions = f.loc[f["question_id"] == question_id].set_index("forecast_id")["level_position"]
    out["level_position"] = out["forecast_id"].map(positions).astype("float64")
    out["n_forecasts"] = out["n_forecasts"].astype("int64")
    out = out.sort_values(["level_position", "researcher"], na_position="first", kind="stable")
    return out[ESTIMATE_COLUMNS].reset_index(drop=True)


def question_links(frames: Frames, question_id: int) -> pd.DataFrame:
    """Links touching a question: ``link_id, other_question_id, other_question, note, reads``.

    ``reads`` is the sentence the link stands for: ``"P(this) moved mostly because P(other)
    moved"`` when this question is the link's source, the reverse when it is the target.
    """
    links = frames.links
    titles = frames.questions.drop_duplicates("question_id").set_index("question_id")["question"]
    this = titles.get(question_id, f"question {question_id}")
    outgoing = links[links["source_question_id"] == question_id]
    incoming = links[links["target_question_id"] == question_id]
    parts = []
    for part, other_col, is_source in (
        (outgoing, "target_question_id", True),
        (incoming, "source_question_id", False),
    ):
        other = part[other_col].astype("int64")
        other_title = other.map(titles).fillna("question " + other.astype(str))
        reads = (
            f"P({this}) moved mostly because P(" + other_title + ") moved"
            if is_source
            else "P(" + other_title + f") moved mostly because P({this}) moved"
        )
        parts.append(
            pd.DataFrame(
                {
                    "link_id": part["link_id"],
                    "other_question_id": other,
                    "other_question": other_title,
                    "note": part["note"],
                    "reads": reads,
                }
            )
        )
    return pd.concat(parts, ignore_index=True).astype({"link_id": "int64", "other_question_id": "int64"})
