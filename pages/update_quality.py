"""Update quality: do researchers update well on questions that may never resolve?

Two views over the same forecasts: belief movement against uncertainty reduction (Augenblick &
Rabin), per researcher with intervals; and likelihood ratios written down before the evidence
arrived, against the updates the researchers then made.  A form records a new ratio.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from models import actions, forms
from models.analysis.likelihood import compare_updates, weighed_in_advance
from models.analysis.update_quality import researchers_update_quality, with_intervals
from models.charts.trajectory import to_spec
from models.charts.update_quality import excess_chart
from models.frames import Frames
from models.limits import md_plain
from pages import _shared as shared
from pages import _tables as tables

state = st.session_state
UNCONDITIONAL = shared.UNCONDITIONAL
EXPLANATION = (
    "For a Bayesian, the squared changes of a probability add up, on average, to how much its "
    "uncertainty π(1 − π) shrinks, whether or not the question ever resolves: excess movement above 0 "
    "means moving more than the evidence warrants (noisy over-reaction), below 0 sticking to old "
    "estimates. "
    "The figures mislead with few targets (read the interval, not the sign) and for estimates far from "
    "50%, where π(1 − π) hardly changes and Σm / Σr − 1 can swing wildly."
)
PROBABILITY = {"format": "percent"}
QUALITY_COLUMNS = {
    "researcher": "researcher",
    "n_targets": "targets",
    "movement": st.column_config.NumberColumn("movement Σm", format="%.4f"),
    "uncertainty_reduction": st.column_config.NumberColumn("uncertainty reduction Σr", format="%.4f"),
    "excess_movement": st.column_config.NumberColumn("mean excess", format="%+.4f"),
    "excess_low": st.column_config.NumberColumn("95% from", format="%+.4f"),
    "excess_high": st.column_config.NumberColumn("95% to", format="%+.4f"),
    "normalized_excess": st.column_config.NumberColumn("Σm/Σr − 1", format="%+.2f"),
    "updates_per_target": st.column_config.NumberColumn("updates per target", format="%.2f"),
    "mean_abs_change": st.column_config.NumberColumn("mean |change|", format="percent"),
    "reading": st.column_config.TextColumn("reading", width="large"),
}
COMPARE_COLUMNS = {
    "as_of": st.column_config.DatetimeColumn("as of", format="YYYY-MM-DD"),
    "researcher": "researcher",
    "question": st.column_config.TextColumn("question", width="medium"),
    "level": "capability level",
    "evidence": st.column_config.TextColumn("evidence", width="medium"),
    "ratio": st.column_config.NumberColumn("Π ratios", format="%.3g"),
    "decibans": st.column_config.NumberColumn("decibans", format="%+.1f"),
    "prior": st.column_config.NumberColumn("prior", format="percent"),
    "expected_posterior": st.column_config.NumberColumn("implied", format="percent"),
    "actual": st.column_config.NumberColumn("moved to", format="percent"),
    "share": st.column_config.NumberColumn("share of implied move", format="percent"),
    "registration": "ratio",
    "forecast_id": st.column_config.NumberColumn("forecast", format="#%d"),
}
WEIGHED_COLUMNS = {
    "question": st.column_config.TextColumn("question", width="medium"),
    "level": "capability level",
    "evidence": st.column_config.TextColumn("evidence", width="medium"),
    "change": "ratio",
    "decibans": st.column_config.NumberColumn("decibans", format="%+.1f"),
    "recorded_at": st.column_config.DatetimeColumn("written down", format="YYYY-MM-DD"),
    "registration": "registration",
    "outcome": st.column_config.TextColumn("what became of it", width="large"),
    "rationale": st.column_config.TextColumn("rationale", width="medium"),
}


@shared.per_version(shared=True)
def _quality(people: tuple[str, ...], tags: tuple[str, ...]) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The update-quality table and its chart (None when nobody qualifies)."""
    table = with_intervals(researchers_update_quality(shared.frames(), people or None, tags or None))
    return table, None if table.empty else to_spec(excess_chart(table))


@shared.per_version(max_entries=4)
def _forecasters() -> list[str]:
    return sorted(shared.frames().forecasts["researcher"].dropna().unique().tolist())


@shared.per_version(shared=True, max_entries=4)
def _compared(post_hoc: bool) -> pd.DataFrame:
    return compare_updates(shared.frames(), shared.ratios(), include_post_hoc=post_hoc)


@shared.per_version(shared=True, max_entries=4)
def _weighed() -> pd.DataFrame:
    return weighed_in_advance(shared.frames(), shared.ratios())


