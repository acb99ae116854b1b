"""Import / export: load interchange CSV files (with a preview first) and download data.

Imports go through the same functions as ``credence import KIND FILE``, so the messages
are the CLI's: ``line 3: probability 140% is above 100%``.  The preview is a dry run
(everything is checked and written, then rolled back) and is kept per file, kind and data
version, so reruns of the page do not repeat it.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from models import actions, forms
from models.errors import CredenceError, InputError
from models.files import fatebook, interchange
from models.format import plural
from models.limits import UPLOAD_MAX_BYTES, UPLOAD_MAX_MB, md_plain
from models.store import backup
from pages._shared import actor, engine, version

KINDS = {
    "forecasts": "Forecasts",
    "questions": "Questions",
    "resolutions": "Resolutions",
    "researchers": "Researchers",
    "levels": "Capability levels",
    "evidence": "Evidence",
    "ratios": "Likelihood ratios",
    "partitions": "Partitions (mutually exclusive questions)",
    "fatebook": "Fatebook export",
}
SHOWN_PROBLEMS = 50

state = st.session_state


def _progress_bar(text: str):  # type: ignore[no-untyped-def]
    bar = st.progress(0.0, text=text)

    def update(stage: str, done: int, total: int) -> None:
        fraction, label = forms.progress_step(stage, done, total)
        bar.progress(fraction, text=label)

    return bar, update


def _problems(problems: list[str]) -> str:
    shown = "\n".join(f"- {md_plain(p)}" for p in problems[:SHOWN_PROBLEMS])
    more = f"\n\n… and {len(problems) - SHOWN_PROBLEMS:,} more" if len(problems) > SHOWN_PROBLEMS else ""
    return f"The file was refused; nothing was written.\n\n{shown}{more}"


def _summary(head: str, lines: list[str]) -> str:
    return md_plain(head) + "\n\n" + "\n".join(f"- {md_plain(line)}" for line in lines)


def _rows_read(rows: int) -> None:
    if rows:
        st.caption(f"Read and checked {plural(rows, 'row')} of the file.")


def _by():  # type: ignore[no-untyped-def]
    """Who imports: the signed-in member (team mode: their own forecasts only), else the
    researcher chosen on another page (kept in the URL), else "web import"."""
    return actor() or "web import"


def _import(data: bytes, kind: str, **options):  # type: ignore[no-untyped-def]
    """The same import the CLI runs for ``credence import KIND FILE``."""
    options.setdefault("by", _by())
    options.setdefault("max_bytes", UPLOAD_MAX_BYTES)
    if kind == "fatebook":
        return actions.import_fatebook(engine(), data, researcher=fatebook_researcher or None, **options)
    return actions.import_file(engine(), data, kind, **options)


def _fatebook_layout(data: bytes) -> str | None:
    try:
        return fatebook.layout(data)
    except InputError:
        return None  # the preview shows what is wrong with the file


def _request_import(key: tuple[str, str, str]) -> None:
    # The import itself runs in the page body, where it can draw its progress bar.
    state["import_requested_for"] = key


st.title("Import / export")

st.subheader("Import a CSV file")
kind = st.selectbox(
    "Kind of file", [*interchange.SPECS, "fatebook"], format_func=KINDS.__getitem__, key="kind"
)
if kind == "fatebook":
    st.caption(
        "Fatebook's forecast export (one row per forecast; `Forecast created by` is the researcher), "
        "or its spreadsheet-import layout (`questionTitle,forecast,…`, forecasts in percent), which "
        "needs the researcher below. The same as `credence import fatebook FILE`."
    )
else:
    spec = interchange.SPECS[kind]
    optional = [c for c in spec.columns if c not in spec.required]
    st.caption(
        "Columns: "
        + ", ".join(f"**{c}**" for c in spec.required)
        + (f" (required); optional: {', '.join(optional)}" if optional else " (required)")
        + f". UTF-8 with a header row; the same format as `credence import {kind} FILE`."
    )
upload = st.file_uploader("CSV file", type=["csv"], key="upload", max_upload_size=UPLOAD_MAX_MB)
st.caption(
    f"At most {UPLOAD_MAX_MB} MB per file; import a larger one on the command line: "
    f"`credence import {kind} FILE`."
)
fatebook_researcher = ""
if kind == "fatebook" and upload is not None and _fatebook_layout(upload.getvalue()) == "spreadsheet":
    fatebook_researcher = st.text_input("Researcher (handle) for this spreadsheet", key="fatebook_researcher")

if upload is not None:
    data = upload.getvalue()
    key = (upload.file_id, kind, fatebook_researcher)
    imported = state.get("imported")
    if imported is not None and imported[0] == key:
        st.success(_summary(f"Imported {upload.name}:", imported[1]))
        _rows_read(imported[2])
    elif state.pop("import_requested_for", None) == key:
        bar, update = _progress_bar(f"Importing {upload.name}…")
        try:
            summary = _import(data, kind, progress=update)
        except InputError as err:
            bar.empty()
            st.error(_problems(err.problems))
        except CredenceError as err:  # refused (team mode)
            bar.empty()
            st.error(_problems([str(err)]))
        else:
            bar.empty()
            state["imported"] = (key, summary.lines(), summary.rows)
            st.success(_summary(f"Imported {upload.name}:", summary.lines()))
            _rows_read(summary.rows)
    else:
        preview_key = (*key, version())
        cached = state.get("preview")
        if cached is None or cached[0] != preview_key:
            bar, update = _progress_bar(f"Checking {upload.name}…")
            try:
                preview = _import(data, kind, progress=update, dry_run=True)
                result = ("ok" if preview.changes_anything() else "present", preview.lines(), preview.rows)
            except InputError as err:
                result = ("refused", err.problems, 0)
            except CredenceError as err:  # refused (team mode)
                result = ("refused", [str(err)], 0)
            bar.empty()
            state["preview"] = cached = (preview_key, result)
        status, lines, rows = cached[1]
        _rows_read(rows)
        if status == "refused":
            st.error(_problems(lines))
        elif status == "present":
            st.success(
                _summary(
                    f"Everything in {upload.name} is already present: there is nothing to import.", lines
                )
            )
        else:
            st.info(
                _summary(f"Preview of {upload.name} (nothing written yet). Importing it will give:", lines)
            )
            st.button(
                "Import",
                key="import",
                type="primary",
                on_click=_request_import,
                args=(key,),
            )

st.divider()
st.subheader("Export")
eng = engine()
st.download_button(
    "Download forecasts (CSV)",
    data=lambda: actions.forecasts_csv(eng),
    file_name="credence-forecasts.csv",
    mime="text/csv",
    key="download_forecasts",
    icon=":material/download:",
)
st.caption("Every current forecast in the interchange format, as `credence export csv FILE` writes it.")
st.download_button(
    "Download backup (JSON)",
    data=lambda: backup.backup(eng),
    file_name=f"credence-backup-{date.today().isoformat()}.json",
    mime="application/json",
    key="download_backup",
    icon=":material/download:",
)
st.caption("Everything, including revisions and deleted rows, as `credence backup FILE` writes it.")
