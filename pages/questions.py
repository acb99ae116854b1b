"""Questions: find a question, read its page, and curate it.

The list filters by text, tag, status, researcher and due date.  A question's page shows
every researcher's current estimate, the full forecast history (earlier versions and
deleted forecasts included), and lets you edit or delete a forecast (with Undo), edit the
question, resolve, annul or re-open it, and link it to the questions that move it.
Writes happen in button callbacks, before the page is drawn, so problems appear right
under the input they concern and nothing partial is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from models import actions, forms
from models.analysis import questions, record
from models.format import format_percent, format_time, plural
from models.frames import Frames
from models.limits import md_plain
from models.permissions import Actor
from models.schemas import ResolutionIn
from models.store import history
from pages import _shared as shared
from pages import _tables as tables

state = st.session_state
ANY = "any"
FORECAST_FIELDS = ("probability", "as_of", "capability", "rationale", "reconstructed", "evidence")
QUESTION_FIELDS = ("title", "criteria", "tags", "resolve_by", "review_every_days")
RESOLVE_FIELDS = ("outcome", "resolved_at", "capability", "note")
DAY, MINUTE = "YYYY-MM-DD", "YYYY-MM-DD HH:mm"
EARLIEST = date(1900, 1, 1)
#: How the tables' columns are labelled and formatted.
COLUMNS: dict[str, Any] = {
    "question": st.column_config.TextColumn("question", width="large"),
    "n_forecasts": "forecasts",
    "n_researchers": "researchers",
    "last_forecast": st.column_config.DatetimeColumn("last forecast", format=DAY),
    "resolve_by": st.column_config.DatetimeColumn("resolve by", format=DAY),
    "resolved_at": st.column_config.DatetimeColumn("resolved at", format=DAY),
    "due": "due",
    "level": "capability level",
    "probability": st.column_config.NumberColumn("probability", format="percent"),
    "as_of": st.column_config.DatetimeColumn("as of", format=MINUTE),
    "change_points": st.column_config.NumberColumn("change (points)", format="%+.1f"),
    "change_log_odds": st.column_config.NumberColumn("change (log-odds)", format="%+.2f"),
    "forecast_id": st.column_config.NumberColumn("forecast", format="#%d"),
    "recorded_at": st.column_config.DatetimeColumn("recorded", format=MINUTE),
    **tables.VERSION_COLUMNS,
    "deleted_at": st.column_config.DatetimeColumn("deleted", format=MINUTE),
    "resolution_level": "level reached",
    "resolution_note": "resolution note",
}
LIST_ORDER = ["question", "status", "tags", "n_forecasts", "n_researchers", "last_forecast", "resolve_by", "due",
              "resolved_at"]  # fmt: skip
ESTIMATE_ORDER = ["researcher", "level", "probability", "as_of", "change_points", "change_log_odds", "n_forecasts",
                  "rationale", "evidence", "reconstructed"]  # fmt: skip
HISTORY_ORDER = ["forecast_id", "version", "state", "researcher", "level", "probability", "as_of", "rationale",
                 "evidence", "reconstructed", "recorded_at", "written_at", "written_by", "replaced_at",
                 "replaced_by", "deleted_at"]  # fmt: skip


# --- cached reads (recomputed only after a write: keyed on the data version) ------------------


@shared.per_version(max_entries=16)
def _listing(
    today: str, search: str, tags: tuple[str, ...], status: str | None, researcher: str | None, due: bool
) -> pd.DataFrame:
    return questions.question_list(shared.frames(), search, tags, status, researcher, due)


@shared.per_version(max_entries=16)
def _find(ref: str | None) -> int | None:
    return questions.find_question(shared.frames(), ref)


@shared.per_version()
def _estimates(question_id: int) -> pd.DataFrame:
    return questions.current_estimates(shared.frames(), question_id)


@shared.per_version()
def _history(question_id: int) -> pd.DataFrame:
    return history.question_history(shared.engine(), question_id)


@shared.per_version()
def _versions(question_id: int) -> pd.DataFrame:
    return history.question_versions(shared.engine(), question_id)


@shared.per_version()
def _link_versions(question_id: int) -> pd.DataFrame:
    return history.link_versions(shared.engine(), question_id)


def _by() -> Actor | str:
    """Who is acting: the signed-in member (team mode), else the researcher remembered in the URL."""
    return shared.actor()


def _member() -> Actor | None:
    by = _by()
    return by if isinstance(by, Actor) else None


# --- writes (button callbacks) ----------------------------------------------------------------


def _save_forecast(forecast_id: int) -> None:
    def action() -> str:
        typed = {f: state.get(f"edit_{f}") for f in FORECAST_FIELDS}
        typed["evidence"] = tuple(shared.picked_evidence("edit_evidence", "edit_direction"))
        edit = forms.forecast_edit(state["_forecast_initial"], typed)
        if edit is None:
            return "Nothing changed."
        actions.edit_forecast(shared.engine(), forecast_id, edit, by=_by())
        state["_forecast_for"] = None  # reload the form from what was saved
        return f"Saved forecast #{forecast_id}; its earlier version stays in the history."

    shared.submit("forecast", action)


def _save_question(question_id: int) -> None:
    def action() -> str:
        typed = {f: state.get(f"q_{f}") for f in QUESTION_FIELDS}
        edit = forms.question_edit(state["_question_initial"], typed)
        if edit is None:
            return "Nothing changed."
        actions.edit_question(shared.engine(), question_id, edit, by=_by())
        state["_question_for"] = None
        state["question_pick"] = question_id  # keep it open under its new title
        return "Saved the question; its earlier version is listed under “Earlier versions”."

    shared.submit("question", action)


def _resolve(title: str) -> None:
    def action() -> str:
        data = ResolutionIn(
            question=title,
            outcome=state.get("resolve_outcome"),
            resolved_at=state.get("resolve_at"),
            capability=state.get("resolve_capability") or None,
            note=state.get("resolve_note") or "",
        )
        if not actions.resolve_question(shared.engine(), data, by=_by()):
            return f"Nothing changed: already resolved as {data.outcome} on {format_time(data.resolved_at)}."
        return f"Resolved as {data.outcome} on {format_time(data.resolved_at)}."

    shared.submit("resolve", action)


def _reopen(question_id: int) -> None:
    def action() -> str:
        actions.reopen_question(shared.engine(), question_id, by=_by(), note=state.get("reopen_note") or "")
        return "Re-opened; the resolution stays under “Earlier versions”."

    shared.submit("reopen", action)


def _add_link(question_id: int) -> None:
    def action() -> str:
        actions.link_questions(
            shared.engine(), question_id, state.get("link_target"), state.get("link_note") or "", by=_by()
        )
        state["link_target"] = None
        state["link_note"] = ""
        return "Linked."

    shared.submit("link", action)


# --- drawing ----------------------------------------------------------------------------------


def _status_line(row: pd.Series) -> str:
    if row["outcome"] is None:
        due = row["resolve_by"]
        text = "**Open**"
        if pd.notna(due):
            text += f" · resolve by {format_time(due)}"
            if due < pd.Timestamp.now(tz="UTC"):
                text += " · **due for resolution**"
        return text
    text = f"**Resolved: {row['outcome']}** on {format_time(row['resolved_at'])}"
    if row["resolution_level"]:
        text += f" at capability level “{md_plain(row['resolution_level'])}”"
    if row["resolution_note"]:
        text += f" — {md_plain(row['resolution_note'])}"
    return text


def _forecast_label(history: pd.DataFrame) -> dict[int, str]:
    current = history[history["state"] != "earlier version"]
    return {
        int(r.forecast_id): f"#{r.forecast_id} · {r.researcher}"
        + (f" · {r.level}" if r.level else "")
        + f" · {format_percent(r.probability)} · {format_time(r.as_of)}"
        + (" (deleted)" if r.state == "deleted" else "")
        for r in current.itertuples()
    }


def _forecast_tools(history: pd.DataFrame, levels: list[str], evidence_titles: list[str]) -> None:
    member = _member()
    if member is not None:  # team mode: only one's own forecasts can be changed
        history = history[history["researcher"] == member.handle]
    labels = _forecast_label(history)
    if not labels:
        st.caption("No forecasts of yours yet." if member is not None else "No forecasts yet.")
        return
    fid = st.selectbox(
        "Forecast",
        list(labels),
        format_func=labels.get,
        index=None,
        key="forecast",
        placeholder="Pick a forecast to edit, delete or restore",
    )
    shared.undo_notice("forecast")
    if fid is None:
        return
    row = history[(history["forecast_id"] == fid) & (history["state"] != "earlier version")].iloc[0]
    if row["state"] == "deleted":
        st.info(f"Forecast #{fid} is deleted: it is hidden from every view, export and score.")
        st.button(
            "Restore",
            key="restore_forecast",
            on_click=shared.restore_row,
            args=("forecast", fid, f"forecast #{fid}"),
        )
        return
    if state.get("_forecast_for") != fid or "edit_probability" not in state:
        initial = forms.forecast_form(row)
        for field, value in initial.items():
            state[f"edit_{field}"] = value
        # The same inputs as the Log forecast form: an evidence picker with a direction each.
        state["edit_evidence"] = [title for title, _ in initial["evidence"]]
        for title, direction in initial["evidence"]:
            state[shared.direction_widget("edit_direction", title)] = direction
        state["_forecast_initial"] = initial
        state["_forecast_for"] = fid
        shared.forget_problems("forecast")
    options = ["", *levels]
    if state["edit_capability"] not in options:
        options.append(state["edit_capability"])  # a level deleted since
    with st.container(border=True):
        st.number_input(
            "Probability (%)", step=0.1, format="%g", key="edit_probability", placeholder="e.g. 12.5"
        )
        shared.problem("forecast", "probability")
        st.date_input("As of", min_value=EARLIEST, key="edit_as_of", format="YYYY-MM-DD")
        shared.problem("forecast", "as_of")
        st.selectbox(
            "Capability level", options, key="edit_capability", format_func=lambda v: v or "unconditional"
        )
        shared.problem("forecast", "capability")
        st.text_area("Rationale", key="edit_rationale")
        shared.problem("forecast", "rationale")
        st.checkbox("Reconstructed estimate", key="edit_reconstructed")
        library = sorted(set(evidence_titles) | set(state.get("edit_evidence") or []))
        shared.evidence_picker(library, key="edit_evidence", direction_key="edit_direction")
        shared.problem("forecast", "evidence")
        st.button("Save changes", key="save_forecast", on_click=_save_forecast, args=(fid,))
    shared.other_problems("forecast", FORECAST_FIELDS)
    shared.delete_button("Delete this forecast", "forecast", fid, f"forecast #{fid}", key="delete_forecast")


def _question_editor(qid: int, row: pd.Series) -> None:
    if state.get("_question_for") != qid or "q_title" not in state:
        initial = forms.question_form(row)
        for field, value in initial.items():
            state[f"q_{field}"] = value
        state["_question_initial"] = initial
        state["_question_for"] = qid
        shared.forget_problems("question")
    with st.form("edit_question", border=True):
        st.text_input("Title", key="q_title")
        shared.problem("question", "title")
        st.text_area("Resolution criteria", key="q_criteria")
        shared.problem("question", "criteria")
        st.text_input("Tags", key="q_tags", help="Separated by ;")
        shared.problem("question", "tags")
        st.text_input("Resolve by", key="q_resolve_by", help="A date like 2026-06-30; empty for none")
        shared.problem("question", "resolve_by")
        st.text_input(
            "Review every (days)",
            key="q_review_every_days",
            placeholder="90",
            help="Estimates of this question are due for review this many days after they were last "
            "revisited; empty for the default, 90 days.",
        )
        shared.problem("question", "review_every_days")
        st.form_submit_button("Save question", key="save_question", on_click=_save_question, args=(qid,))
    shared.other_problems("question", QUESTION_FIELDS)
    with st.expander("Earlier versions"):
        versions = _versions(qid)
        tables.show(versions, hide_index=True, column_config=COLUMNS)


def _resolution(qid: int, row: pd.Series, levels: list[str]) -> None:
    if row["outcome"] is not None:
        st.text_input("Note on re-opening", key="reopen_note")
        st.button("Re-open", key="reopen", on_click=_reopen, args=(qid,))
        shared.other_problems("reopen", ())
        st.caption("Or change the resolution:")
    with st.form("resolve_form", border=True):
        st.radio(
            "Outcome",
            ["yes", "no", "annulled"],
            index=None,  # an outcome is chosen, never assumed
            key="resolve_outcome",
            horizontal=True,
            help="Annul when the question cannot be resolved as asked",
        )
        shared.problem("resolve", "outcome")
        st.text_input(
            "Resolved at",
            value=datetime.now(UTC).date().isoformat(),
            key="resolve_at",
            help="When the outcome became known: a date (2025-03-04) or a time, UTC",
        )
        shared.problem("resolve", "resolved_at")
        st.selectbox(
            "Capability level reached",
            ["", *levels],
            key="resolve_capability",
            format_func=lambda v: v or "not stated",
        )
        shared.problem("resolve", "capability")
        st.text_area("Note", key="resolve_note", placeholder="How it resolved, with a source")
        st.form_submit_button("Resolve", key="resolve", on_click=_resolve, args=(row["question"],))
    shared.other_problems("resolve", RESOLVE_FIELDS)


def _links(frames: Frames, qid: int, titles: dict[int, str]) -> None:
    links = questions.question_links(frames, qid)
    for link in links.itertuples():
        left, right = st.columns([6, 1])
        left.markdown(md_plain(link.reads + (f" — {link.note}" if link.note else "")))
        with right:
            shared.delete_button(
                "Remove", "question_link", int(link.link_id), "the link", key=f"remove_link_{link.link_id}"
            )
    if links.empty:
        st.caption("Not linked to other questions.")
    shared.undo_notice("question_link")
    versions = _link_versions(qid)
    if not versions.empty:
        # Removed links too, and who added or removed each.
        with st.expander("Earlier versions of these links"):
            tables.show(
                versions.drop(columns=["link_id"]),
                hide_index=True,
                column_config={**COLUMNS, "source": "P(…) moved", "target": "mostly because P(…) moved"},
                key="link_versions",
            )
    others = [i for i in titles if i != qid]
    st.selectbox(
        "P(this question) moved mostly because P(…) moved",
        others,
        format_func=titles.get,
        index=None,
        key="link_target",
        placeholder="Pick the other question",
    )
    shared.problem("link", "target")
    st.text_input("Note", key="link_note")
    st.button("Add link", key="add_link", on_click=_add_link, args=(qid,))
    shared.other_problems("link", ("target",))


def _hindsight(frames: Frames, qid: int) -> None:
    """Reconstructed estimates beside the record that stood on their date, per researcher."""
    f = frames.forecasts
    gaps = record.hindsight_gaps(f[f["question_id"] == qid])
    if gaps.empty:
        return
    st.subheader("Hindsight")
    st.caption(
        "Reconstructed estimates beside the contemporaneous record that stood on their date: "
        "how a researcher's memory of their own belief drifts."
    )
    for line in record.hindsight_sentences(gaps):
        st.text(line)
    summary = record.hindsight_summary(gaps)
    tables.show(
        summary,
        hide_index=True,
        column_config={
            "researcher": "researcher",
            "n_compared": "reconstructions compared",
            "mean_gap_points": st.column_config.NumberColumn("mean difference (points)", format="%+.1f"),
            "mean_abs_gap_points": st.column_config.NumberColumn(
                "mean size of difference (points)", format="%.1f"
            ),
        },
    )


def _question_page(frames: Frames, qid: int, titles: dict[int, str]) -> None:
    row = frames.questions.set_index("question_id").loc[qid]
    levels = frames.levels["level"].tolist()
    st.header(md_plain(row["question"]))
    st.markdown(_status_line(row))
    if row["criteria"]:
        st.text(row["criteria"])
    if row["tags"]:
        st.caption(md_plain("Tags: " + ", ".join(row["tags"])))

    st.subheader("Current estimates")
    estimates = _estimates(qid)
    if estimates.empty:
        st.caption("Nobody has forecast this question yet.")
    else:
        tables.show(estimates, hide_index=True, column_config=COLUMNS, column_order=ESTIMATE_ORDER)

    _hindsight(frames, qid)

    st.subheader("Forecast history")
    history = _history(qid)
    st.caption("Every forecast with its earlier versions; deleted forecasts stay listed, marked deleted.")
    tables.show(history, hide_index=True, column_config=COLUMNS, column_order=HISTORY_ORDER)

    edit_tab, resolve_tab, question_tab, links_tab = st.tabs(
        ["Edit or delete a forecast", "Resolve", "Edit question", "Linked questions"]
    )
    with edit_tab:
        _forecast_tools(history, levels, frames.evidence["evidence"].tolist())
    with resolve_tab:
        member = _member()
        if member is not None and not member.admin:
            st.caption("Only an admin resolves or re-opens questions.")
        else:
            _resolution(qid, row, levels)
    with question_tab:
        _question_editor(qid, row)
    with links_tab:
        _links(frames, qid, titles)


def main() -> None:
    st.title("Questions")
    frames = shared.frames()
    if frames.questions.empty:
        st.info("No questions yet. Add one on the Log forecast page, or import a file.")
        return

    # Every filter is kept in the URL (?search=…&tags=a,b&status=open&by=handle&due=1).
    c1, c2, c3, c4 = st.columns([3, 2, 1, 2])
    search = c1.text_input(
        "Search",
        value=st.query_params.get("search", ""),
        key="q_search",
        placeholder="Words in the title, criteria or tags",
    )
    all_tags = shared.tags()
    tags = c2.multiselect(
        "Tags",
        all_tags,
        default=shared.remembered_list("tags", all_tags),
        key="q_tags_filter",
        placeholder="any tag",
    )
    statuses = [ANY, *questions.STATUSES]
    status = c3.selectbox(
        "Status", statuses, index=shared.remembered("status", statuses) or 0, key="q_status"
    )
    handles = shared.researchers()["handle"].tolist()
    researcher = c4.selectbox(
        "Forecast by",
        handles,
        index=shared.remembered("by", handles),
        key="q_researcher",
        placeholder="anyone",
    )
    due = st.checkbox(
        "Only questions due for resolution (resolve-by date passed, still open)",
        value=st.query_params.get("due") == "1",
        key="q_due",
    )
    shared.remember("search", search.strip())
    shared.remember_list("tags", tags)
    shared.remember("status", None if status == ANY else status)
    shared.remember("by", researcher)
    shared.remember("due", "1" if due else None)
    today = datetime.now(UTC).date().isoformat()
    listing = _listing(today, search, tuple(tags), None if status == ANY else status, researcher, due)
    st.caption(
        f"{len(listing)} of {plural(len(frames.questions), 'question')} · click a row to open its question"
    )
    table = tables.show(
        listing,
        hide_index=True,
        column_config=COLUMNS,
        column_order=LIST_ORDER,
        on_select="rerun",
        selection_mode="single-row",
        key="q_table",
    )

    titles: dict[int, str] = dict(
        zip(frames.questions["question_id"], frames.questions["question"], strict=True)
    )
    listed = listing["question_id"].tolist()
    rows = table.selection.rows if table is not None else []
    clicked = listed[rows[0]] if rows and rows[0] < len(listed) else None
    if clicked is not None and clicked != state.get("_q_clicked"):
        # A newly clicked row opens its question: through the URL, as a bookmarked link would.
        st.query_params["question"] = titles[clicked]
        state.pop("question_pick", None)
    state["_q_clicked"] = clicked
    wanted = _find(st.query_params.get("question"))
    qid: Any = st.selectbox(
        "Question",
        listed,
        format_func=titles.get,
        key="question_pick",
        index=listed.index(wanted) if wanted in listed else None,
        placeholder="Pick a question to open its page",
    )
    shared.remember("question", titles.get(qid) if qid is not None else None)
    if qid is not None:
        _question_page(frames, int(qid), titles)


main()
