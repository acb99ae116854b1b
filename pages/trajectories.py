"""Belief trajectories: one question's estimates over time, per researcher and capability level.

Every filter lives in the URL, so a copied link reopens the same view:
``?question=<title>&researchers=a,b&levels=x,y&log_odds=1&date=YYYY-MM-DD`` (lists are
comma-separated; a missing list means everything, a missing date the latest).
"""

from __future__ import annotations

import streamlit as st

from models.analysis.trajectory import (
    capability_curve,
    capability_dates,
    choose_questions,
    evidence_events,
    frames_for,
    level_choices,
    researchers_of,
    resolution_of,
    trajectory,
)
from models.analysis.updates import updates
from models.charts.trajectory import capability_chart, to_spec, trajectory_chart
from models.format import day_end
from pages import _shared as shared

PERCENT = st.column_config.NumberColumn(format="percent")
POINTS = st.column_config.NumberColumn(format="%+.1f")
DAY = st.column_config.DatetimeColumn(format="YYYY-MM-DD")
#: Widgets whose options depend on the question: reset (back to the URL's lists) when it changes.
PER_QUESTION = ("researchers", "levels", "date")


def _new_question() -> None:
    for key in PER_QUESTION:
        st.session_state.pop(key, None)


st.title("Belief trajectories")
frames = shared.frames()
questions = frames.questions.set_index("question_id")["question"]
if frames.forecasts.empty:
    st.info(
        "No forecasts yet: log one on the Log forecast page, import a file, or load the demo with `credence demo`."
    )
    st.stop()

# --- filters (kept in the URL) ----------------------------------------------------------------
titles = questions.tolist()
index = shared.remembered("question", titles)
if index is None:
    index = titles.index(questions[choose_questions(frames, default=1).question_ids[0]])
title = st.selectbox("Question", titles, index=index, key="question", on_change=_new_question)
shared.remember("question", title)
question_id = int(questions.index[titles.index(title)])
view = frames_for(frames, [question_id])  # narrowed once: every call below is on this question

everyone = researchers_of(view, [question_id])
researchers = st.multiselect(
    "Researchers",
    everyone,
    default=shared.remembered_list("researchers", everyone) or everyone,
    key="researchers",
)
shared.remember_list("researchers", researchers, everyone)

choices = level_choices(view, [question_id])
levels = shared.level_picker(choices)
conditional = levels is not None

log_odds = st.toggle(
    "Log-odds axis",
    value=st.query_params.get("log_odds") == "1",
    key="log_odds",
    help="Spreads out estimates near 0 % and 100 %: a step from 1 % to 2 % looks as big as one from 50 % to 67 %.",
)
shared.remember("log_odds", "1" if log_odds else None)

# --- the trajectory ---------------------------------------------------------------------------
traj = trajectory(view, question_id, researchers, levels)
cited = evidence_events(view, traj)
if traj.empty:
    st.info("No estimates for these researchers and levels: pick more above.")
else:
    chart = trajectory_chart(traj, cited, resolution_of(view, question_id), log_odds, inline=False)
    st.vega_lite_chart(to_spec(chart), width="stretch")
    st.caption(
        "Each step holds an estimate until the next one. Dotted steps and hollow points are "
        "reconstructed (written after the fact). Grey bars are evidence items: hover one to ring "
        "the estimates that cite it. A black rule marks the resolution."
    )

# --- the capability view ----------------------------------------------------------------------
if conditional:
    st.subheader("P(question | capability level)")
    days = [d.isoformat() for d in capability_dates(view, question_id)]
    if days:
        at = shared.remembered("date", days)
        day = st.select_slider(
            "Standing on", days, value=days[-1 if at is None else at], key="date",
            help="Each researcher's latest estimate per level made on or before this day.",
        )  # fmt: skip
        shared.remember("date", day if day != days[-1] else None)
        curve = capability_curve(view, question_id, day_end(day), researchers, levels)
        if curve.empty:
            st.info(f"No conditional estimate by these researchers on or before {day}.")
        else:
            st.vega_lite_chart(to_spec(capability_chart(curve, log_odds, inline=False)), width="stretch")

# --- tables -----------------------------------------------------------------------------------
st.subheader("Updates")
history = updates(view, [question_id], researchers, levels)
st.dataframe(
    history[["as_of", "researcher", *(["level"] if conditional else []), "from_probability", "to_probability", "change_points",
             "reconstructed", "rationale", "evidence"]],
    column_config={
        "as_of": DAY, "from_probability": PERCENT, "to_probability": PERCENT,
        "change_points": st.column_config.NumberColumn("change (points)", format="%+.1f"),
    },
    hide_index=True,
    key="updates_table",
)  # fmt: skip

if not cited.empty:
    st.subheader("Evidence cited")
    st.dataframe(
        cited[["date", "evidence", "cited_by", "url"]],
        column_config={"date": DAY, "url": st.column_config.LinkColumn("link")},
        hide_index=True,
        key="evidence_table",
    )
