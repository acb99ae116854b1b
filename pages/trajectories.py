"""Belief trajectories: one question's estimates over time, per researcher and capability level.

Every filter lives in the URL, so a copied link reopens the same view:
``?question=<title>&researchers=a,b&levels=x,y&log_odds=1&date=YYYY-MM-DD`` (lists are
comma-separated; a missing list means everything, a missing date the latest).
"""

from __future__ import annotations

from urllib.parse import urlsplit

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
from models.permissions import Actor
from models.sharing import share_url
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

# --- implied estimates (linked beliefs) -------------------------------------------------------
if not conditional:
    lines = implied_lines(
        linked_forecasts(frames), frames.questions, frames.partitions, question_id, researchers, utc(None)
    )
    if not lines.empty:
        st.subheader("Implied by decompositions")
        st.altair_chart(implied_lines_chart(lines, title), width="stretch")
        st.caption(
            "Dashed: the estimate a researcher's own factors imply, P(A) = Σ P(Bᵢ) · P(A | Bᵢ); "
            "solid: their direct estimate. The Why it moved page splits a change into its parts."
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
            question_ids=None if by_tag else [int(questions.index[titles.index(t)]) for t in chosen],
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
            tags = sorted({t for ts in frames.questions["tags"] for t in ts})
            st.selectbox("Tag", tags, key="share_tag")
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
        links = actions.share_link_list(shared.engine(), owner)
        if not links.empty:
            st.dataframe(
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
