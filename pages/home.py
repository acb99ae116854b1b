"""Home: what needs the current researcher's attention today (the landing page).

Their standing estimates, those due for review (with a one-click Reaffirm), questions due
for resolution, colleagues' recent updates on questions they also forecast, and
inconsistencies among their linked beliefs.  The lists come from
:mod:`models.analysis.attention`; Reaffirm is :func:`models.actions.reaffirm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from models import actions
from models.analysis import attention
from models.format import format_percent, plural
from models.limits import md_plain
from pages import _shared as shared
from pages import _tables as tables

state = st.session_state
#: At most this many due estimates get a Reaffirm button; the rest are listed in a table.
REAFFIRM_ROWS = 15
DAY = "YYYY-MM-DD"
COLUMNS: dict[str, Any] = {
    "question": st.column_config.TextColumn("question", width="large"),
    "level": "capability level",
    "probability": st.column_config.NumberColumn("estimate", format="%.1f%%"),
    "from_probability": st.column_config.NumberColumn("from", format="%.1f%%"),
    "as_of": st.column_config.DatetimeColumn("as of", format=DAY),
    "recorded_at": st.column_config.DatetimeColumn("recorded", format=DAY),
    "resolve_by": st.column_config.DatetimeColumn("resolve by", format=DAY),
    "change_points": st.column_config.NumberColumn("last change (points)", format="%+.1f"),
    "days_since": st.column_config.NumberColumn("days since", format="%d"),
    "days_overdue": st.column_config.NumberColumn("days overdue", format="%d"),
    "researcher": "researcher",
    "rationale": "rationale",
}


def _percent(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Probabilities as percentages for display (``79.2%`` everywhere), blanks for none."""
    return df.assign(**{c: df[c] * 100.0 for c in columns if c in df.columns})


def _level(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(level=df["level"].where(df["level"].notna(), shared.UNCONDITIONAL))


def _reaffirm(forecast_id: int, researcher: str) -> None:
    def action() -> str:
        saved = actions.reaffirm(
            shared.engine(),
            forecast_id,
            note=state.get(f"note:{forecast_id}") or "",
            by=shared.actor() or researcher,
        )
        state[f"note:{forecast_id}"] = ""
        return saved.message()

    shared.submit("reaffirm", action)


def _due_list(due: pd.DataFrame, researcher: str) -> None:
    st.subheader("Due for review")
    if due.empty:
        st.caption("Nothing is due: every estimate was revisited within its review interval.")
        return
    st.caption(
        f"{plural(len(due), 'estimate')} not revisited for longer than the question's review interval "
        f"(default {attention.DEFAULT_REVIEW_DAYS} days). Reaffirm records the same estimate again as of "
        "today; or log a new one."
    )
    for row in due.head(REAFFIRM_ROWS).itertuples():
        fid = int(row.forecast_id)
        with st.container(border=True):
            left, middle, right = st.columns([5, 3, 1.4], vertical_alignment="center")
            level = "" if row.level is None else f" · {row.level}"
            left.text(f"{row.question}{level}")
            left.caption(
                f"{format_percent(row.probability)} as of {row.as_of:%Y-%m-%d} · "
                f"{plural(int(row.days_since), 'day')} ago · review every "
                f"{plural(int(round(float(row.interval_days))), 'day')}"
            )
            middle.text_input(
                "Note", key=f"note:{fid}", placeholder="Note (optional)", label_visibility="collapsed"
            )
            right.button(
                f"Reaffirm {format_percent(row.probability)}",
                key=f"reaffirm:{fid}",
                on_click=_reaffirm,
                args=(fid, researcher),
            )
    if len(due) > REAFFIRM_ROWS:
        rest = _level(_percent(due.iloc[REAFFIRM_ROWS:], "probability"))
        tables.show(
            rest,
            hide_index=True,
            column_config=COLUMNS,
            column_order=["question", "level", "probability", "as_of", "days_since"],
        )


@dataclass(frozen=True)
class Attention:
    """Everything Home lists for one researcher (from :mod:`models.analysis.attention`)."""

    due: pd.DataFrame
    standing: pd.DataFrame
    due_resolution: pd.DataFrame
    recent: pd.DataFrame
    inconsistent: pd.DataFrame


@shared.per_version(shared=True, max_entries=16)
def _attention(researcher: str, now: pd.Timestamp) -> Attention:
    frames = shared.frames()
    return Attention(
        due=attention.due_for_review(frames.forecasts, frames.questions, now, researcher),
        standing=attention.standing_estimates(frames.forecasts, researcher),
        due_resolution=attention.due_for_resolution(frames.questions, now),
        recent=attention.colleague_updates(frames.forecasts, researcher, now),
        inconsistent=attention.linked_inconsistencies(frames, researcher, now),
    )


def _log_forecast_link() -> None:
    """One click to the Log forecast page, the fastest path to a new estimate."""
    try:
        st.page_link("pages/log_forecast.py", label="Log a forecast", icon=":material/edit_note:")
    except StreamlitAPIException:
        pass  # the page run on its own (a page test): there is no navigation to link into


def main() -> None:
    st.title("Home")
    researcher = shared.researcher_picker("You are")
    _log_forecast_link()
    shared.other_problems("reaffirm", ())
    if researcher is None:
        st.info(
            "Pick who you are to see your estimates, what is due for review and your colleagues' updates."
        )
        return
    lists = _attention(researcher, shared.this_hour())

    _due_list(lists.due, researcher)

    st.subheader("Your standing estimates")
    standing = lists.standing
    if standing.empty:
        st.caption(md_plain(f"{researcher} has no forecasts yet."))
    else:
        tables.show(
            _level(_percent(standing, "probability")),
            hide_index=True,
            column_config=COLUMNS,
            column_order=["question", "level", "probability", "as_of", "change_points"],
        )

    st.subheader("Questions due for resolution")
    due_resolution = lists.due_resolution
    if due_resolution.empty:
        st.caption("No open question is past its resolve-by date.")
    else:
        st.caption("Open questions past their resolve-by date: resolve them on the Questions page.")
        tables.show(
            due_resolution,
            hide_index=True,
            column_config=COLUMNS,
            column_order=["question", "resolve_by", "days_overdue"],
        )

    st.subheader("Colleagues' recent updates")
    recent = lists.recent
    if recent.empty:
        st.caption(
            f"No colleague logged an estimate in the last {attention.RECENT_DAYS} days on a question you forecast."
        )
    else:
        tables.show(
            _level(_percent(recent, "probability", "from_probability")),
            hide_index=True,
            column_config=COLUMNS,
            column_order=[
                "researcher",
                "question",
                "level",
                "from_probability",
                "probability",
                "change_points",
                "as_of",
                "rationale",
            ],
        )

    st.subheader("Linked beliefs")
    inconsistent = lists.inconsistent
    if inconsistent.empty:
        st.caption("No inconsistencies among your linked beliefs.")
    else:
        tables.show(inconsistent, hide_index=True)


main()
