"""A share link's read-only view (``?share=TOKEN``): one researcher's trajectories, updates and
decompositions ("why it moved", as on that page) for the questions (or the tag) the link names,
and nothing else: no sign-in, no navigation, no control that writes, no other researcher's
estimates.  A decomposition names the question or partition it is over, with the sharer's own
estimates of it.  A revoked, expired or unknown token shows only "This link is no longer
valid."  ``app.py`` routes here whenever the URL has ``share``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd
import streamlit as st

from models import actions
from models.analysis.decomposition import (
    DecompositionError,
    decompositions_of,
    direct_estimates,
    explain,
    implied_trajectory,
    linked_forecasts,
)
from models.analysis.trajectory import evidence_events, frames_for, resolution_of, trajectory
from models.analysis.updates import updates
from models.charts.decomposition import implied_direct_chart, trajectories_frame, waterfall_chart
from models.charts.trajectory import to_spec, trajectory_chart
from models.format import utc
from models.frames import Frames
from models.limits import md_plain
from models.sharing import INVALID
from models.store import reads
from pages import _shared as shared
from pages import _tables as tables

PERCENT = st.column_config.NumberColumn(format="percent")
DAY = st.column_config.DatetimeColumn(format="YYYY-MM-DD")


@shared.per_version(shared=True, max_entries=2, spinner="Loading forecasts…", public=True)
def _frames() -> Frames:
    return reads.load_frames(shared.raw_engine())


@dataclass(frozen=True)
class Why:
    """One decomposition of a shared question over its whole span, ready to draw."""

    label: str
    sentence: str  # or why it cannot be explained
    parts: pd.DataFrame | None = None
    trajectories: dict[str, Any] | None = None
    waterfall: dict[str, Any] | None = None


@shared.per_version(shared=True, max_entries=16, public=True)
def _why(owner: str, question_id: int, day: date) -> list[Why]:
    """``owner``'s decompositions of a question, as Why it moved explains them (only their forecasts)."""
    frames = _frames()
    linked = linked_forecasts(frames)
    mine = linked[linked["researcher"] == owner]  # nobody else's estimates reach this page
    out: list[Why] = []
    for d in decompositions_of(mine, frames.questions, frames.partitions, owner, question_id):
        try:
            e = explain(mine, frames.questions, frames.partitions, d.question, owner, d.name)
        except DecompositionError as err:
            out.append(Why(d.label, str(err)))
            continue
        traj = implied_trajectory(mine, d, owner)
        direct = direct_estimates(mine, d.question_id, owner)
        data = trajectories_frame(traj, direct, utc(datetime.combine(day, time.max, tzinfo=UTC)))
        out.append(
            Why(d.label, e.sentence, e.parts_table(),
                to_spec(implied_direct_chart(data, d.question, owner)),
                to_spec(waterfall_chart(e.attribution, d.question)))
        )  # fmt: skip
    return out


def _draw_why(question_id: int, why: Why) -> None:
    st.text(f"Why it moved: {why.label}")
    st.text(why.sentence)
    if why.parts is None or why.trajectories is None or why.waterfall is None:
        return
    st.vega_lite_chart(why.trajectories, width="stretch")
    st.vega_lite_chart(why.waterfall, width="stretch")
    tables.show(
        why.parts,
        column_config={"from": PERCENT, "to": PERCENT,
                       "part_points": st.column_config.NumberColumn("part (points)", format="%+.2f"),
                       "reconstructed": st.column_config.TextColumn("reconstructed on")},
        hide_index=True, key=f"factors:{question_id}:{why.label}",
    )  # fmt: skip


token = str(st.query_params.get("share", ""))
link = actions.open_share_link(shared.raw_engine(), token)
if link is None:
    st.error(INVALID)
    st.stop()
assert link is not None

frames = _frames()
questions = frames.questions
if link.tag is not None:
    chosen = questions[questions["tags"].map(lambda tags: link.tag in tags)]
else:
    chosen = questions[questions["question_id"].isin(link.question_ids)]
owner = link.handle
today = datetime.now(UTC).date()

st.title(md_plain(f"Forecasts by {owner}"))
if link.label:
    st.text(link.label)
st.caption(
    "A read-only view shared by its author"
    + (f": every question tagged “{md_plain(link.tag)}”." if link.tag else ".")
    + " Each step holds an estimate until the next one; dotted steps and hollow points were "
    "written down after the fact."
)
shown = 0
for qid, title in zip(chosen["question_id"].tolist(), chosen["question"].tolist(), strict=True):
    view = frames_for(frames, [qid])
    traj = trajectory(view, qid, [owner], None)
    if traj.empty:
        continue
    shown += 1
    st.divider()
    st.text(title)
    chart = trajectory_chart(traj, evidence_events(view, traj), resolution_of(view, qid), False, inline=False)
    st.vega_lite_chart(to_spec(chart), width="stretch")
    history = updates(view, [qid], [owner], None)
    tables.show(
        history[["as_of", "level", "from_probability", "to_probability", "change_points", "reconstructed",
                 "rationale", "evidence"]],
        column_config={
            "as_of": DAY, "from_probability": PERCENT, "to_probability": PERCENT,
            "change_points": st.column_config.NumberColumn("change (points)", format="%+.1f"),
        },
        hide_index=True,
        key=f"updates:{qid}",
    )  # fmt: skip
    for why in _why(owner, qid, today):
        _draw_why(qid, why)
if not shown:
    st.info(md_plain(f"{owner} has no forecasts on these questions yet."))
