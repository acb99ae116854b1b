"""Why it moved: a researcher's implied estimate of a question, and the parts that moved it.

Pick a researcher, a question they decomposed, the decomposition (over a binary question or a
declared partition) and two dates.  The page shows the implied and direct trajectories, a
waterfall of the Shapley parts, the sentence, and each factor with reconstructed inputs
marked.  The second tab lists every inconsistency (direct estimate more than the threshold
away from the implied one) across researchers and questions as of a date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from models.analysis.decomposition import (
    DEFAULT_THRESHOLD_POINTS,
    DecompositionError,
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
from models.format import utc
from pages import _shared as shared

PERCENT = st.column_config.NumberColumn(format="percent")
POINTS = st.column_config.NumberColumn(format="%+.2f")

st.title("Why it moved")
frames = shared.frames()
forecasts = linked_forecasts(frames)
threshold = st.number_input(
    "Inconsistent beyond (points)", min_value=0.0, max_value=100.0, value=DEFAULT_THRESHOLD_POINTS, step=0.5,
    key="threshold", help="A direct estimate this many percentage points or more away from the implied one is flagged.",
)  # fmt: skip
why, inconsistent = st.tabs(["Why it moved", "Inconsistencies"])

with why:
    people = researchers_with_decompositions(forecasts)
    if not people:
        st.info(
            "No decompositions yet: log a forecast given another question (Log forecast, `credence add --given`, "
            "or the given and given_outcome columns of a forecasts file)."
        )
    else:
        researcher = st.selectbox(
            "Researcher", people, index=shared.remembered("researcher", people) or 0, key="researcher"
        )
        found = decompositions_of(forecasts, frames.questions, frames.partitions, researcher)
        titles = sorted({d.question for d in found})
        if not titles:
            st.info(
                f"{researcher} has conditional estimates but no decomposition yet: estimate the condition's question too."
            )
            st.stop()
        title = st.selectbox("Question", titles, key="question")
        mine = [d for d in found if d.question == title]
        names = [d.name for d in mine]
        name = st.selectbox(
            "Decomposed over", names, key="given", help="A binary question or a declared partition."
        )
        d = mine[names.index(name)]
        dates = factor_dates(forecasts, d, researcher)
        if dates is None:
            traj = implied_trajectory(forecasts, d, researcher)
            st.error(traj["problem"].dropna().iloc[-1])
            st.stop()
        left, right = st.columns(2)
        start = left.date_input("From", value=dates[0], key="from")
        end = right.date_input("To", value=dates[1], key="to")
        try:
            e = explain(forecasts, frames.questions, frames.partitions, title, researcher, name, start, end,
                        threshold_points=threshold)  # fmt: skip
        except DecompositionError as err:
            st.error(str(err))
            st.stop()
        st.text(e.sentence)
        traj = implied_trajectory(forecasts, d, researcher)
        direct = direct_estimates(forecasts, d.question_id, researcher)
        now = utc(datetime.now(UTC))
        st.altair_chart(
            implied_direct_chart(trajectories_frame(traj, direct, now), title, researcher), width="stretch"
        )
        st.altair_chart(waterfall_chart(e.attribution, title), width="stretch")
        st.subheader("Factors")
        st.dataframe(
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
        st.dataframe(
            [{"date": s.day, "implied": s.implied, "direct": s.direct, "consistent": s.consistent} for s in snaps],
            column_config={"implied": PERCENT, "direct": PERCENT}, hide_index=True, key="consistency",
        )  # fmt: skip

with inconsistent:
    as_of: date = st.date_input("As of", value=datetime.now(UTC).date(), key="as_of")
    everything = st.toggle("Show consistent ones too", key="all")
    view = inconsistencies(forecasts, frames.questions, frames.partitions, as_of, threshold, not everything)
    if view.empty:
        st.success(f"No inconsistency of more than {threshold:g} points as of {as_of.isoformat()}.")
    else:
        st.dataframe(
            view,
            column_config={"implied": PERCENT, "direct": PERCENT,
                           "difference_points": st.column_config.NumberColumn("direct − implied (points)", format="%+.1f")},
            hide_index=True, key="inconsistencies",
        )  # fmt: skip