def _record() -> None:
    def action() -> str:
        capability = state.get("lr_capability")
        data = forms.ratio_input(
            researcher=state.get("lr_researcher"),
            question=state.get("lr_question"),
            capability=None if capability in (None, UNCONDITIONAL) else capability,
            evidence=state.get("lr_evidence"),
            ratio=state.get("lr_ratio"),
            as_of=state.get("lr_as_of"),
            today=date.today(),
            rationale=state.get("lr_rationale") or "",
        )
        actions.record_ratio(shared.engine(), data, by=shared.actor() or data.researcher)
        state["lr_ratio"] = ""
        state["lr_rationale"] = ""
        return f"Recorded {data.researcher}'s ratio ×{data.ratio:.3g} for “{data.evidence}”."

    shared.submit("ratio", action)


def _quality_section() -> None:
    handles = _forecasters()
    all_tags = shared.tags()
    left, right = st.columns(2)
    people = left.multiselect("Researchers", handles, key="uq_researchers", placeholder="Everyone")
    tags = right.multiselect("Question tags", all_tags, key="uq_tags", placeholder="Every question")
    table, chart = _quality(tuple(people), tuple(tags))
    if chart is None:
        st.info("No researcher has two contemporaneous estimates of one target yet.")
        return
    st.vega_lite_chart(chart, width="content", theme=None)
    tables.show(table, hide_index=True, column_config=QUALITY_COLUMNS, column_order=list(QUALITY_COLUMNS),
                 key="quality_table")  # fmt: skip


def _ratio_sections() -> None:
    st.header("Expected vs actual updates")
    st.caption(
        "Forecasts that cite observed evidence their researcher gave a likelihood ratio for on the same "
        "target: the update the ratios implied (odds × Π ratios, from the standing estimate just before) "
        "against the one made. A share of 100% is exactly as implied."
    )
    post_hoc = st.toggle("Include ratios written down after the evidence (post hoc)", key="include_post_hoc")
    compared = _compared(post_hoc)
    if compared.empty:
        st.caption("No forecast cites evidence with a pre-registered ratio yet.")
    else:
        tables.show(compared, hide_index=True, column_config=COMPARE_COLUMNS, column_order=list(COMPARE_COLUMNS),
                     key="compare_table")  # fmt: skip
    st.header("Evidence weighed in advance")
    weighed = _weighed()
    if weighed.empty:
        st.caption("Nobody has written down a likelihood ratio yet: use the form below.")
    for handle, rows in weighed.groupby("researcher", sort=True):
        st.subheader(md_plain(handle))
        tables.show(rows, hide_index=True, column_config=WEIGHED_COLUMNS, column_order=list(WEIGHED_COLUMNS),
                     key=f"weighed_{handle}")  # fmt: skip
    shared.undo_notice("likelihood_ratio")
    if not weighed.empty:
        labels = {
            int(r.ratio_id): f"{r.researcher}: {r.change} for “{r.evidence}” on “{r.question}”"
            + (f" at {r.level}" if r.level else "")
            for r in weighed.itertuples()
        }
        pick = st.selectbox("Delete a ratio", list(labels), format_func=labels.get, index=None, key="ratio_pick",
                            placeholder="Pick a ratio to delete (it can be restored with Undo)")  # fmt: skip
        if pick is not None:
            shared.delete_button(
                "Delete this ratio", "likelihood_ratio", pick, labels[pick], key="delete_ratio"
            )


def _ratio_form(frames: Frames) -> None:
    st.header("Write down a likelihood ratio")
    st.caption(
        "How much more likely is this evidence if the answer is yes than if it is no? "
        "Write 3, 1/3, 0.25, ×3 or ÷4. Add possible observations as anticipated evidence on the Evidence page."
    )
    questions = sorted(frames.questions["question"].tolist())
    levels = frames.levels["level"].tolist()
    evidence = sorted(frames.evidence["evidence"].tolist())
    with st.form("ratio_form", border=True):
        shared.researcher_picker(key="lr_researcher")
        shared.problem("ratio", "researcher")
        st.selectbox("Question", questions, index=None, key="lr_question")
        shared.problem("ratio", "question")
        st.selectbox("Capability level", [UNCONDITIONAL, *levels], key="lr_capability")
        shared.problem("ratio", "capability")
        st.selectbox("Evidence", evidence, index=None, key="lr_evidence")
        shared.problem("ratio", "evidence")
        st.text_input("Likelihood ratio", key="lr_ratio", placeholder="×3, ÷4, 1/3 or 0.25")
        shared.problem("ratio", "ratio")
        st.date_input("As of", key="lr_as_of")
        shared.problem("ratio", "as_of")
        st.text_area("Rationale", key="lr_rationale", height=80)
        st.form_submit_button("Record ratio", key="record_ratio", on_click=_record)
    shared.other_problems("ratio", ("researcher", "question", "capability", "evidence", "ratio", "as_of"))


def main() -> None:
    st.title("Update quality")
    st.caption("Whether researchers update well, on questions that may never resolve.")
    st.markdown(EXPLANATION)
    frames = shared.frames()
    _quality_section()
    _ratio_sections()
    _ratio_form(frames)


main()
