"""Evidence: the library of papers, results and observations that forecasts cite.

For each item: which forecasts it moved and by how much (researcher, question, stated
direction, change in points and log-odds, from ``models.analysis.updates``).  Add an item, edit one,
or delete it (with Undo); deleted items disappear from every forecast's evidence.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from models import actions
from models.analysis import evidence as evidence_library
from models.analysis.updates import evidence_impact
from models.format import format_time, plural
from models.limits import md_plain, web_links
from models.schemas import EvidenceIn
from models.vocab import EvidenceKind, EvidenceStatus
from pages import _shared as shared
from pages import _tables as tables

state = st.session_state
KINDS = [k.value for k in EvidenceKind]
FIELDS = ("title", "kind", "url", "date", "summary", "status", "observed")
STATUSES = [s.value for s in reversed(EvidenceStatus)]  # observed first: most evidence is
POINTS = st.column_config.NumberColumn("change (points)", format="%+.1f")
LOG_ODDS = st.column_config.NumberColumn("change (log-odds)", format="%+.2f")
#: How the tables' columns are labelled and formatted.
COLUMNS: dict[str, Any] = {
    "evidence": st.column_config.TextColumn("title", width="medium"),
    "url": st.column_config.LinkColumn("URL"),
    "published": st.column_config.DatetimeColumn("date", format="YYYY-MM-DD"),
    "n_citing": "citing forecasts",
    "n_updates": "of them updates",
    "n_researchers": "researchers",
    "n_raised": "raised",
    "n_lowered": "lowered",
    "n_no_change": "no change",
    "n_unstated": "direction not stated",
    "sum_change_points": POINTS,
    "sum_change_log_odds": LOG_ODDS,
    "change_points": POINTS,
    "change_log_odds": LOG_ODDS,
    "from_probability": st.column_config.NumberColumn("from", format="percent"),
    "to_probability": st.column_config.NumberColumn("to", format="percent"),
    "as_of": st.column_config.DatetimeColumn("as of", format="YYYY-MM-DD"),
    "level": "capability level",
    "forecast_id": st.column_config.NumberColumn("forecast", format="#%d"),
    "observed_at": st.column_config.DatetimeColumn("observed", format="YYYY-MM-DD"),
    **tables.VERSION_COLUMNS,
}
LIBRARY_ORDER = ["evidence", "kind", "published", "n_citing", "n_researchers", "n_raised", "n_lowered",
                 "sum_change_points", "sum_change_log_odds", "url", "summary"]  # fmt: skip
USAGE_ORDER = ["researcher", "question", "level", "as_of", "direction", "from_probability", "to_probability",
               "change_points", "change_log_odds", "note", "forecast_id"]  # fmt: skip


@shared.per_version(max_entries=4)
def _library() -> pd.DataFrame:
    return evidence_library.evidence_library(shared.frames())


@shared.per_version()
def _usage(evidence_id: int) -> pd.DataFrame:
    return evidence_library.evidence_usage(shared.frames(), [evidence_id])


@shared.per_version()
def _impact(evidence_id: int) -> pd.DataFrame:
    frames = shared.frames()
    usage = evidence_library.evidence_usage(frames, [evidence_id])
    impact = evidence_impact(frames, usage["question_id"].unique())
    return impact[impact["evidence_id"] == evidence_id].drop(columns=["evidence_id", "evidence"])


DEFAULTS = {"kind": "other", "status": "observed"}


def _typed(prefix: str) -> EvidenceIn:
    return EvidenceIn(**{f: state.get(f"{prefix}{f}") or DEFAULTS.get(f, "") for f in FIELDS})


def _add() -> None:
    def action() -> str:
        data = _typed("new_ev_")
        item_id = actions.create_evidence(shared.engine(), data, by=shared.actor())
        for f in FIELDS:
            state[f"new_ev_{f}"] = DEFAULTS.get(f, "")
        state["evidence_pick"] = item_id
        return f"Added “{data.title}”."

    shared.submit("add", action)


def _save(evidence_id: int) -> None:
    def action() -> str:
        data = _typed("ev_")
        actions.edit_evidence(shared.engine(), evidence_id, data, by=shared.actor())
        state["evidence_pick"] = evidence_id  # keep it selected under its new title
        return "Saved."

    shared.submit("edit", action)


def _fields(prefix: str, form: str) -> None:
    st.text_input("Title", key=f"{prefix}title")
    shared.problem(form, "title")
    st.selectbox("Kind", KINDS, key=f"{prefix}kind")
    shared.problem(form, "kind")
    st.text_input("URL", key=f"{prefix}url", placeholder="https://")
    shared.problem(form, "url")
    st.text_input(
        "Date", key=f"{prefix}date", placeholder="2025-03-04", help="When it was published or observed"
    )
    shared.problem(form, "date")
    st.text_area("Summary", key=f"{prefix}summary", height=80)
    shared.problem(form, "summary")
    st.selectbox(
        "Status", STATUSES, key=f"{prefix}status",
        help="Anticipated: a possible observation, for writing likelihood ratios down in advance.",
    )  # fmt: skip
    shared.problem(form, "status")
    st.text_input(
        "Observed", key=f"{prefix}observed", placeholder="2025-03-04",
        help="When it was observed (empty: the date above); leave empty while anticipated.",
    )  # fmt: skip
    shared.problem(form, "observed")


def _item(row: pd.Series, eid: int) -> None:
    st.header(md_plain(row["evidence"]))
    meta = [row["kind"]]
    if pd.notna(row["published"]):
        meta.append(format_time(row["published"]))
    if row["status"] == "anticipated":
        meta.append("anticipated (not observed yet)")
    elif pd.notna(row["observed_at"]):
        meta.append(f"observed {format_time(row['observed_at'])}")
    if row["url"]:
        meta.append(row["url"])
    st.caption(md_plain(" · ".join(meta)))
    if row["summary"]:
        st.text(row["summary"])

    st.subheader("How it moved forecasts")
    usage = _usage(eid)
    if usage.empty:
        st.caption("No forecast cites this item yet.")
    else:
        st.markdown("**By researcher** (sums over the citing updates; a first forecast adds nothing)")
        tables.show(_impact(eid), hide_index=True, column_config=COLUMNS)
        st.markdown("**Each citing forecast**")
        tables.show(usage, hide_index=True, column_config=COLUMNS, column_order=USAGE_ORDER)

    st.subheader("Edit")
    if state.get("_edit_for") != eid or "ev_title" not in state:
        state.update(
            {
                "ev_title": row["evidence"],
                "ev_kind": row["kind"] if row["kind"] in KINDS else "other",
                "ev_url": row["url"] or "",
                "ev_summary": row["summary"] or "",
                "ev_date": "" if pd.isna(row["published"]) else format_time(row["published"]),
                "ev_status": row["status"] if row["status"] in STATUSES else "observed",
                "ev_observed": "" if pd.isna(row["observed_at"]) else format_time(row["observed_at"]),
                "_edit_for": eid,
            }
        )
        shared.forget_problems("edit")
    with st.form("edit_evidence", border=True):
        _fields("ev_", "edit")
        st.form_submit_button("Save changes", key="save_evidence", on_click=_save, args=(eid,))
    shared.other_problems("edit", FIELDS)
    with st.expander("Earlier versions"):  # every edit, delete and restore, with who made it
        tables.show(
            shared.curated_versions("evidence", eid),
            hide_index=True,
            column_config=COLUMNS,
            key="evidence_versions",
        )
    shared.delete_button("Delete this item", "evidence", eid, f"“{row['evidence']}”", key="delete_evidence")


def main() -> None:
    st.title("Evidence")
    library = _library()
    st.caption(f"{plural(len(library), 'item')}. Changes are summed over the citing forecasts' updates.")
    if not library.empty:
        tables.show(
            library.assign(url=web_links(library["url"])),
            hide_index=True,
            column_config=COLUMNS,
            column_order=LIBRARY_ORDER,
        )

    titles: dict[int, str] = dict(zip(library["evidence_id"].astype(int), library["evidence"], strict=True))
    options = list(titles)
    wanted = st.query_params.get("evidence")
    by_title = {t: i for i, t in titles.items()}
    index = options.index(by_title[wanted]) if wanted in by_title else None
    eid: Any = st.selectbox(
        "Evidence item",
        options,
        format_func=titles.get,
        index=index,
        key="evidence_pick",
        placeholder="Pick an item to see which forecasts it moved",
    )
    shared.remember("evidence", titles.get(eid) if eid is not None else None)
    shared.undo_notice("evidence")
    if eid is not None:
        _item(library.set_index("evidence_id").loc[eid], int(eid))

    st.subheader("Add evidence")
    with st.form("add_evidence", border=True):
        for f, default in DEFAULTS.items():
            state.setdefault(f"new_ev_{f}", default)
        _fields("new_ev_", "add")
        st.form_submit_button("Add evidence", key="add_evidence", on_click=_add)
    shared.other_problems("add", FIELDS)


main()
