"""The write-up's tables (standing estimates, update histories) as text, Markdown and CSV.

* Dates are UTC days; probabilities are percentages; changes are signed percentage
  points and log-odds, ``—`` where there is no earlier estimate.
* A *reconstructed* estimate (written down after the fact) is marked ``(reconstructed)``
  in its date cell, with a note under the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from models.analysis.trajectory import DIRECTION_TEXT
from models.format import format_percent
from models.limits import safe_frame
from models.writeup.filters import ReportFilter
from models.writeup.markdown import markdown_header, markdown_rows, markdown_table, md_link, md_text

RECONSTRUCTED_MARK = "(reconstructed)"
RECONSTRUCTED_NOTE = (
    "(reconstructed): an estimate written down after the fact, stating what the researcher "
    "believed on that date; it was not recorded at the time."
)
UNCONDITIONAL = "unconditional"
DASH = "—"
HISTORY_COLUMNS = [
    "Date", "Researcher", "Level", "From → to", "Change (points)", "Change (log-odds)", "Rationale", "Evidence",
]  # fmt: skip
ESTIMATE_COLUMNS = ["Researcher", "Level", "Estimate", "Dated"]


def day_text(when: Any) -> str:
    """A time as its UTC day (``2024-06-15``), ``—`` when there is none."""
    return pd.Timestamp(when).strftime("%Y-%m-%d") if pd.notna(when) else DASH


def _each_distinct(values: pd.Series, text: Callable[[Any], str], missing: str = DASH) -> pd.Series:
    """``text(v)`` for each value, computed once per distinct value (``missing`` for NaN/None):
    a history has a few thousand distinct numbers among a hundred thousand rows."""
    codes, distinct = pd.factorize(values.to_numpy(dtype="object") if values.dtype == "object" else values)
    table = np.empty(len(distinct) + 1, dtype="object")
    for i, value in enumerate(distinct):
        table[i] = text(value)
    table[-1] = missing
    return pd.Series(table[codes], index=values.index, dtype="object")


def _signed(x: pd.Series, digits: int) -> pd.Series:
    """``+5.0`` / ``-2.0`` / ``0.0`` (no sign on a zero), ``—`` for NaN."""
    return _each_distinct(x.round(digits), lambda v: f"{v:+.{digits}f}" if v != 0 else f"{0:.{digits}f}")


def _date_cells(df: pd.DataFrame) -> pd.Series:
    """Each row's UTC date (``2025-03-04``), marked when the estimate was reconstructed."""
    days = df["as_of"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype("object")
    marked = df["reconstructed"].to_numpy(dtype="bool")
    text[marked] = text[marked] + f" {RECONSTRUCTED_MARK}"
    return pd.Series(text, index=df.index, dtype="object")


def _percent(p: pd.Series) -> pd.Series:
    return _each_distinct(p, format_percent)


def _level_cells(level: pd.Series) -> pd.Series:
    return level.astype("object").where(level.notna(), UNCONDITIONAL)


def evidence_text(links: tuple[tuple[str, str | None, str | None], ...], *, markdown: bool) -> str:
    """``"Paper X (lowered); Result Y"``, titles as Markdown links when ``markdown``."""
    return "; ".join(
        (md_link(title, url) if markdown else str(title)) + DIRECTION_TEXT.get(direction or "", "")
        for title, url, direction in links
    )


def evidence_cells(h: pd.DataFrame, *, markdown: bool) -> pd.Series:
    return _each_distinct(h["evidence_links"], lambda e: evidence_text(e, markdown=markdown), missing="")


def history_table(h: pd.DataFrame, *, with_question: bool = False, level: bool | None = None) -> pd.DataFrame:
    """:func:`history` as display text, on ``h``'s index: date (marked when reconstructed),
    researcher, level, ``"10% → 25%"`` (``"— → 25%"`` for a first estimate), changes in points
    (``+5.0``) and log-odds (``+0.46``), rationale, evidence.

    ``level=None`` leaves the Level column out when no row is conditional.
    """
    out = pd.DataFrame(
        {
            "Question": h["question"],
            "Date": _date_cells(h),
            "Researcher": h["researcher"],
            "Level": _level_cells(h["level"]),
            "From → to": _percent(h["from_probability"]) + " → " + _percent(h["to_probability"]),
            "Change (points)": _signed(h["change_points"], 1),
            "Change (log-odds)": _signed(h["change_log_odds"], 2),
            "Rationale": h["rationale"].astype("object").where(h["rationale"].notna(), ""),
            "Evidence": evidence_cells(h, markdown=False),
        },
        index=h.index,
    )
    drop = [] if with_question else ["Question"]
    if not (h["level"].notna().any() if level is None else level):
        drop.append("Level")
    return out.drop(columns=drop)


def estimates_table(
    standing: pd.DataFrame, *, with_question: bool = False, level: bool | None = None
) -> pd.DataFrame:
    """:func:`standing_estimates` as display text: researcher, level, estimate, date."""
    out = pd.DataFrame(
        {
            "Question": standing["question"],
            "Researcher": standing["researcher"],
            "Level": _level_cells(standing["level"]),
            "Estimate": _percent(standing["probability"]),
            "Dated": _date_cells(standing),
        },
        index=standing.index,
    )
    drop = [] if with_question else ["Question"]
    if not (standing["level"].notna().any() if level is None else level):
        drop.append("Level")
    return out.drop(columns=drop)


def history_markdown(h: pd.DataFrame, *, with_question: bool = False) -> str:
    """The history as a Markdown table (evidence as links), with the reconstructed note."""
    table = history_table(h, with_question=with_question)
    text = markdown_table(table, {"Evidence": evidence_cells(h, markdown=True)})
    if h["reconstructed"].any():
        text += "\n\n" + md_text(RECONSTRUCTED_NOTE)
    return text


def estimates_markdown(standing: pd.DataFrame, *, with_question: bool = False) -> str:
    """The standing estimates as a Markdown table, with the reconstructed note."""
    text = markdown_table(estimates_table(standing, with_question=with_question))
    if standing["reconstructed"].any():
        text += "\n\n" + md_text(RECONSTRUCTED_NOTE)
    return text


def tables_by_question(
    df: pd.DataFrame, to_table: Callable[..., pd.DataFrame], markdown: Mapping[str, pd.Series] | None = None
) -> dict[int, str]:
    """One Markdown table per question of ``df``, formatted in one vectorized pass; each
    question's table has a Level column only when one of its rows is conditional."""
    conditional = df["level"].notna().groupby(df["question_id"]).transform("any").astype(bool)
    parts: list[pd.Series] = []
    headers: dict[bool, str] = {}
    for level in (True, False):
        part = df[conditional == level]
        if part.empty:
            continue
        table = to_table(part, level=level)
        headers[level] = markdown_header([str(c) for c in table.columns])
        lines = markdown_rows(table, {k: v[part.index] for k, v in (markdown or {}).items()})
        parts.append(lines)
    rows = pd.concat(parts).reindex(df.index) if parts else pd.Series(dtype="object")
    out: dict[int, str] = {}
    for qid, lines in rows.groupby(df["question_id"], sort=False):
        out[int(qid)] = headers[bool(conditional[lines.index[0]])] + "\n" + "\n".join(lines.tolist())
    return out


def history_csv(h: pd.DataFrame, filt: ReportFilter) -> str:
    """The history as CSV, first line ``# filters: ...``, then plain values (probabilities as
    fractions, ISO dates) and the evidence titles and URLs."""
    out = pd.DataFrame(
        {
            "question": h["question"],
            "date": h["as_of"].dt.strftime("%Y-%m-%d"),
            "reconstructed": h["reconstructed"].map({True: "true", False: "false"}),
            "researcher": h["researcher"],
            "level": h["level"],
            "from_probability": h["from_probability"],
            "to_probability": h["to_probability"],
            "change_points": h["change_points"].round(3),
            "change_log_odds": h["change_log_odds"].round(4),
            "rationale": h["rationale"],
            "evidence": [evidence_text(e, markdown=False) for e in h["evidence_links"]],
            "evidence_urls": ["; ".join(u for _, u, _ in e if u) for e in h["evidence_links"]],
        }
    )
    return _with_filter_line(out, filt)


def estimates_csv(standing: pd.DataFrame, filt: ReportFilter) -> str:
    """The standing estimates as CSV, first line ``# filters: ...``."""
    out = pd.DataFrame(
        {
            "question": standing["question"],
            "researcher": standing["researcher"],
            "level": standing["level"],
            "probability": standing["probability"],
            "as_of": standing["as_of"].dt.strftime("%Y-%m-%d"),
            "reconstructed": standing["reconstructed"].map({True: "true", False: "false"}),
        }
    )
    return _with_filter_line(out, filt)


def frame_csv(df: pd.DataFrame, first_line: str = "") -> str:
    """``df`` as CSV (after ``first_line``, when given), without its index.

    Every CSV the app writes goes through here: it neutralises cells a spreadsheet would run
    as formulas.
    """
    buf = io.StringIO()
    if first_line:
        buf.write(first_line + "\n")
    safe_frame(df).to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buf.getvalue()


def _with_filter_line(df: pd.DataFrame, filt: ReportFilter) -> str:
    described = " ".join(filt.describe().split())  # one line, whatever the titles hold
    return frame_csv(df, f"# filters: {described}")


def table_markdown(table_md: str, filt: ReportFilter) -> str:
    """A Markdown table preceded by the line stating the filters that produced it."""
    return f"_Filters: {md_text(filt.describe())}_\n\n{table_md}\n"
