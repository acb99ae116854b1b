"""Compare researchers: how several researchers' beliefs moved on a set of questions.

Every filter lives in the URL, so a copied link reopens the same view:
``?tag=evals&questions=12,15&researchers=a,b&levels=x&group=1&log_odds=1&date=YYYY-MM-DD&question=<title>``
(lists are comma-separated, questions by id; a missing list means everything, a missing date
today).  Without a tag or questions, the questions that the most researchers forecast are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from models.analysis.trajectory import (
    choose_questions,
    frames_for,
    group_line,
    level_choices,
    researchers_of,
    standing_at_changes,
    tagged_questions,
    trajectories,
)
from models.analysis.updates import (
    convergence,
    disagreement,
    evidence_impact,
    spread_history,
    update_statistics,
    updates,
)
from models.charts.trajectory import comparison_chart, spread_chart, to_spec
from models.format import day_end, plural
from models.limits import md_plain
from pages import _shared as shared
from pages import _tables as tables

MAX_QUESTIONS = 12
PERCENT = st.column_config.NumberColumn(format="percent")
DAY = st.column_config.DatetimeColumn(format="YYYY-MM-DD")


def _points(label: str, signed: bool = False) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="%+.1f" if signed else "%.1f")


def _new_questions() -> None:
    for key in ("researchers", "levels", "question"):
        st.session_state.pop(key, None)


@shared.per_version(max_entries=32)
def _offered(tag: str | None) -> list[int]:
    return (
        tagged_questions(shared.frames(), tag) if tag else shared.frames().questions["question_id"].tolist()
    )


@shared.per_version(max_entries=32)
def _choice(
    tag: str | None, picked: tuple[int, ...]
) -> tuple[list[int], bool, int, list[str], list[str | None]]:
    """The questions shown (and whether the tag's were cut to the limit, of how many), their researchers and levels."""
    frames = shared.frames()
    choice = choose_questions(frames, tag=tag, question_ids=list(picked) or None, limit=MAX_QUESTIONS)
    view = frames_for(frames, choice.question_ids)
    ids = choice.question_ids
    return ids, choice.truncated, choice.matching, researchers_of(view, ids), level_choices(view, ids)


@dataclass(frozen=True)
class Comparison:
    """Everything the page draws for one choice of questions, researchers, levels and date."""

    chart: dict[str, Any] | None
    statistics: pd.DataFrame
    disagreement: pd.DataFrame
    trends: pd.DataFrame
    history: pd.DataFrame
    impact: pd.DataFrame


@shared.per_version(shared=True, max_entries=16)
def _compare(
    question_ids: tuple[int, ...],
    researchers: tuple[str, ...],
    levels: tuple[str | None, ...] | None,
    group: bool,
    log_odds: bool,
    as_of: date,
) -> Comparison:
    view = frames_for(shared.frames(), list(question_ids))  # narrowed once: every call is on these questions
    ids, people, lv = list(question_ids), list(researchers), None if levels is None else list(levels)
    traj = trajectories(view, ids, people, lv)
    at = day_end(as_of)
    if traj.empty:
        empty = pd.DataFrame()
        return Comparison(None, empty, empty, empty, empty, empty)
    groups = group_line(standing_at_changes(traj)) if group else None
    moves = updates(view, ids, people, lv)  # shared by the statistics and the impact
    history = spread_history(view, ids, people, until=at, levels=lv)
    return Comparison(
        chart=to_spec(comparison_chart(traj, groups, log_odds=log_odds, inline=False)),
        statistics=update_statistics(view, people, ids, levels=lv, history=moves),
        disagreement=disagreement(view, ids, people, at=at, levels=lv),
        trends=convergence(history),
        history=history,
        impact=evidence_impact(view, ids, people, levels=lv, history=moves),
    )


@shared.per_version(shared=True, max_entries=16)
def _spread_chart(
    question_ids: tuple[int, ...],
    researchers: tuple[str, ...],
    levels: tuple[str | None, ...] | None,
    as_of: date,
    question_id: int,
    log_odds: bool,
) -> dict[str, Any]:
    history = _compare(question_ids, researchers, levels, False, False, as_of).history
    return to_spec(spread_chart(history, question_id, log_odds=log_odds, inline=False))


def _url_date() -> date | None:
    try:
        return date.fromisoformat(st.query_params.get("date", ""))
    except ValueError:
        return None


st.title("Compare researchers")
frames = shared.frames()
if frames.forecasts.empty:
    st.info(
        "No forecasts yet: log one on the Log forecast page, import a file, or load the demo with `credence demo`."
    )
    st.stop()
titles = frames.questions.set_index("question_id")["question"].to_dict()

# --- which questions (kept in the URL) --------------------------------------------------------
tags = shared.tags()
left, right = st.columns([1, 3])
tag = left.selectbox(
    "Tag", tags, index=shared.remembered("tag", tags), key="tag", placeholder="Any tag",
    on_change=_new_questions,
)  # fmt: skip
shared.remember("tag", tag)
offered = _offered(tag)
id_options = [str(i) for i in offered]
picked = right.multiselect(
    "Questions",
    id_options,
    default=shared.remembered_list("questions", id_options),
    format_func=lambda i: titles[int(i)],
    key="questions",
    placeholder="All of the tag's questions" if tag else "The questions most researchers forecast",
    on_change=_new_questions,
    max_selections=MAX_QUESTIONS,
)
shared.remember_list("questions", picked)
question_ids, truncated, matching, everyone, choices = _choice(tag, tuple(int(i) for i in picked))
if truncated:
    st.caption(
        f"Showing the {plural(len(question_ids), 'question')} with the most researchers out of {matching} "
        f"tagged “{md_plain(tag)}”; pick questions above to see others."
    )
if not question_ids:
    st.info("No forecasts on these questions yet.")
    st.stop()

# --- whose estimates, how drawn (kept in the URL) ---------------------------------------------
researchers = shared.researchers_picker(everyone)
levels = shared.level_picker(choices)
LEVEL = ["level"] if levels is not None else []  # a column only when some forecast is conditional

c1, c2, c3 = st.columns(3)
group = c1.toggle("Group lines", value=st.query_params.get("group") == "1", key="group",
                  help="Dashed: the median (black) and the geometric mean of odds (grey) of the standing estimates.")  # fmt: skip
shared.remember("group", "1" if group else None)
log_odds = c2.toggle("Log-odds axis", value=st.query_params.get("log_odds") == "1", key="log_odds")
shared.remember("log_odds", "1" if log_odds else None)
today = datetime.now(UTC).date()
as_of = c3.date_input("Disagreement as of", value=_url_date() or today, key="date", format="YYYY-MM-DD")
shared.remember("date", as_of.isoformat() if as_of != today else None)
key = (tuple(question_ids), tuple(researchers), None if levels is None else tuple(levels))

# --- small multiples --------------------------------------------------------------------------
compared = _compare(*key, group, log_odds, as_of)
if compared.chart is None:
    st.info("No estimates for these researchers and levels: pick more above.")
    st.stop()
st.vega_lite_chart(compared.chart, width="content")
st.caption("One panel per question, on a shared time axis; dotted steps and hollow points are reconstructed.")

# --- tables -----------------------------------------------------------------------------------
st.subheader("How each researcher updates")
tables.show(
    compared.statistics[["researcher", "n_forecasts", "n_updates", "mean_abs_change_points", "mean_abs_change_log_odds",
           "largest_update_points", "largest_update_question", "total_movement_points", "net_movement_points",
           "share_with_reason", "days_since_last_update"]],
    column_config={
        "n_forecasts": "forecasts", "n_updates": "updates",
        "mean_abs_change_points": _points("mean |change| (points)"),
        "mean_abs_change_log_odds": st.column_config.NumberColumn("mean |change| (log-odds)", format="%.2f"),
        "largest_update_points": _points("largest update (points)", signed=True),
        "largest_update_question": "largest update on",
        "total_movement_points": _points("total movement (points)"),
        "net_movement_points": _points("net movement (points)", signed=True),
        "share_with_reason": st.column_config.NumberColumn("with a reason", format="percent"),
        "days_since_last_update": st.column_config.NumberColumn("days since last update", format="%.0f"),
    },
    hide_index=True,
    key="statistics_table",
)  # fmt: skip

st.subheader(f"Where they disagree most on {as_of.isoformat()}")
tables.show(
    compared.disagreement[["question", *LEVEL, "n_researchers", "spread_points", "min_probability", "median_probability",
           "max_probability", "std_log_odds"]],
    column_config={
        "n_researchers": "researchers", "spread_points": _points("spread (points)"),
        "min_probability": PERCENT, "median_probability": PERCENT, "max_probability": PERCENT,
        "std_log_odds": st.column_config.NumberColumn("sd of log-odds", format="%.2f"),
    },
    hide_index=True,
    key="disagreement_table",
)  # fmt: skip

st.subheader("Converged or diverged")
trends = compared.trends
tables.show(
    trends[["question", *LEVEL, "trend", "change_points", "spread_then_points", "since", "spread_now_points",
            "peak_points", "peak_at", "n_researchers"]],
    column_config={
        "change_points": _points("change (points)", signed=True),
        "spread_then_points": _points("spread then"), "since": DAY, "spread_now_points": _points("spread now"),
        "peak_points": _points("widest"), "peak_at": DAY, "n_researchers": "researchers",
    },
    hide_index=True,
    key="convergence_table",
)  # fmt: skip
shown_titles = [titles[i] for i in question_ids]
focus = trends["question"].iloc[0] if len(trends) else shown_titles[0]
spread_title = st.selectbox(
    "Spread over time of", shown_titles,
    index=shared.remembered("question", shown_titles, default=focus), key="question",
)  # fmt: skip
shared.remember("question", spread_title if spread_title != focus else None)
spread_id = question_ids[shown_titles.index(spread_title)]
st.vega_lite_chart(_spread_chart(*key, as_of, spread_id, log_odds), width="stretch")

st.subheader("Evidence impact")
impact = compared.impact
if impact.empty:
    st.caption("No forecast on these questions cites evidence.")
else:
    tables.show(
        impact.drop(columns="evidence_id"),
        column_config={
            "n_citing": "citing forecasts", "n_updates": "updates", "n_raised": "raised", "n_lowered": "lowered",
            "n_no_change": "no change", "n_unstated": "unstated",
            "sum_change_points": _points("total change (points)", signed=True),
            "sum_change_log_odds": st.column_config.NumberColumn("total change (log-odds)", format="%+.2f"),
        },
        hide_index=True,
        key="impact_table",
    )  # fmt: skip
