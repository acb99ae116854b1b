"""Belief trajectories: one question's estimates over time, per researcher and capability level.

Every filter lives in the URL, so a copied link reopens the same view:
``?question=<title>&researchers=a,b&levels=x,y&log_odds=1&date=YYYY-MM-DD`` (lists are
comma-separated; a missing list means everything, a missing date the latest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from models import actions
from models.analysis.decomposition import implied_lines, linked_forecasts
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
from models.charts.decomposition import implied_lines_chart
from models.charts.trajectory import capability_chart, to_spec, trajectory_chart
from models.format import day_end, utc
from models.limits import web_links
from models.permissions import Actor
from models.sharing import share_url
from pages import _shared as shared
from pages import _tables as tables

PERCENT = st.column_config.NumberColumn(format="percent")
POINTS = st.column_config.NumberColumn(format="%+.1f")
DAY = st.column_config.DatetimeColumn(format="YYYY-MM-DD")
#: Widgets whose options depend on the question: reset (back to the URL's lists) when it changes.
PER_QUESTION = ("researchers", "levels", "date")


def _new_question() -> None:
    for key in PER_QUESTION:
        st.session_state.pop(key, None)


@dataclass(frozen=True)
class Questions:
    titles: list[str]
    ids: list[int]
    default: int  #: index of the question shown when the URL names none


@shared.per_version(shared=True, max_entries=4)
def _questions() -> Questions:
    frames = shared.frames()
    q = frames.questions
    ids, titles = q["question_id"].astype(int).tolist(), q["question"].tolist()
    default = ids.index(choose_questions(frames, default=1).question_ids[0]) if len(frames.forecasts) else 0
    return Questions(titles, ids, default)


@shared.per_version(max_entries=16)
def _choices(question_id: int) -> tuple[list[str], list[str | None]]:
    """Who forecast the question, and at which levels."""
    view = frames_for(shared.frames(), [question_id])
    return researchers_of(view, [question_id]), level_choices(view, [question_id])


@dataclass(frozen=True)
class View:
    """What the page draws for one question, researchers, levels and axis."""

    chart: dict[str, Any] | None
    cited: pd.DataFrame
    implied: dict[str, Any] | None
    updates: pd.DataFrame
    days: list[str]


@shared.per_version(shared=True, max_entries=16)
def _view(
    question_id: int, researchers: tuple[str, ...], levels: tuple[str | None, ...] | None, log_odds: bool
) -> View:
    frames = shared.frames()
    view = frames_for(frames, [question_id])  # narrowed once: every call below is on this question
    people, lv = list(researchers), None if levels is None else list(levels)
    traj = trajectory(view, question_id, people, lv)
    cited = evidence_events(view, traj)
    chart = None
    if not traj.empty:
        chart = to_spec(
            trajectory_chart(traj, cited, resolution_of(view, question_id), log_odds, inline=False)
        )
    implied = None
    if levels is None:
        lines = implied_lines(
            linked_forecasts(frames), frames.questions, frames.partitions, question_id, people, utc(None)
        )
        title = frames.questions.set_index("question_id").at[question_id, "question"]
        implied = None if lines.empty else to_spec(implied_lines_chart(lines, title))
    days = [] if levels is None else [d.isoformat() for d in capability_dates(view, question_id)]
    return View(chart, cited, implied, updates(view, [question_id], people, lv), days)


@shared.per_version(shared=True, max_entries=16)
def _capability(
    question_id: int, day: str, researchers: tuple[str, ...], levels: tuple[str | None, ...], log_odds: bool
) -> dict[str, Any] | None:
    view = frames_for(shared.frames(), [question_id])
    curve = capability_curve(view, question_id, day_end(day), list(researchers), list(levels))
    return None if curve.empty else to_spec(capability_chart(curve, log_odds, inline=False))


@shared.per_version(max_entries=16)
def _links(owner: str) -> pd.DataFrame:
    return actions.share_link_list(shared.engine(), owner)


st.title("Belief trajectories")
if shared.frames().forecasts.empty:
    st.info(
        "No forecasts yet: log one on the Log forecast page, import a file, or load the demo with `credence demo`."
    )
    st.stop()

# --- filters (kept in the URL) ----------------------------------------------------------------
listed = _questions()
titles = listed.titles
index = shared.remembered("question", titles)
if index is None:
    index = listed.default
title = st.selectbox("Question", titles, index=index, key="question", on_change=_new_question)
shared.remember("question", title)
question_id = listed.ids[titles.index(title)]

everyone, choices = _choices(question_id)
researchers = shared.researchers_picker(everyone)

levels = shared.level_picker(choices, one_by_default=True)  # one level at a time: a readable chart
conditional = levels is not None

log_odds = st.toggle(
    "Log-odds axis",
    value=st.query_params.get("log_odds") == "1",
    key="log_odds",
    help="Spreads out estimates near 0 % and 100 %: a step from 1 % to 2 % looks as big as one from 50 % to 67 %.",
)
shared.remember("log_odds", "1" if log_odds else None)

# --- the trajectory ---------------------------------------------------------------------------
shown = _view(question_id, tuple(researchers), None if levels is None else tuple(levels), log_odds)
if shown.chart is None:
    st.info("No estimates for these researchers and levels: pick more above.")
else:
    st.vega_lite_chart(shown.chart, width="stretch")
    st.caption(
        "Each step holds an estimate until the next one. Dotted steps and hollow points are "
        "reconstructed (written after the fact). Grey bars are evidence items: hover one to ring "
        "the estimates that cite it. A black rule marks the resolution."
    )

# --- implied estimates (linked beliefs) -------------------------------------------------------
if shown.implied is not None:
    st.subheader("Implied by decompositions")
    st.vega_lite_chart(shown.implied, width="stretch")
    st.caption(
        "Dashed: the estimate a researcher's own factors imply, P(A) = Σ P(Bᵢ) · P(A | Bᵢ); "
        "solid: their direct estimate. The Why it moved page splits a change into its parts."
    )

# --- the capability view ----------------------------------------------------------------------
if levels is not None:
    st.subheader("P(question | capability level)")
    days = shown.days
    if days:
        at = shared.remembered("date", days)
        day = st.select_slider(
            "Standing on", days, value=days[-1 if at is None else at], key="date",
            help="Each researcher's latest estimate per level made on or before this day.",
        )  # fmt: skip
        shared.remember("date", day if day != days[-1] else None)
        spec = _capability(question_id, day, tuple(researchers), tuple(levels), log_odds)
        if spec is None:
            st.info(f"No conditional estimate by these researchers on or before {day}.")
        else:
            st.vega_lite_chart(spec, width="stretch")

# --- tables -----------------------------------------------------------------------------------
st.subheader("Updates")
history = shown.updates
cited = shown.cited
tables.show(
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
    tables.show(
        cited[["date", "evidence", "cited_by", "url"]].assign(url=lambda d: web_links(d["url"])),
        column_config={"date": DAY, "url": st.column_config.LinkColumn("link")},
        hide_index=True,
        key="evidence_table",
    )

# --- share links ------------------------------------------------------------------------------


def _share_owner() -> str | None:
    by = shared.actor()
    if isinstance(by, Actor):
        return by.handle
    handles = shared.researchers()["handle"].tolist()
    return st.selectbox(
        "Share the forecasts of",
        handles,
        index=shared.remembered("researcher", handles),
        key="share_researcher",
    )


def _create_link(owner: str) -> None:
    def action() -> str:
        by_tag = st.session_state.get("share_what") == "A tag"
        chosen = st.session_state.get("share_questions") or []
        link = actions.create_share_link(
            shared.engine(),
            owner,
            question_ids=None if by_tag else [listed.ids[titles.index(t)] for t in chosen],
            tag=st.session_state.get("share_tag") if by_tag else None,
            label=st.session_state.get("share_label") or "",
            expires=st.session_state.get("share_expires"),
            by=shared.actor(),
        )
        base = urlsplit(st.context.url or "")
        st.session_state["share_made"] = share_url(
            f"{base.scheme}://{base.netloc}" if base.netloc else "", link.token
        )
        return "Made a share link. Copy it now: it is shown only this once."

    shared.submit("share", action)


def _revoke_link(link_id: int) -> None:
    shared.submit(
        "revoke", lambda: actions.revoke_share_link(shared.engine(), link_id, by=shared.actor()) or "Revoked."
    )


with st.expander("Share read-only"):
    st.caption(
        "A link that opens one researcher's trajectories and updates for chosen questions (or a tag), "
        "read-only and without signing in. Anyone with the link can open it until it expires or you revoke it."
    )
    owner = _share_owner()
    if owner:
        what = st.radio("Share", ["These questions", "A tag"], horizontal=True, key="share_what")
        if what == "A tag":
            st.selectbox("Tag", shared.tags(), key="share_tag")
        else:
            st.multiselect("Questions", titles, default=[title], key="share_questions")
        shared.problem("share", "questions")
        st.text_input("Label", key="share_label", placeholder="For the reading group")
        shared.problem("share", "label")
        st.date_input("Expires after", value=None, key="share_expires", help="Empty: until revoked")
        shared.problem("share", "expires")
        st.button("Create share link", key="create_share", on_click=_create_link, args=(owner,))
        shared.other_problems("share", ("questions", "label", "expires"))
        made = st.session_state.pop("share_made", None)
        if made:
            st.code(made, language=None)
        links = _links(owner)
        if not links.empty:
            tables.show(
                links.drop(columns=["researcher"]),
                hide_index=True,
                column_config={"created_at": DAY, "expires_at": DAY},
                key="share_links",
            )
            active = links[links["status"] == "active"]
            if not active.empty:
                labels = {int(r.id): f"#{r.id} · {r.label or r.shares}" for r in active.itertuples()}
                pick = st.selectbox(
                    "Link",
                    list(labels),
                    format_func=labels.get,
                    index=None,
                    key="revoke_pick",
                    placeholder="Pick a link to revoke",
                )
                if pick is not None:
                    st.button("Revoke", key="revoke_share", on_click=_revoke_link, args=(pick,))
            shared.other_problems("revoke", ())
