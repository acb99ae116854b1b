"""Why it moved: a researcher's implied estimate of a question, and the parts that moved it.

Pick a researcher, a question they decomposed, the decomposition (over a binary question or a
declared partition) and two dates.  The page shows the implied and direct trajectories, a
waterfall of the Shapley parts, the sentence, and each factor with reconstructed inputs
marked.  The second tab lists every inconsistency (direct estimate more than the threshold
away from the implied one) across researchers and questions as of a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from models.analysis.decomposition import (
    DEFAULT_THRESHOLD_POINTS,
    Decomposition,
    DecompositionError,
    Explanation,
    decompositions_of,
    direct_estimates,
    explain,
    factor_dates,
    implied_trajectory,
    inconsistencies,
    linked_forecasts,
    researchers_with_decompositions,
)
from models.charts.decomposition import implied_direct_chart, trajectories_frame, waterfall_chart
from models.charts.trajectory import to_spec
from models.limits import md_plain
from pages import _shared as shared
from pages import _tables as tables

PERCENT = st.column_config.NumberColumn(format="percent")
POINTS = st.column_config.NumberColumn(format="%+.2f")


@shared.per_version(shared=True, max_entries=2)
def _linked() -> pd.DataFrame:
    return linked_forecasts(shared.frames())


@shared.per_version(max_entries=4)
def _people() -> list[str]:
    return researchers_with_decompositions(_linked())


@shared.per_version(shared=True, max_entries=16)
def _found(researcher: str) -> list[Decomposition]:
    frames = shared.frames()
    return decompositions_of(_linked(), frames.questions, frames.partitions, researcher)


@shared.per_version(shared=True, max_entries=16)
def _dates(researcher: str, title: str, name: str) -> tuple[date, date] | str:
    """The first and last day the decomposition can be evaluated, or why it cannot be."""
    d = _chosen(researcher, title, name)
    dates = factor_dates(_linked(), d, researcher)
    if dates is None:
        return str(implied_trajectory(_linked(), d, researcher)["problem"].dropna().iloc[-1])
    return dates


def _chosen(researcher: str, title: str, name: str) -> Decomposition:
    return next(d for d in _found(researcher) if d.question == title and d.name == name)


@dataclass(frozen=True)
class Explained:
    explanation: Explanation
    trajectories: dict[str, Any]
    waterfall: dict[str, Any]


@shared.per_version(shared=True, max_entries=16)
def _explained(
    researcher: str, title: str, name: str, start: date, end: date, threshold: float, now: pd.Timestamp
) -> Explained:
    """Raises ``DecompositionError`` (not cached) when the change cannot be explained."""
    frames, forecasts, d = shared.frames(), _linked(), _chosen(researcher, title, name)
    e = explain(forecasts, frames.questions, frames.partitions, title, researcher, name, start, end,
                threshold_points=threshold)  # fmt: skip
    traj = implied_trajectory(forecasts, d, researcher)
    direct = direct_estimates(forecasts, d.question_id, researcher)
    return Explained(
        e,
        to_spec(implied_direct_chart(trajectories_frame(traj, direct, now), title, researcher)),
        to_spec(waterfall_chart(e.attribution, title)),
    )


@shared.per_version(max_entries=16)
def _inconsistencies(as_of: date, threshold: float, only_inconsistent: bool) -> pd.DataFrame:
    frames = shared.frames()
    return inconsistencies(
        _linked(), frames.questions, frames.partitions, as_of, threshold, only_inconsistent
    )


st.title("Why it moved")
threshold = st.number_input(
    "Inconsistent beyond (points)", min_value=0.0, max_value=100.0, value=DEFAULT_THRESHOLD_POINTS, step=0.5,
    key="threshold", help="A direct estimate this many percentage points or more away from the implied one is flagged.",
)  # fmt: skip
why, inconsistent = st.tabs(["Why it moved", "Inconsistencies"])

with why:
    people = _people()
    if not people:
        st.info(
            "No decompositions yet: log a forecast given another question (Log forecast, `credence add --given`, "
            "or the given and given_outcome columns of a forecasts file)."
        )
    else:
        researcher = st.selectbox(
            "Researcher", people, index=shared.remembered("researcher", people) or 0, key="researcher"
        )
        found = _found(researcher)
        titles = sorted({d.question for d in found})
        if not titles:
            st.info(
                md_plain(
                    f"{researcher} has conditional estimates but no decomposition yet: "
                    "estimate the condition's question too."
                )
            )
            st.stop()
        title = st.selectbox("Question", titles, key="question")
        names = [d.name for d in found if d.question == title]
        name = st.selectbox(
            "Decomposed over", names, key="given", help="A binary question or a declared partition."
        )
        dates = _dates(researcher, title, name)
        if isinstance(dates, str):
            st.error(md_plain(dates))
            st.stop()
        assert not isinstance(dates, str)
        left, right = st.columns(2)
        start = left.date_input("From", value=dates[0], key="from")
        end = right.date_input("To", value=dates[1], key="to")
        try:
            shown = _explained(researcher, title, name, start, end, threshold, shared.this_hour())
        except DecompositionError as err:
            st.error(md_plain(str(err)))
            st.stop()
        e = shown.explanation
        st.text(e.sentence)
        st.vega_lite_chart(shown.trajectories, width="stretch")
        st.vega_lite_chart(shown.waterfall, width="stretch")
        st.subheader("Factors")
        tables.show(
            e.parts_table(),
            column_config={"from": PERCENT, "to": PERCENT, "part_points": st.column_config.NumberColumn("part (points)", format="%+.2f"),
                           "reconstructed": st.column_config.TextColumn("reconstructed on")},
            hide_index=True, key="factors",
        )  # fmt: skip
        flagged = e.attribution.before.reconstructed_inputs + e.attribution.after.reconstructed_inputs
        if flagged:
            st.caption(
                "Reconstructed inputs (written down after the fact) are marked in the last column and drawn hollow."
            )
        st.subheader("Implied against direct")
        snaps = [e.attribution.before, e.attribution.after]
        tables.show(
            [{"date": s.day, "implied": s.implied, "direct": s.direct, "consistent": s.consistent} for s in snaps],
            column_config={"implied": PERCENT, "direct": PERCENT}, hide_index=True, key="consistency",
        )  # fmt: skip

with inconsistent:
    as_of: date = st.date_input("As of", value=datetime.now(UTC).date(), key="as_of")
    everything = st.toggle("Show consistent ones too", key="all")
    view = _inconsistencies(as_of, threshold, not everything)
    if view.empty:
        st.success(f"No inconsistency of more than {threshold:g} points as of {as_of.isoformat()}.")
    else:
        tables.show(
            view,
            column_config={"implied": PERCENT, "direct": PERCENT,
                           "difference_points": st.column_config.NumberColumn("direct − implied (points)", format="%+.1f")},
            hide_index=True, key="inconsistencies",
        )  # fmt: skip
