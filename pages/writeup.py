"""Write-up export: Markdown reports, tables and chart images to paste into posts and papers.

The same functions as ``credence export markdown`` and ``credence export chart``.  Heavy
results (update histories, the report text) are cached per data version and filter, and
downloads that take time are rendered when their button is clicked.  The cached helpers
take the database URL and data version as (hashed) arguments, so a write elsewhere shows on
the next rerun.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from models.charts import export as chart_export
from models.charts.trajectory import to_spec
from models.errors import CredenceError, InputError
from models.format import plural
from models.forms import progress_step
from models.limits import md_plain
from models.writeup import filters as report_filter
from models.writeup import report
from models.writeup import tables as report_tables
from pages import _tables as tables
from pages._shared import arrow, frames, per_version, remember, remember_list, remembered_list, version

#: Reports with more questions than this are downloaded, not previewed on the page.
PREVIEW_QUESTIONS = 20
EARLIEST = date(1900, 1, 1)
KIND_LABELS = {
    "trajectory": "Trajectory (one question)",
    "capability": "Capability curve (one question)",
    "comparison": f"Comparison (up to {chart_export.COMPARISON_PANELS} questions)",
    "calibration": "Calibration (resolved questions)",
}
REPORT_NAME = "credence-report"
#: The page's tabs; only the open one is computed.
TABS = ("Markdown report", "Tables", "Charts")

state = st.session_state


# Shared, not copied: a rerun gets the same frames back instead of unpickling 100,000 rows
# (and reformatting them for display) each time.  They are read-only.
@per_version(shared=True, spinner="Collecting update histories…")
def _history(filt: report_filter.ReportFilter) -> pd.DataFrame:
    return report_filter.history(frames(), filt)


@per_version(shared=True)
def _history_table(filt: report_filter.ReportFilter) -> pa.Table:
    return arrow(report_tables.history_table(_history(filt), with_question=True))


@per_version(shared=True)
def _standing(filt: report_filter.ReportFilter) -> pd.DataFrame:
    return report_filter.standing_estimates(frames(), filt)


@per_version(shared=True)
def _estimates_table(filt: report_filter.ReportFilter) -> pa.Table:
    return arrow(report_tables.estimates_table(_standing(filt), with_question=True))


@per_version(shared=True)
def _chart(request: chart_export.ChartRequest, until: date | None) -> tuple[Any, dict[str, Any], str]:
    """The chart, its Vega-Lite spec (drawn without validating it again on every rerun) and its
    file stem; raises ``CredenceError`` (not cached) when it cannot be drawn."""
    fr = frames()
    chart = chart_export.build_chart(fr, request, until=until)
    return chart, to_spec(chart), chart_export.file_stem(fr, request)


@per_version(max_entries=4)
def _options() -> dict[str, list[str]]:
    return report_filter.choices(frames())


@per_version(shared=True)
def _selected(filt: report_filter.ReportFilter) -> pd.DataFrame:
    return report_filter.report_questions(frames(), filt)


@per_version(spinner="Writing the report…")
def _report(filt: report_filter.ReportFilter, calibration: bool) -> str:
    return report.render_markdown(frames(), filt, calibration=calibration)


def _download(label: str, data: object, file_name: str, mime: str, key: str) -> None:
    st.download_button(label, data=data, file_name=file_name, mime=mime, key=key, icon=":material/download:")  # type: ignore[arg-type]


def _table_downloads(label: str, stem: str, as_csv: object, as_markdown: object, key: str) -> None:
    """Side by side: the table as CSV (key ``KEY_csv``) and as Markdown (``KEY_md``)."""
    left, right = st.columns(2)
    with left:
        _download(f"{label} (CSV)", as_csv, f"{stem}.csv", "text/csv", f"{key}_csv")
    with right:
        _download(f"{label} (Markdown)", as_markdown, f"{stem}.md", "text/markdown", f"{key}_md")


def _day(key: str) -> date | None:
    """The day named in the URL's ``?key=YYYY-MM-DD``, if it is one."""
    try:
        return date.fromisoformat(st.query_params.get(key, ""))
    except ValueError:
        return None


st.title("Write-up export")
st.caption(
    "Questions, estimates and update histories as Markdown for a forum post or a paper draft; "
    "tables as CSV and Markdown; charts as PNG and SVG. The CLI does the same: "
    "`credence export markdown FILE`, `credence export chart FILE.png`."
)

fr = frames()
data_version = version()
options = _options()

# Every filter is kept in the URL (?questions=…&tags=…&researchers=…&since=…&until=…).
c1, c2, c3 = st.columns(3)
questions = c1.multiselect(
    "Questions",
    options["questions"],
    default=remembered_list("questions", options["questions"]),
    key="questions",
    placeholder="All questions",
)
tags = c2.multiselect(
    "Tags",
    options["tags"],
    default=remembered_list("tags", options["tags"]),
    key="tags",
    placeholder="Any tag",
)
researchers = c3.multiselect(
    "Researchers",
    options["researchers"],
    default=remembered_list("researchers", options["researchers"]),
    key="researchers",
    placeholder="Everyone",
)
d1, d2 = st.columns(2)
since = d1.date_input(
    "Forecasts since", value=_day("since"), min_value=EARLIEST, key="since", format="YYYY-MM-DD"
)
until = d2.date_input(
    "Forecasts until", value=_day("until"), min_value=EARLIEST, key="until", format="YYYY-MM-DD"
)
for key, chosen in (("questions", questions), ("tags", tags), ("researchers", researchers)):
    remember_list(key, chosen)
