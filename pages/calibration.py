"""Calibration: how well researchers' resolved forecasts matched what happened.

Three charts in tabs (only the open one is computed): a reliability diagram (one researcher,
several overlaid, or everyone pooled), a sharpness histogram, and the last 12 months against
all time.  Below them the scores of every researcher with their peers, coverage and the
Murphy decomposition, and the questions that hurt most.  Every filter, and the open tab, is
kept in the URL, so a link reopens the same view.  Which forecasts count and how
each score is defined: :mod:`models.analysis.scoring` (and the README's "Scoring" section).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st
from pydantic import ValidationError

from models.analysis import calibration as cal
from models.analysis import score_table as score_columns
from models.analysis.scoring import Scope, Scored, select_scored, target_scores
from models.charts.calibration import reliability_chart, sharpness_chart
from models.charts.trajectory import to_spec
from models.format import parse_time
from models.frames import Frames
from models.limits import md_plain
from models.writeup.tables import frame_csv
from pages import _shared as shared
from pages import _tables as tables

state = st.session_state
UNCONDITIONAL = shared.UNCONDITIONAL
FINAL, UPDATES = "final forecasts", "all updates"
BRIER_NOTE = "Brier here is one-sided: 0 is best, 1 is worst (Fatebook shows the two-sided 0–2 form)."
NOTHING_SCORED = (
    "Nothing to score yet: no forecast was made before a question resolved yes or no"
    " (annulled and open questions are not scored)."
)
NOTHING_IN_FILTERS = "No scored forecast matches these filters: widen the tags, dates or capability levels."
SCORE = st.column_config.NumberColumn(format="%.3f")
#: The chart tabs, in order: the reliability diagram, sharpness, calibration over time.
CHARTS = ("Reliability", "Sharpness", "Over time")
#: The periods of ``calibration_over_time`` (its default of 12 months).
PERIODS = ("last 12 months", "all time")
#: The score table's columns: (name, label, help).
TABLE = score_columns.COLUMNS
#: How many of the targets that hurt most the page shows (all of them download as CSV): a
#: browser table of a million rows would be sent again on every rerun.
BREAKDOWN_SHOWN = 1000


# --- cached scoring (recomputed only after a write or a change of filters) --------------------

# Each read is keyed on the data version and the selection: which forecasts (the scope, as
# JSON) and whether reconstructed estimates count.  Shared, not copied: a rerun gets the same
# read-only frames and chart specs back instead of recomputing or unpickling them.
Selection = tuple[str, bool]
#: A chart's Vega-Lite spec (see ``_spec``).
Spec = dict[str, Any]


def _selection(scope: Scope, reconstructed: bool) -> Selection:
    return scope.model_dump_json(), reconstructed


@shared.per_version(shared=True, max_entries=16, spinner="Scoring…")
def _scored(sel: Selection) -> Scored:
    scope, reconstructed = sel
    return select_scored(
        shared.frames(), Scope.model_validate_json(scope), include_reconstructed=reconstructed
    )


@shared.per_version(shared=True, max_entries=16)
def _targets(sel: Selection) -> pd.DataFrame:
    return target_scores(_scored(sel))


@shared.per_version(shared=True, max_entries=16)
def _score_table(sel: Selection) -> pd.DataFrame:
    return score_columns.score_table(_scored(sel), _targets(sel))


@shared.per_version(shared=True, max_entries=16)
def _breakdown(sel: Selection) -> pd.DataFrame:
    return cal.target_breakdown(_targets(sel))


@shared.per_version(shared=True, max_entries=16)
def _worst(sel: Selection) -> pa.Table:
    """The :data:`BREAKDOWN_SHOWN` rows of the breakdown that hurt most, as sent to the browser."""
    return shared.arrow(_breakdown(sel).head(BREAKDOWN_SHOWN))


@shared.per_version(shared=True, max_entries=16)
def _reliability_chart(sel: Selection, pooled: bool, made: datetime) -> Spec:
    buckets = cal.calibration_intervals(cal.calibration_table(_targets(sel), pooled=pooled))
    return _spec(reliability_chart(buckets, made=made), natural=True)


@shared.per_version(shared=True, max_entries=16)
def _sharpness_chart(sel: Selection, count: str, pooled: bool, made: datetime) -> Spec:
    if count == FINAL:
        used = cal.sharpness(_targets(sel), "final", pooled=pooled)
    else:
        used = cal.sharpness(_scored(sel).forecasts, "probability", pooled=pooled)
    what = f"{count.capitalize()} on resolved questions, by 10% bucket"
    return _spec(sharpness_chart(used, what=what, made=made))


@shared.per_version(shared=True, max_entries=16)
def _over_charts(sel: Selection, pooled: bool, made: datetime) -> dict[str, Spec | None]:
    """Each period's reliability chart (None: nothing resolved in it)."""
    over = cal.calibration_over_time(_targets(sel), made, pooled=pooled)
    charts: dict[str, Spec | None] = {}
    for period in PERIODS:
        part = over[over["period"] == period]
        what = "Final forecasts on questions resolved " + (
            "at any time" if period == "all time" else f"in the {period}"
        )
        charts[period] = (
            None
            if part.empty
            else _spec(
                reliability_chart(
                    cal.calibration_intervals(part.drop(columns=["period"])),
                    title=f"Calibration, {period}",
                    what=what,
                    made=made,
                )
            )
        )
    return charts


