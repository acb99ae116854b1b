"""The evidence library: each item with how often and how far it moved forecasts.

Pure functions of :class:`~models.frames.Frames`: :func:`evidence_usage` (one row per
forecast that cites an item, with the change it came with) and :func:`evidence_library`
(one row per item, with its citations summed up).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from models.analysis.updates import evidence_impact, updates
from models.frames import Frames


def _linked(frames: Frames, evidence_ids: Iterable[int] | None) -> pd.DataFrame:
    links = frames.evidence_links
    if evidence_ids is not None:
        links = links[links["evidence_id"].isin(list(evidence_ids))]
    return links


def _cited_questions(frames: Frames, links: pd.DataFrame) -> np.ndarray:
    f = frames.forecasts
    return f.loc[f["forecast_id"].isin(links["forecast_id"]), "question_id"].unique()


USAGE_COLUMNS = [
    "evidence_id", "evidence", "forecast_id", "researcher", "question_id", "question", "level",
    "as_of", "direction", "note", "from_probability", "to_probability", "change_points",
    "change_log_odds",
]  # fmt: skip


def evidence_usage(frames: Frames, evidence_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Which forecasts each evidence item moved, and how much: one row per citing forecast.

    Built on :func:`models.analysis.updates.updates` (computed only for the questions the items are
    cited on): ``from_probability``/``to_probability`` and ``change_points = 100 · (to − from)``,
    ``change_log_odds`` (natural, clipped to [0.001, 0.999]) are the citing forecast's move
    from the previous forecast of its target, NaN when it is the target's first.
    ``direction`` is what the link states (``raised``, ``lowered``, ``no_change`` or None).
    Sorted by evidence title, then ``as_of``.
    """
    links = _linked(frames, evidence_ids)
    u = updates(frames, _cited_questions(frames, links))
    m = links.merge(
        u[
            [
                "forecast_id",
                "researcher",
                "question_id",
                "question",
                "level",
                "as_of",
                "from_probability",
                "to_probability",
                "change_points",
                "change_log_odds",
            ]
        ],
        on="forecast_id",
    )
    titles = frames.evidence.drop_duplicates("evidence_id").set_index("evidence_id")["evidence"]
    m["evidence"] = m["evidence_id"].map(titles).fillna(m["evidence"])
    m = m.sort_values(["evidence", "as_of", "forecast_id"], kind="stable")
    return m[USAGE_COLUMNS].reset_index(drop=True)


LIBRARY_COLUMNS = [
    "evidence_id", "evidence", "kind", "published", "status", "observed_at", "url", "summary", "n_citing", "n_researchers",
    "n_raised", "n_lowered", "n_no_change", "n_unstated", "sum_change_points", "sum_change_log_odds",
]  # fmt: skip


def evidence_library(frames: Frames) -> pd.DataFrame:
    """Every current evidence item with how it was used, summed over researchers.

    From :func:`models.analysis.updates.evidence_impact`: ``n_citing`` forecasts, ``n_researchers``
    citing it, link directions ``n_raised, n_lowered, n_no_change, n_unstated``, and the sums
    of the citing updates' changes ``sum_change_points`` and ``sum_change_log_odds`` (a
    target's first forecast adds nothing).  Items nobody cites have zeros.  Sorted by title.
    """
    ev = frames.evidence
    impact = evidence_impact(frames, _cited_questions(frames, frames.evidence_links))
    g = impact.groupby("evidence_id")
    sums = g[
        [
            "n_citing",
            "n_raised",
            "n_lowered",
            "n_no_change",
            "n_unstated",
            "sum_change_points",
            "sum_change_log_odds",
        ]
    ].sum()
    sums["n_researchers"] = g.size()
    out = ev.join(sums, on="evidence_id")
    for col in ("n_citing", "n_researchers", "n_raised", "n_lowered", "n_no_change", "n_unstated"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("sum_change_points", "sum_change_log_odds"):
        out[col] = out[col].fillna(0.0).astype("float64")
    if "kind" not in out.columns:
        out["kind"] = "other"
    out["status"] = out["status"].fillna("observed")
    return out.sort_values("evidence", kind="stable")[LIBRARY_COLUMNS].reset_index(drop=True)
