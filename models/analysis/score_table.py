"""The one score table: every researcher's scores with peers, coverage and Murphy terms.

The Calibration page draws it, ``credence scores`` prints it and the Markdown report shows
its first columns, so the three always agree, and the row that pools every researcher's
targets has one name everywhere: :data:`POOLED`.
"""

from __future__ import annotations

import pandas as pd

from models.analysis.calibration import ALL_RESEARCHERS, murphy_decomposition, relative_scores
from models.analysis.scoring import Scored, coverage, researcher_scores, target_scores

#: The ``researcher`` of the row that pools every target of every researcher.
POOLED = ALL_RESEARCHERS

#: ``(column, heading, what it means)``, in the order the table shows them.
COLUMNS = [
    ("researcher", "researcher", None),
    ("n_targets", "targets", "Questions (and capability levels) scored"),
    ("n_forecasts", "forecasts", "Every scored update of those targets"),
    ("brier", "Brier", "Mean one-sided Brier of final forecasts: 0 best, 1 worst"),
    ("log_score", "log score", "Mean ln p of the outcome (p clipped to 0.1%–99.9%): 0 best, lower is worse"),
    ("brier_all", "Brier (all)", "Brier over every scored update, each counted once"),
    ("brier_time_averaged", "Brier (time)", "Brier of the forecast held at each moment, averaged over time"),
    ("relative_brier", "vs peers", "Mean Brier minus the median of the others on the same question; below 0 is better"),
    ("coverage", "coverage", "Share of the resolved questions in these filters this researcher forecast"),
    ("reliability", "reliability", "Murphy: distance from the diagonal (lower is better)"),
    ("resolution", "resolution", "Murphy: how much outcomes differ between buckets (higher is better)"),
    ("uncertainty", "uncertainty", "Murphy: base rate × (1 − base rate), a property of the questions"),
]  # fmt: skip


def score_table(scored: Scored, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per researcher with a scored target (sorted by handle), then the :data:`POOLED` row.

    Columns are :data:`COLUMNS`: the means of :func:`models.analysis.scoring.researcher_scores`,
    ``relative_brier`` (:func:`models.analysis.calibration.relative_scores`), ``coverage``
    (:func:`models.analysis.scoring.coverage`) and the Murphy terms
    (:func:`models.analysis.calibration.murphy_decomposition`).  A column that does not apply
    to the pooled row (peers, coverage) is NaN there.  Empty (with the columns) when nothing
    is scored.  ``targets`` may be passed when the caller already has
    :func:`~models.analysis.scoring.target_scores` of ``scored``.
    """
    if targets is None:
        targets = target_scores(scored)
    if targets.empty:
        return pd.DataFrame({name: pd.Series(dtype="object") for name, _, _ in COLUMNS})
    scores = pd.concat(
        [researcher_scores(targets), researcher_scores(targets, pooled=True)], ignore_index=True
    )
    table = (
        scores.merge(relative_scores(targets), on="researcher", how="left")
        .merge(coverage(scored), on="researcher", how="left")
        .merge(
            murphy_decomposition(targets).drop(columns=["n_targets", "brier"]),
            on="researcher",
            how="left",
        )
    )
    return table[[name for name, _, _ in COLUMNS]]