# --- filters kept in the URL ------------------------------------------------------------------


def _from_url_many(key: str, param: str, options: list[str]) -> None:
    """Fill a multiselect's state from ``?param=a,b`` the first time the page runs."""
    if key not in state:
        state[key] = shared.remembered_list(param, options)


def _from_url_date(key: str, param: str) -> None:
    if key not in state:
        try:
            state[key] = date.fromisoformat(st.query_params.get(param, ""))
        except ValueError:
            state[key] = None


def _filters(frames: Frames, handles: list[str]) -> tuple[Scope | None, bool, list[str]]:
    """The filter widgets; returns the scope (None when the dates contradict), reconstructed, researchers."""
    levels = [UNCONDITIONAL, *frames.levels["level"].tolist()]
    tags = shared.tags()
    _from_url_many("cal_researchers", "researchers", handles)
    _from_url_many("cal_tags", "tags", tags)
    _from_url_many("cal_levels", "levels", levels)
    _from_url_date("cal_from", "from")
    _from_url_date("cal_before", "before")
    if "cal_reconstructed" not in state:
        state["cal_reconstructed"] = st.query_params.get("reconstructed") == "yes"

    chosen = st.multiselect(
        "Researchers",
        handles,
        key="cal_researchers",
        placeholder="everyone, pooled",
        help="Pick one researcher, or several to overlay them; leave empty to pool everyone",
    )
    c1, c2, c3, c4 = st.columns([3, 3, 2, 2])
    tag_pick = c1.multiselect("Tags", tags, key="cal_tags", placeholder="any tag")
    level_pick = c2.multiselect(
        "Capability level",
        levels,
        key="cal_levels",
        placeholder="any level",
        help="“unconditional” is forecasts not conditioned on a capability level",
    )
    since = c3.date_input("Resolved from", value=None, key="cal_from", format="YYYY-MM-DD")
    before = c4.date_input("Resolved before", value=None, key="cal_before", format="YYYY-MM-DD")
    reconstructed = st.toggle(
        "Include reconstructed estimates",
        key="cal_reconstructed",
        help="Reconstructed estimates are written afterwards, with hindsight, so they are left out by default",
    )
    scope: Scope | None
    try:
        scope = Scope(
            tags=tuple(tag_pick) or None,
            levels=tuple(None if name == UNCONDITIONAL else name for name in level_pick) or None,
            resolved_since=parse_time(since) if since else None,
            resolved_until=parse_time(before) if before else None,
        )
    except ValidationError:
        scope = None
        c4.error("“Resolved before” must be later than “Resolved from”.")

    shared.remember_list("researchers", chosen)
    shared.remember_list("tags", tag_pick)
    shared.remember_list("levels", level_pick)
    shared.remember("from", since.isoformat() if since else None)
    shared.remember("before", before.isoformat() if before else None)
    shared.remember("reconstructed", "yes" if reconstructed else None)
    if reconstructed:
        st.caption(
            "Reconstructed estimates are included: they were written with hindsight, so their scores flatter."
        )
    return scope, reconstructed, chosen


# --- drawing ----------------------------------------------------------------------------------


def _table_config() -> dict[str, Any]:
    formats = {"n_targets": "%d", "n_forecasts": "%d", "coverage": "percent"}
    config: dict[str, Any] = {"researcher": st.column_config.TextColumn("researcher")}
    for name, label, help_text in TABLE[1:]:
        config[name] = st.column_config.NumberColumn(label, help=help_text, format=formats.get(name, "%.3f"))
    return config


