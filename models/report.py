"""Markdown write-ups of questions, estimates and update histories, ready to paste.

A report covers a question set (titles and/or tags), some researchers and a date range
(:class:`ReportFilter`).  For each question it gives the criteria, the standing estimates
(per capability level and researcher), the update history as a table, and the resolution;
optionally a calibration summary and charts written beside the report.

Conventions
-----------
* Output is GitHub-flavoured Markdown with no HTML: pipes, backslashes, ``<`` and brackets
  in user text are backslash-escaped and newlines inside a table cell become spaces, so a
  rationale cannot break a table or inject a tag.
* Question set: the questions named by title, plus every question carrying one of the tags;
  with neither, every question.  A question named by title always gets a section; one
  reached through a tag (or through "every question") only when the selected researchers
  dated a forecast on it inside the date range.
* Date range: ``since`` and ``until`` are whole UTC days, both included:
  ``since 00:00 ≤ as_of < (until + 1 day) 00:00``.  It selects the rows of the update history;
  an update's *from* is the previous estimate of the same target even when that estimate is
  older than ``since``.  Standing estimates are the last forecast of each target dated
  before the end of ``until`` (default: all forecasts).
* Changes are those of :func:`models.updates.updates`: percentage points ``100 · (to − from)``
  and natural log-odds (probabilities clipped to [0.001, 0.999]).
* A *reconstructed* estimate (written down after the fact) is marked ``(reconstructed)``
  in its date cell, with a note under the table.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import altair as alt
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from models import chart_export
from models.chart_export import chart_bytes
from models.errors import InputError
from models.frames import Frames
from models.schemas import format_percent, messages, parse_time
from models.scoring import score_report
from models.trajectory import DIRECTION_TEXT, TARGET, select_forecasts
from models.updates import updates

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
SCORE_NOTE = (
    "Brier: one-sided Brier, 0 best, 1 worst (the mean of (p − outcome)² over each researcher's "
    "final forecast per question and level). Log score: ln of the probability given to what "
    "happened, 0 best (probabilities clipped to [0.001, 0.999])."
)

Progress = Callable[[str, int, int], None]


# --- the filter ---------------------------------------------------------------------------------


def _names(value: Any) -> tuple[str, ...]:
    """A tuple of stripped, non-blank, de-duplicated names from a string or a list."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(s for s in (str(v).strip() for v in items) if s))


def _day(value: Any) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return parse_time(value).date()


Names = Annotated[tuple[str, ...], BeforeValidator(_names)]
Day = Annotated[date | None, BeforeValidator(_day)]