remember("since", since.isoformat() if isinstance(since, date) else None)
remember("until", until.isoformat() if isinstance(until, date) else None)
try:
    filt = report_filter.make_filter(
        questions=questions, tags=tags, researchers=researchers, since=since, until=until
    )
    selected = _selected(filt)
except InputError as err:
    for problem in err.problems:
        st.error(md_plain(problem))
    st.stop()

st.caption(md_plain(f"Filters: {filt.describe()} — {plural(len(selected), 'question')}."))

# Only the open tab's content runs (the tables and charts of every forecast are the slow part);
# the open tab is kept in the URL (?tab=Tables).
report_tab, tables_tab, charts_tab = st.tabs(
    list(TABS), key="tab", on_change="rerun", bind="query-params", default=TABS[0]
)

with report_tab:
    if report_tab.open:
        calibration = st.checkbox(
            "Add a calibration summary (one-sided Brier and log score)", key="calibration"
        )
        preview = len(selected) <= PREVIEW_QUESTIONS
        if preview:
            text = _report(filt, calibration)
            _download(
                "Download report (Markdown)", text, f"{REPORT_NAME}.md", "text/markdown", "download_report"
            )
        else:
            _download(
                "Download report (Markdown)",
                lambda: report.render_markdown(fr, filt, calibration=calibration),
                f"{REPORT_NAME}.md",
                "text/markdown",
                "download_report",
            )

        zip_key = (data_version, filt, calibration)
        if st.button("Render the charts and pack them with the report (.zip)", key="prepare_zip"):
            bar = st.progress(0.0, text="Rendering charts…")

            def _progress(stage: str, done: int, total: int) -> None:
                fraction, label = progress_step(stage, done, total)
                bar.progress(fraction, text=label)

            try:
                state["report_zip"] = (
                    zip_key,
                    report.report_zip(
                        fr, filt, name=REPORT_NAME, calibration=calibration, progress=_progress
                    ),
                )
            except CredenceError as err:
                st.error(md_plain(str(err)))
            bar.empty()
        packed = state.get("report_zip")
        if packed is not None and packed[0] == zip_key:
            _download(
                "Download report with charts (.zip)",
                packed[1],
                f"{REPORT_NAME}.zip",
                "application/zip",
                "download_zip",
            )
            st.caption(
                f"The zip holds {REPORT_NAME}.md and its PNG charts in {REPORT_NAME}_files/, linked relatively."
            )

        if preview:
            with st.container(border=True):
                st.markdown(text)
            with st.expander("Markdown source (copy from here)"):
                st.code(text, language="markdown")
        else:
            st.info(
                f"The selection covers {plural(len(selected), 'question')}, too many to preview here "
                f"(at most {PREVIEW_QUESTIONS}); the download has them all, or narrow the filters."
            )

with tables_tab:
    if tables_tab.open:
        h = _history(filt)
        standing = _standing(filt)
        st.subheader("Update history")
        st.caption(md_plain(f"Filters: {filt.describe()} — {plural(len(h), 'forecast')}."))
        tables.show(_history_table(filt), hide_index=True)
        _table_downloads(
            "Update history",
            "credence-updates",
            lambda: report_tables.history_csv(h, filt),
            lambda: report_tables.table_markdown(report_tables.history_markdown(h, with_question=True), filt),
            "download_history",
        )
        st.subheader("Standing estimates" + (f" on {filt.until}" if filt.until else ""))
        tables.show(_estimates_table(filt), hide_index=True)
        _table_downloads(
            "Estimates",
            "credence-estimates",
            lambda: report_tables.estimates_csv(standing, filt),
            lambda: report_tables.table_markdown(
                report_tables.estimates_markdown(standing, with_question=True), filt
            ),
            "download_estimates",
        )

with charts_tab:
    if charts_tab.open:
        kind = st.selectbox("Chart", list(KIND_LABELS), format_func=KIND_LABELS.__getitem__, key="chart_kind")
        titles = selected["question"].tolist()
        chosen: tuple[str, ...] = ()
        if kind in ("trajectory", "capability"):
            question = st.selectbox("Question", titles, key="chart_question", placeholder="Pick a question")
            chosen = (question,) if question else ()
        elif kind == "comparison":
            chosen = tuple(titles)
        log_odds = kind != "calibration" and st.toggle("Log-odds axis", key="chart_log_odds")
        try:
            request = chart_export.make_request(
                kind=kind, questions=chosen, researchers=filt.researchers, log_odds=log_odds
            )
            chart, spec, stem = _chart(request, filt.until)
        except CredenceError as err:
            st.error(md_plain(str(err)))
        else:
            st.vega_lite_chart(spec, width="content")
            st.caption(
                "PNG at twice the pixel size for print, SVG for any size; both with the title and the caption line."
            )
            p1, p2 = st.columns(2)
            with p1:
                _download(
                    "Chart (PNG)",
                    lambda: chart_export.chart_bytes(chart, "png"),
                    f"{stem}.png",
                    "image/png",
                    "download_png",
                )
            with p2:
                _download(
                    "Chart (SVG)",
                    lambda: chart_export.chart_bytes(chart, "svg"),
                    f"{stem}.svg",
                    "image/svg+xml",
                    "download_svg",
                )