def _scores_section(sel: Selection, scope: Scope, reconstructed: bool) -> None:
    st.subheader("Scores")
    st.caption(
        "Final forecast of each target (researcher, question, capability level) before resolution; "
        f"“{score_columns.POOLED}” pools every target. {BRIER_NOTE}"
    )
    tables.show(_score_table(sel), hide_index=True, column_config=_table_config(), key="score_table")

    st.subheader("Which questions hurt most")
    handles = sorted(_targets(sel)["researcher"].unique().tolist())
    who = st.selectbox(
        "Breakdown for",
        handles,
        index=shared.remembered("breakdown", handles),
        key="cal_breakdown",
        placeholder="every researcher",
    )
    shared.remember("breakdown", who)
    rows = sel if who is None else _selection(scope.model_copy(update={"researchers": (who,)}), reconstructed)
    breakdown = _breakdown(rows)
    if len(breakdown) > BREAKDOWN_SHOWN:
        st.caption(f"The {BREAKDOWN_SHOWN:,} targets that hurt most, of {len(breakdown):,}.")
    tables.show(
        _worst(rows),
        hide_index=True,
        key="breakdown_table",
        column_config={
            "question_id": None,
            "question": st.column_config.TextColumn(width="large"),
            "level": st.column_config.TextColumn("capability level"),
            "final": st.column_config.NumberColumn("final forecast", format="percent"),
            "brier": SCORE,
            "log_score": st.column_config.NumberColumn("log score", format="%.3f"),
        },
    )
    if len(breakdown) > BREAKDOWN_SHOWN:
        st.download_button(
            f"Download all {len(breakdown):,} as CSV",
            data=lambda: frame_csv(breakdown),  # written only when clicked (on another thread)
            file_name="calibration-breakdown.csv",
            mime="text/csv",
            key="breakdown_csv",
            icon=":material/download:",
        )


def _spec(chart: alt.TopLevelMixin, natural: bool = False) -> Spec:
    """The chart's Vega-Lite spec, drawn as it would be exported (Credence's chart style).

    ``natural``: keep the chart's own size (a square reliability diagram) and put axes and
    legend around it, instead of squeezing everything into the chart's width.  Cached as a
    spec: Altair validates a chart against the Vega-Lite schema each time it is drawn.
    """
    if natural:
        chart = chart.properties(autosize=alt.AutoSizeParams(type="pad", contains="padding"))
    return to_spec(chart)


def _draw(spec: Spec, natural: bool = False) -> None:
    st.vega_lite_chart(spec, width="content" if natural else "stretch", theme=None)


def _reliability(sel: Selection, pooled: bool, made: datetime) -> None:
    _draw(_reliability_chart(sel, pooled, made), natural=True)
    st.caption(
        "Each point is a 10% bucket of final forecasts: its mean forecast against the share that "
        "resolved yes, sized by the number of targets, with a 90% (Wilson) interval. "
        "A well-calibrated forecaster's points lie on the dashed diagonal."
    )


def _sharpness(sel: Selection, pooled: bool, made: datetime) -> None:
    count = st.radio(
        "Count",
        [FINAL, UPDATES],
        index=shared.remembered("sharpness", [FINAL, UPDATES]) or 0,
        key="cal_sharpness",
        horizontal=True,
        help="How often each probability was used: final forecasts only, or every scored update",
    )
    shared.remember("sharpness", count if count != FINAL else None)
    _draw(_sharpness_chart(sel, count, pooled, made))


def _over_time(sel: Selection, pooled: bool, made: datetime) -> None:
    charts = _over_charts(sel, pooled, made)
    for column, period in zip(st.columns(2), PERIODS, strict=True):
        chart = charts[period]
        with column:
            if chart is None:
                st.info(f"No question in these filters resolved in the {period}.")
                continue
            _draw(chart)


def main() -> None:
    st.title("Calibration")
    st.info(BRIER_NOTE, icon=":material/info:")
    frames = shared.frames()
    handles = shared.researchers()["handle"].tolist()
    scope, reconstructed, chosen = _filters(frames, handles)
    if scope is None:
        return
    sel = _selection(scope, reconstructed)
    if _targets(sel).empty:
        st.info(NOTHING_IN_FILTERS if scope != Scope() else NOTHING_SCORED, icon=":material/search_off:")
        return
    chosen_sel = (
        _selection(scope.model_copy(update={"researchers": tuple(chosen)}), reconstructed) if chosen else sel
    )
    # To the hour: the charts (and the end of "the last 12 months") are cached per hour.
    made = shared.this_hour().to_pydatetime()
    pooled = not chosen
    chosen_empty = _targets(chosen_sel).empty
    if chosen_empty:
        st.info(
            md_plain(f"{', '.join(chosen)}: no scored forecast in these filters."),
            icon=":material/search_off:",
        )
    else:
        # Only the open tab's chart is computed; the open tab is kept in the URL (?chart=Sharpness).
        tabs = st.tabs(list(CHARTS), key="chart", on_change="rerun", bind="query-params", default=CHARTS[0])
        for tab, draw in zip(tabs, (_reliability, _sharpness, _over_time), strict=True):
            with tab:
                if tab.open:
                    draw(chosen_sel, pooled, made)
    _scores_section(sel, scope, reconstructed)


main()
