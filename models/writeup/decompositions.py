"""The "linked beliefs" part of a write-up: each decomposition of a question, explained.

For every researcher (of the report's filter) with a decomposition of the question: what it
is (``P(A) = Σ P(Bᵢ) · P(A | Bᵢ)`` over which partition), the implied against the direct
estimate on both dates, the attribution sentence and the table of factors
(:func:`models.analysis.decomposition.explain`).  The dates are the filter's ``since`` and
``until`` where given, else the decomposition's first available day and its latest day.
"""

from __future__ import annotations

import pandas as pd

from models.analysis.decomposition import (
    DEFAULT_THRESHOLD_POINTS,
    DecompositionError,
    Explanation,
    decompositions_of,
    explain,
    linked_forecasts,
)
from models.frames import Frames
from models.writeup.filters import ReportFilter
from models.writeup.markdown import markdown_table, md_text

LEAD = (
    "The implied estimate is P(A) = Σ P(Bᵢ) · P(A | Bᵢ). Parts split its change between the "
    "partition and each conditional (Shapley values: the partition's part is Σ ΔP(Bᵢ) · mean "
    "P(A | Bᵢ), a conditional's part ΔP(A | Bᵢ) · mean P(Bᵢ)); they add up to the change."
)


def _pct(p: float | None) -> str:
    return "–" if p is None or pd.isna(p) else f"{p * 100:.1f}%"


def _points(p: float | None) -> str:
    return "" if p is None or pd.isna(p) else f"{p:+.2f}"


def explanation_markdown(e: Explanation, threshold_points: float = DEFAULT_THRESHOLD_POINTS) -> list[str]:
    """One explained decomposition as Markdown lines: heading, sentence, dates, table."""
    out = [
        f"**{md_text(e.researcher)}: {md_text(e.decomposition.label)}**",
        "",
        md_text(e.sentence) + ".",
        "",
    ]
    dates = []
    for snap in (e.attribution.before, e.attribution.after):
        if snap.direct is None:
            verdict = "no direct estimate"
        else:
            gap = abs(snap.direct - (snap.implied or 0.0)) * 100
            verdict = f"direct {_pct(snap.direct)}, {gap:.1f} points apart"
            verdict += "" if snap.consistent else f" (inconsistent: more than {threshold_points:g} points)"
        dates.append({"date": snap.day.isoformat(), "implied": _pct(snap.implied), "direct": verdict})
    out += [markdown_table(pd.DataFrame(dates)), ""]
    t = e.parts_table()
    table = pd.DataFrame(
        {
            "factor": t["factor"],
            e.attribution.before.day.isoformat(): t["from"].map(_pct),
            e.attribution.after.day.isoformat(): t["to"].map(_pct),
            "part (points)": t["part_points"].map(_points),
            "reconstructed on": t["reconstructed"],
        }
    )
    return out + [markdown_table(table), ""]


def decomposition_markdown(frames: Frames, filt: ReportFilter, question_id: int) -> list[str]:
    """Markdown lines for every decomposition of ``question_id`` by the filter's researchers
    (everyone when none), unconditional level; ``[]`` when there is none.  A decomposition
    that cannot be explained over the range says why in one line."""
    forecasts = linked_forecasts(frames)
    title = frames.questions.loc[frames.questions["question_id"] == question_id, "question"]
    if title.empty or forecasts.empty:
        return []
    conditional = frames.conditionals[frames.conditionals["question_id"] == question_id]
    researchers = sorted(set(conditional["researcher"]))
    if filt.researchers:
        researchers = [r for r in researchers if r in set(filt.researchers)]
    out: list[str] = []
    for researcher in researchers:
        for d in decompositions_of(forecasts, frames.questions, frames.partitions, researcher, question_id):
            try:
                e = explain(
                    forecasts, frames.questions, frames.partitions, str(title.iloc[0]), researcher, d.name,
                    filt.since, filt.until,
                )  # fmt: skip
            except DecompositionError as err:
                out += [f"**{md_text(researcher)}: {md_text(d.label)}**: {md_text(str(err))}.", ""]
                continue
            out += explanation_markdown(e)
    return ["**Linked beliefs**", "", md_text(LEAD), "", *out] if out else []
