"""Markdown write-ups of questions, estimates and update histories, ready to paste.

A report covers a question set, some researchers and a date range
(:class:`models.writeup.filters.ReportFilter`).  For each question it gives the criteria, the
standing estimates (per capability level and researcher), the update history as a table
(:mod:`models.writeup.tables`), and the resolution; optionally a calibration summary and
charts written beside the report.  All text goes through :mod:`models.writeup.markdown`, so user
text cannot break the Markdown.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from models.analysis.record import hindsight_gaps, hindsight_sentences
from models.analysis.score_table import score_table
from models.analysis.scoring import select_scored
from models.charts import export as chart_export
from models.charts.export import chart_bytes
from models.format import plural
from models.frames import Frames
from models.writeup.decompositions import decomposition_markdown
from models.writeup.filters import (
    ReportFilter,
    filtered_forecasts,
    history,
    in_range,
    report_questions,
    standing_estimates,
)
from models.writeup.markdown import markdown_table, md_text
from models.writeup.tables import (
    RECONSTRUCTED_NOTE,
    day_text,
    estimates_table,
    evidence_cells,
    history_table,
    tables_by_question,
)

SCORE_NOTE = (
    "Brier: one-sided Brier, 0 best, 1 worst (the mean of (p − outcome)² over each researcher's "
    "final forecast per question and level). Log score: ln of the probability given to what "
    "happened, 0 best (probabilities clipped to [0.001, 0.999])."
)

Progress = Callable[[str, int, int], None]


# --- calibration summary ------------------------------------------------------------------------


def _narrowed(frames: Frames, filt: ReportFilter, question_ids: Sequence[int]) -> Frames:
    f = in_range(filtered_forecasts(frames, filt, question_ids), filt)
    q = frames.questions[frames.questions["question_id"].isin(question_ids)]
    return Frames(f, q, frames.evidence_links, frames.evidence, frames.levels, frames.links)


def calibration_summary(frames: Frames, filt: ReportFilter) -> pd.DataFrame:
    """Per researcher (then everyone pooled): ``researcher, n, brier, log_score``.

    The first columns of :func:`models.analysis.score_table.score_table` over the report's
    questions resolved yes or no and the researchers' forecasts dated in the range (recorded
    estimates only): ``n`` is the number of scored targets; Brier one-sided, 0 best, 1 worst.
    The pooled row (:data:`~models.analysis.score_table.POOLED`) is shown when there is more
    than one researcher.  Empty when nothing resolved.
    """
    ids = report_questions(frames, filt)["question_id"].tolist()
    table = score_table(select_scored(_narrowed(frames, filt, ids)))
    if len(table) == 2:  # one researcher and the pool of their own targets
        table = table.iloc[:1]
    table = table.rename(columns={"n_targets": "n"})[["researcher", "n", "brier", "log_score"]]
    return table.reset_index(drop=True)


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
    when = day_text(row.resolved_at)
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
    hindsight: tuple[str, ...] = ()


def _question_section(
    filt: ReportFilter, row: Any, tables: _Tables, images: Sequence[ReportImage], linked: Sequence[str] = ()
) -> list[str]:
    out = [f"## {md_text(row.question)}", ""]
    meta = []
    if row.tags:
        meta.append("Tags: " + ", ".join(md_text(t) for t in row.tags))
    if pd.notna(row.resolve_by):
        meta.append(f"Resolve by: {day_text(row.resolve_by)}")
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
    if tables.hindsight:
        out += ["**Hindsight** (reconstructed estimates beside the record that stood then)", ""]
        out += [f"- {md_text(line)}" for line in tables.hindsight] + [""]
    out += list(linked)
    resolution = _resolution(row)
    if resolution:
        out += [resolution, ""]
    out += [f"![{md_text(i.alt_text)}]({i.path})" for i in images]
    return out + ([""] if images else [])


def header_line(n_questions: int, filt: ReportFilter, made: datetime) -> str:
    """What the report covers and when it was made."""
    n = plural(n_questions, "question")
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
    estimates_md = tables_by_question(standing, estimates_table)
    history_md = tables_by_question(h, history_table, {"Evidence": evidence_cells(h, markdown=True)})
    marked = set(standing.loc[standing["reconstructed"], "question_id"]) | set(
        h.loc[h["reconstructed"], "question_id"]
    )
    f = frames.forecasts
    chosen = f[
        f["question_id"].isin(ids) & (f["researcher"].isin(filt.researchers) if filt.researchers else True)
    ]
    gaps = hindsight_gaps(chosen)
    for row in questions.itertuples(index=False):
        qid = row.question_id
        hindsight = tuple(hindsight_sentences(gaps[gaps["question_id"] == qid]))
        tables = _Tables(estimates_md.get(qid), history_md.get(qid), qid in marked, hindsight)
        mine = [i for i in images if i.question_id == qid]
        out += _question_section(filt, row, tables, mine, decomposition_markdown(frames, filt, qid))
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