class ReportFilter(BaseModel):
    """Which questions, researchers and dates a report (or an exported table) covers.

    Empty ``questions`` and ``tags`` mean every question; empty ``researchers`` means
    everyone; ``since``/``until`` are whole days, both included (``None``: open-ended).
    """

    model_config = ConfigDict(frozen=True)

    questions: Names = ()
    tags: Names = ()
    researchers: Names = ()
    since: Day = None
    until: Day = None

    @field_validator("until")
    @classmethod
    def _after_since(cls, until: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if until is not None and since is not None and until < since:
            raise PydanticCustomError("credence", f"{until} is before since ({since})")
        return until

    def start(self) -> pd.Timestamp | None:
        return None if self.since is None else pd.Timestamp(self.since, tz="UTC")

    def end(self) -> pd.Timestamp | None:
        """The first instant after the range (midnight after ``until``)."""
        return None if self.until is None else pd.Timestamp(self.until + timedelta(days=1), tz="UTC")

    def describe(self) -> str:
        """``questions: A, B; tags: x; researchers: all; dates: 2024-01-01 to 2024-12-31``."""
        parts = []
        if self.questions:
            parts.append("questions: " + ", ".join(self.questions))
        if self.tags:
            parts.append("tags: " + ", ".join(self.tags))
        if not self.questions and not self.tags:
            parts.append("questions: all")
        parts.append("researchers: " + (", ".join(self.researchers) if self.researchers else "all"))
        if self.since or self.until:
            parts.append(f"dates: {self.since or 'start'} to {self.until or 'now'}")
        else:
            parts.append("dates: all")
        return "; ".join(parts)


def make_filter(**values: Any) -> ReportFilter:
    """:class:`ReportFilter` from raw values; refused input raises :class:`InputError`
    with one ``field message`` problem per mistake (``until 2024-01-01 is before since ...``)."""
    try:
        return ReportFilter(**values)
    except ValidationError as err:
        raise InputError([f"{field} {msg}" for field, msg in messages(err)]) from None


# --- selection ----------------------------------------------------------------------------------


def choices(frames: Frames) -> dict[str, list[str]]:
    """What a filter can name: ``questions`` (titles, by id), ``tags`` and ``researchers``
    (handles with at least one forecast), both sorted."""
    q = frames.questions.drop_duplicates("question_id").sort_values("question_id", kind="stable")
    return {
        "questions": q["question"].tolist(),
        "tags": sorted({t for tags in q["tags"] for t in (tags or ())}),
        "researchers": sorted(set(frames.forecasts["researcher"])),
    }


def report_questions(frames: Frames, filt: ReportFilter) -> pd.DataFrame:
    """The QUESTIONS rows the report has a section for, in question id order.

    Raises :class:`InputError` for a title, tag or researcher that matches nothing.
    """
    q = frames.questions.drop_duplicates("question_id").sort_values("question_id", kind="stable")
    problems = [
        f'questions no question is titled "{t}"' for t in filt.questions if t not in set(q["question"])
    ]
    known_tags = {t for tags in q["tags"] for t in (tags or ())}
    problems += [f'tags no question is tagged "{t}"' for t in filt.tags if t not in known_tags]
    handles = set(frames.forecasts["researcher"])
    problems += [f'researchers "{h}" has no forecasts' for h in filt.researchers if h not in handles]
    if problems:
        raise InputError(problems)
    named = q["question"].isin(filt.questions)
    tagged = q["tags"].map(lambda tags: bool(set(tags or ()) & set(filt.tags))).astype(bool)
    chosen = named | tagged if (filt.questions or filt.tags) else pd.Series(True, index=q.index)
    dated = _in_range(_forecasts(frames, filt, q["question_id"]), filt)
    active = q["question_id"].isin(dated["question_id"])
    return q[named | (chosen & active)].reset_index(drop=True)


def _forecasts(frames: Frames, filt: ReportFilter, question_ids: Sequence[int] | pd.Series) -> pd.DataFrame:
    return select_forecasts(frames, list(question_ids), filt.researchers or None)


def _in_range(df: pd.DataFrame, filt: ReportFilter, column: str = "as_of") -> pd.DataFrame:
    start, end = filt.start(), filt.end()
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df[column] >= start
    if end is not None:
        keep &= df[column] < end
    return df[keep]


def history(frames: Frames, filt: ReportFilter, question_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The update history of the report's questions: one row per forecast dated in the range.

    Columns of :func:`models.updates.updates` (``from_probability`` NaN for a target's first
    forecast) plus ``evidence_links``: a tuple of ``(title, url or None, direction or None)``
    per forecast, in the order of :func:`models.trajectory.evidence_for`.
    """
    ids = (
        report_questions(frames, filt)["question_id"].tolist() if question_ids is None else list(question_ids)
    )
    u = _in_range(updates(frames, ids, filt.researchers or None), filt).reset_index(drop=True)
    links = frames.evidence_links
    links = links[links["forecast_id"].isin(u["forecast_id"])].sort_values("forecast_id", kind="stable")
    items = pd.Series(
        list(zip(links["evidence"], links["url"], links["direction"], strict=True)),
        index=links["forecast_id"].to_numpy(),
        dtype="object",
    )
    grouped = items.groupby(level=0, sort=False).agg(tuple)
    u["evidence_links"] = [grouped.get(fid, ()) for fid in u["forecast_id"]]
    return u


def standing_estimates(
    frames: Frames, filt: ReportFilter, question_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Each target's last forecast dated before the end of ``until`` (default: all).

    FORECASTS columns, sorted by question, level position (unconditional first), researcher.
    """
    ids = (
        report_questions(frames, filt)["question_id"].tolist() if question_ids is None else list(question_ids)
    )
    f = _forecasts(frames, filt, ids)
    end = filt.end()
    if end is not None:
        f = f[f["as_of"] < end]
    standing = f.drop_duplicates(TARGET, keep="last")
    return standing.sort_values(
        ["question_id", "level_position", "researcher"], na_position="first", kind="stable"
    ).reset_index(drop=True)


# --- formatting ---------------------------------------------------------------------------------

_ESCAPED = re.compile(r"([\\|<>\[\]])")
#: Characters left as they are in link URLs; the rest (spaces, brackets, pipes, quotes,
#: angle brackets, backslashes) are percent-encoded so they cannot end the link or the cell.
_URL_SAFE = ":/?#@!$&*+,;=%~.-_"


def md_text(value: Any) -> str:
    """``value`` as inline Markdown text: ``\\ | < > [ ]`` escaped, line breaks made spaces."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = " ".join(str(value).split())
    return _ESCAPED.sub(r"\\\1", text)


def md_link(title: str, url: str | None) -> str:
    """``[title](url)``, or the escaped title alone without a URL.

    Characters that would end the link or a table cell are percent-encoded in the URL.
    """
    if not url or not str(url).strip():
        return md_text(title)
    return f"[{md_text(title)}]({quote(str(url).strip(), safe=_URL_SAFE)})"


def md_cells(values: pd.Series) -> pd.Series:
    """:func:`md_text` of every value of a Series (vectorized; None and NaN give ``""``)."""
    text = values.astype("object").where(values.notna(), "").astype(str)
    text = text.str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str.replace(r"([\\|<>\[\]])", r"\\\1", regex=True)


def markdown_rows(table: pd.DataFrame, markdown: Mapping[str, pd.Series] | None = None) -> pd.Series:
    """One Markdown table line (``| a | b |``) per row of ``table``, on its index.

    Cells are plain text, escaped with :func:`md_cells`; columns named in ``markdown`` take
    those already-formatted Markdown cells instead (for links).
    """
    markdown = markdown or {}
    line = pd.Series("|", index=table.index, dtype="object")
    for column in table.columns:
        cells = markdown[column] if column in markdown else md_cells(table[column])
        line = line + " " + cells.astype(str).to_numpy() + " |"
    return line


def markdown_header(columns: Sequence[str]) -> str:
    return "| " + " | ".join(md_text(c) for c in columns) + " |\n|" + "---|" * len(columns)


def markdown_table(table: pd.DataFrame, markdown: Mapping[str, pd.Series] | None = None) -> str:
    """``table`` as a GitHub-flavoured Markdown table (one line per row, no HTML)."""
    rows = markdown_rows(table, markdown)
    return "\n".join([markdown_header([str(c) for c in table.columns]), *rows.tolist()])


def _day_text(when: Any) -> str:
    return pd.Timestamp(when).strftime("%Y-%m-%d") if pd.notna(when) else DASH


def _signed(x: pd.Series, digits: int) -> pd.Series:
    """``+5.0`` / ``-2.0`` / ``0.0`` (no sign on a zero), ``—`` for NaN."""
    rounded = x.round(digits)
    text = rounded.map(lambda v: DASH if pd.isna(v) else f"{v:+.{digits}f}" if v != 0 else f"{0:.{digits}f}")
    return text.astype("object")


def _date_cells(df: pd.DataFrame) -> pd.Series:
    marks = df["reconstructed"].astype(bool).map({True: f" {RECONSTRUCTED_MARK}", False: ""})
    return (df["as_of"].dt.strftime("%Y-%m-%d") + marks).astype("object")


def _percent(p: pd.Series) -> pd.Series:
    return p.map(lambda v: DASH if pd.isna(v) else format_percent(v)).astype("object")


def _level_cells(level: pd.Series) -> pd.Series:
    return level.astype("object").where(level.notna(), UNCONDITIONAL)


def evidence_text(links: tuple[tuple[str, str | None, str | None], ...], *, markdown: bool) -> str:
    """``"Paper X (lowered); Result Y"``, titles as Markdown links when ``markdown``."""
    return "; ".join(
        (md_link(title, url) if markdown else str(title)) + DIRECTION_TEXT.get(direction or "", "")
        for title, url, direction in links
    )


def _evidence_cells(h: pd.DataFrame, *, markdown: bool) -> pd.Series:
    return pd.Series(
        [evidence_text(e, markdown=markdown) for e in h["evidence_links"]], index=h.index, dtype="object"
    )


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
            "Evidence": _evidence_cells(h, markdown=False),
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
    text = markdown_table(table, {"Evidence": _evidence_cells(h, markdown=True)})
    if h["reconstructed"].any():
        text += "\n\n" + md_text(RECONSTRUCTED_NOTE)
    return text


def estimates_markdown(standing: pd.DataFrame, *, with_question: bool = False) -> str:
    """The standing estimates as a Markdown table, with the reconstructed note."""
    text = markdown_table(estimates_table(standing, with_question=with_question))
    if standing["reconstructed"].any():
        text += "\n\n" + md_text(RECONSTRUCTED_NOTE)
    return text


def _tables_by_question(
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


def _with_filter_line(df: pd.DataFrame, filt: ReportFilter) -> str:
    buf = io.StringIO()
    buf.write(f"# filters: {filt.describe()}\n")
    df.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    return buf.getvalue()


def table_markdown(table_md: str, filt: ReportFilter) -> str:
    """A Markdown table preceded by the line stating the filters that produced it."""
    return f"_Filters: {md_text(filt.describe())}_\n\n{table_md}\n"


# --- calibration summary ------------------------------------------------------------------------


def _narrowed(frames: Frames, filt: ReportFilter, question_ids: Sequence[int]) -> Frames:
    f = _in_range(_forecasts(frames, filt, question_ids), filt)
    q = frames.questions[frames.questions["question_id"].isin(question_ids)]
    return Frames(f, q, frames.evidence_links, frames.evidence, frames.levels, frames.links)


def calibration_summary(frames: Frames, filt: ReportFilter) -> pd.DataFrame:
    """Per researcher (then everyone pooled): ``researcher, n, brier, log_score``.

    From :func:`models.scoring.score_report` over the report's questions resolved yes or no
    and the researchers' forecasts dated in the range (recorded estimates only): ``n`` is the
    number of scored targets; Brier one-sided, 0 best, 1 worst.  Empty when nothing resolved.
    """
    ids = report_questions(frames, filt)["question_id"].tolist()
    report = score_report(_narrowed(frames, filt, ids))
    rows = [
        {"researcher": r["researcher"], "n": r["n_targets"], "brier": r["brier"], "log_score": r["log_score"]}
        for r in report["researchers"]
    ]
    if report["overall"] is not None and len(rows) > 1:
        o = report["overall"]
        rows.append(
            {
                "researcher": "all (pooled)",
                "n": o["n_targets"],
                "brier": o["brier"],
                "log_score": o["log_score"],
            }
        )
    return pd.DataFrame(rows, columns=["researcher", "n", "brier", "log_score"])


def calibration_markdown(summary: pd.DataFrame) -> str:
    if summary.empty:
        return (
            "Nothing to score: no forecast in this report was made before its question resolved "
            "yes or no (reconstructed estimates are not scored)."
        )
    table = pd.DataFrame(
        {
            "Researcher": summary["researcher"],
            "n": summary["n"].astype(int).astype(str),
            "Brier": summary["brier"].map(lambda x: f"{x:.3f}"),
            "Log score": summary["log_score"].map(lambda x: f"{x:.3f}"),
        }
    )
    return markdown_table(table) + "\n\n" + md_text(SCORE_NOTE)


# --- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportImage:
    """A chart the report embeds: ``![alt](path)`` with ``path`` relative to the report."""

    question_id: int | None  # None for the calibration chart
    alt_text: str
    path: str
    chart: alt.TopLevelMixin


def _resolution(row: Any) -> str | None:
    if row.outcome is None:
        return None
    when = _day_text(row.resolved_at)
    text = (
        f"resolved **{row.outcome.upper()}** on {when}"
        if row.outcome in ("yes", "no")
        else f"annulled on {when}"
    )
    if row.resolution_level:
        text += f" (capability level reached: {md_text(row.resolution_level)})"
    note = md_text(row.resolution_note)
    return f"**Resolution:** {text}." + (f" {note}" if note else "")


def _paragraphs(text: Any) -> str:
    parts = re.split(r"\n\s*\n", str(text or "").strip())
    return "\n\n".join(md_text(p) for p in parts if p.strip())


@dataclass(frozen=True)
class _Tables:
    """One question's pre-rendered Markdown tables (``None``: no rows) and reconstructed flags."""

    estimates: str | None
    history: str | None
    reconstructed: bool


def _question_section(
    filt: ReportFilter, row: Any, tables: _Tables, images: Sequence[ReportImage]
) -> list[str]:
    out = [f"## {md_text(row.question)}", ""]
    meta = []
    if row.tags:
        meta.append("Tags: " + ", ".join(md_text(t) for t in row.tags))
    if pd.notna(row.resolve_by):
        meta.append(f"Resolve by: {_day_text(row.resolve_by)}")
    if meta:
        out += [" · ".join(meta), ""]
    if row.criteria and str(row.criteria).strip():
        out += ["**Criteria.** " + _paragraphs(row.criteria), ""]
    heading = f"**Estimates standing on {filt.until}**" if filt.until else "**Current estimates**"
    if tables.estimates is None:
        out += [heading + f": none{' by the selected researchers' if filt.researchers else ''}.", ""]
    else:
        out += [heading, "", tables.estimates, ""]
    if tables.history is None:
        out += ["**Update history**: no forecasts dated in the selected range.", ""]
    else:
        out += ["**Update history**", "", tables.history, ""]
    if tables.reconstructed:
        out += [md_text(RECONSTRUCTED_NOTE), ""]
    resolution = _resolution(row)
    if resolution:
        out += [resolution, ""]
    out += [f"![{md_text(i.alt_text)}]({i.path})" for i in images]
    return out + ([""] if images else [])


def header_line(n_questions: int, filt: ReportFilter, made: datetime) -> str:
    """What the report covers and when it was made."""
    n = f"{n_questions} question{'s' if n_questions != 1 else ''}"
    return f"_Covers {n} ({md_text(filt.describe())}). Made {made:%Y-%m-%d %H:%M} UTC with Credence._"


def render_markdown(
    frames: Frames,
    filt: ReportFilter,
    *,
    calibration: bool = False,
    images: Sequence[ReportImage] = (),
    title: str = "Credence report",
    made: datetime | None = None,
) -> str:
    """The whole report as Markdown text (see the module docstring for what it contains)."""
    made = (made or datetime.now(UTC)).astimezone(UTC)
    questions = report_questions(frames, filt)
    out = [f"# {md_text(title)}", "", header_line(len(questions), filt, made), ""]
    if questions.empty:
        out += ["No question matches these filters.", ""]
    ids = questions["question_id"].tolist()
    standing = standing_estimates(frames, filt, ids)
    h = history(frames, filt, ids)
    estimates_md = _tables_by_question(standing, estimates_table)
    history_md = _tables_by_question(h, history_table, {"Evidence": _evidence_cells(h, markdown=True)})
    marked = set(standing.loc[standing["reconstructed"], "question_id"]) | set(
        h.loc[h["reconstructed"], "question_id"]
    )
    for row in questions.itertuples(index=False):
        qid = row.question_id
        tables = _Tables(estimates_md.get(qid), history_md.get(qid), qid in marked)
        mine = [i for i in images if i.question_id == qid]
        out += _question_section(filt, row, tables, mine)
    if calibration:
        out += ["## Calibration", "", calibration_markdown(calibration_summary(frames, filt)), ""]
        out += [f"![{md_text(i.alt_text)}]({i.path})" for i in images if i.question_id is None]
    return "\n".join(out).rstrip() + "\n"


def report_images(
    frames: Frames,
    filt: ReportFilter,
    folder: str,
    *,
    calibration: bool = False,
    made: datetime | None = None,
) -> list[ReportImage]:
    """The charts a report embeds, as PNG paths inside ``folder``: per question its trajectory
    (``q<id>-trajectory.png``) and, when it has conditional forecasts, its capability curve
    (``q<id>-capability.png``); with ``calibration``, ``calibration.png``."""
    out: list[ReportImage] = []
    for row in report_questions(frames, filt).itertuples(index=False):
        researchers = filt.researchers
        for kind in ("trajectory", "capability"):
            request = chart_export.ChartRequest(kind=kind, questions=(row.question,), researchers=researchers)
            chart = chart_export.build_chart(frames, request, made=made, missing_ok=True, until=filt.until)
            if chart is not None:
                alt_text = f"{kind.capitalize()}: {row.question}"
                out.append(
                    ReportImage(row.question_id, alt_text, f"{folder}/q{row.question_id}-{kind}.png", chart)
                )
    if calibration:
        # The same forecasts as the calibration summary: the report's questions and dates.
        ids = report_questions(frames, filt)["question_id"].tolist()
        request = chart_export.ChartRequest(kind="calibration", researchers=filt.researchers)
        chart = chart_export.build_chart(_narrowed(frames, filt, ids), request, made=made, missing_ok=True)
        if chart is not None:
            out.append(ReportImage(None, "Calibration", f"{folder}/calibration.png", chart))
    return out


def _rendered(images: Sequence[ReportImage], progress: Progress | None) -> list[tuple[str, bytes]]:
    out = []
    for i, image in enumerate(images):
        if progress:
            progress("rendering charts", i, len(images))
        out.append((image.path, chart_bytes(image.chart, "png")))
    if progress:
        progress("rendering charts", len(images), len(images))
    return out


def write_report(
    frames: Frames,
    filt: ReportFilter,
    path: Path,
    *,
    charts: bool = False,
    calibration: bool = False,
    made: datetime | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the report to ``path`` and, with ``charts``, its PNGs to ``<stem>_files/`` beside
    it (linked relatively).  Returns the paths written, report first."""
    path = Path(path)
    folder = f"{path.stem}_files"
    images = report_images(frames, filt, folder, calibration=calibration, made=made) if charts else []
    text = render_markdown(frames, filt, calibration=calibration, images=images, made=made)
    written = [path]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    for rel, data in _rendered(images, progress):
        target = path.parent / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


def report_zip(
    frames: Frames,
    filt: ReportFilter,
    *,
    name: str = "report",
    calibration: bool = False,
    made: datetime | None = None,
    progress: Progress | None = None,
) -> bytes:
    """``<name>.md`` and its charts in ``<name>_files/``, as the bytes of a zip archive."""
    folder = f"{name}_files"
    images = report_images(frames, filt, folder, calibration=calibration, made=made)
    text = render_markdown(frames, filt, calibration=calibration, images=images, made=made)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.md", text)
        for rel, data in _rendered(images, progress):
            z.writestr(rel, data)
    return buf.getvalue()
