"""Every change a person makes, one function each: used by the pages and the CLI alike.

Each action validates nothing itself (its input is already a validated schema from
:mod:`models.forms`, :mod:`models.schemas` or a parser in :mod:`models.files`), opens its own
transaction, and either writes everything or raises and writes nothing.  ``by`` names who
made the change; it is stored on every revision the action keeps.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from models.batch import ImportBatch, ImportSummary, Progress
from models.files import demo, fatebook, interchange
from models.format import describe_change, format_percent, format_time
from models.schemas import (
    EvidenceIn,
    ForecastEdit,
    ForecastIn,
    LevelIn,
    QuestionEdit,
    QuestionIn,
    RatioIn,
    ResearcherIn,
    ResolutionIn,
)
from models.store import backup, curation, ratios, reads, records
from models.store.bulk import apply_batch
from models.store.db import write_session

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Saved:
    """What :func:`save_forecast` stored, and the estimate it follows (None for a first forecast)."""

    forecast_id: int
    researcher: str
    question: str
    capability: str | None
    probability: float
    as_of: datetime
    previous: float | None
    previous_as_of: datetime | None
    reconstructed: bool = False

    def message(self) -> str:
        """``Saved ada's forecast on "Q" (unconditional): 12% → 7%, −5 points, −0.6 in log-odds …``."""
        level = self.capability or "unconditional"
        kind = "reconstructed forecast" if self.reconstructed else "forecast"
        head = f"Saved {self.researcher}'s {kind} on \u201c{self.question}\u201d ({level})"
        if self.previous is None or self.previous_as_of is None:
            return (
                f"{head}: {format_percent(self.probability)}. "
                f"This is {self.researcher}'s first forecast on this question at this level."
            )
        return (
            f"{head}: {describe_change(self.previous, self.probability)} "
            f"(previous estimate as of {format_time(self.previous_as_of)})."
        )


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def save_forecast(engine: sa.Engine, data: ForecastIn, by: str = "") -> Saved:
    """Store one forecast (:func:`models.store.records.create_forecast`) and find the estimate it follows.

    One transaction: a refused forecast (unknown researcher, question or level) writes nothing.
    """
    with write_session(engine) as session:
        return _create_forecast(session, data, by)


def reaffirm(
    engine: sa.Engine, forecast_id: int, note: str = "", by: str = "", now: datetime | None = None
) -> Saved:
    """Record forecast ``forecast_id``'s estimate again as of ``now`` (default: the current time).

    "I still think 7%" on the record: a forecast like any other (same researcher, question,
    level and probability), with rationale ``"Reaffirmed."`` or ``"Reaffirmed: <note>"``.
    """
    with write_session(engine) as session:
        data = records.reaffirmation(session, forecast_id, note, now or datetime.now(UTC))
        return _create_forecast(session, data, by or data.researcher)


def _create_forecast(session: Session, data: ForecastIn, by: str) -> Saved:
    forecast = records.create_forecast(session, data, by=by)
    prev = records.previous_forecast(session, forecast)
    assert forecast.id is not None
    return Saved(
        forecast_id=forecast.id,
        researcher=data.researcher,
        question=data.question,
        capability=data.capability,
        probability=forecast.probability,
        as_of=_utc(forecast.as_of),
        previous=prev.probability if prev else None,
        previous_as_of=_utc(prev.as_of) if prev else None,
        reconstructed=data.reconstructed,
    )


def add_question(engine: sa.Engine, data: QuestionIn, by: str = "") -> int:
    """Create a question (:func:`models.store.records.create_question`); returns its id."""
    with write_session(engine) as session:
        question = records.create_question(session, data, by=by)
        assert question.id is not None
        return question.id


def add_evidence(engine: sa.Engine, data: EvidenceIn, by: str = "") -> bool:
    """Create an evidence item with its URL; False when an item of that title already exists."""
    summary = apply_batch(engine, ImportBatch(evidence=[data]), by=by)
    return summary.created["evidence items"] > 0


def _write(
    engine: sa.Engine, write: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``write(session, *args, **kwargs)`` in its own transaction: all of it is committed, or none."""
    with write_session(engine) as session:
        return write(session, *args, **kwargs)


# --- forecasts and questions ------------------------------------------------------------------


def edit_forecast(engine: sa.Engine, forecast_id: int, edit: ForecastEdit, by: str = "") -> None:
    """Correct a forecast; its earlier version stays in the history as a revision."""
    _write(engine, records.edit_forecast, forecast_id, edit, by=by)


def edit_question(engine: sa.Engine, question_id: int, edit: QuestionEdit, by: str = "") -> None:
    """Change a question's title, criteria, tags or resolve-by date, keeping a revision."""
    _write(engine, records.edit_question, question_id, edit, by=by)


def resolve_question(engine: sa.Engine, data: ResolutionIn, by: str = "") -> bool:
    """Resolve (or re-resolve) a question; a changed resolution keeps the old one as a revision.

    Returns False when the question was already resolved with exactly these values (nothing
    is written then), True otherwise.
    """
    with write_session(engine) as session:
        before = records.question_by_title(session, data.question).revision
        return records.resolve_question(session, data, by=by).revision != before


def reopen_question(engine: sa.Engine, question_id: int, by: str = "", note: str = "") -> None:
    """Take back a resolution, keeping it in the question's history."""
    _write(engine, records.reopen_question, question_id, by=by, note=note)


def link_questions(engine: sa.Engine, question_id: int, target: int | None, note: str = "") -> None:
    """Record "P(this) moved mostly because P(target) moved" between two questions."""
    _write(engine, curation.add_question_link, question_id, target, note)


def delete(engine: sa.Engine, kind: str, row_id: int) -> None:
    """Soft-delete a row of ``kind`` (see :data:`models.store.records.DELETABLE`); :func:`undo_delete` restores it."""
    _write(engine, records.soft_delete, kind, row_id)


def undo_delete(engine: sa.Engine, kind: str, row_id: int) -> None:
    """Restore a soft-deleted row."""
    _write(engine, records.restore, kind, row_id)


# --- curation ---------------------------------------------------------------------------------


def create_researcher(engine: sa.Engine, data: ResearcherIn) -> None:
    _write(engine, curation.create_researcher, data)


def rename_researcher(engine: sa.Engine, researcher_id: int, name: str) -> None:
    _write(engine, curation.rename_researcher, researcher_id, name)


def create_level(engine: sa.Engine, data: LevelIn) -> None:
    _write(engine, curation.create_level, data)


def move_level(engine: sa.Engine, level_id: int, offset: int) -> None:
    """Move a capability level ``offset`` steps up (+) or down (−) the scale."""
    _write(engine, curation.move_level, level_id, offset)


def set_level_positions(engine: sa.Engine, positions: Mapping[int, float]) -> None:
    _write(engine, curation.set_level_positions, positions)


def create_evidence(engine: sa.Engine, data: EvidenceIn) -> int:
    """Add an evidence item to the library; returns its id."""
    with write_session(engine) as session:
        item = curation.create_evidence(session, data)
        assert item.id is not None
        return item.id


def edit_evidence(engine: sa.Engine, evidence_id: int, data: EvidenceIn) -> None:
    _write(engine, curation.edit_evidence, evidence_id, data)


# --- files ------------------------------------------------------------------------------------


def import_file(
    engine: sa.Engine,
    data: bytes,
    kind: str,
    by: str = "",
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Validate a whole interchange ``kind`` file (:data:`models.files.interchange.SPECS`), then write it."""
    batch = interchange.parse(data, kind, progress)
    return apply_batch(engine, batch, by=by, progress=progress, dry_run=dry_run)


def import_fatebook(
    engine: sa.Engine,
    data: bytes,
    researcher: str | None = None,
    by: str = "",
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Validate a whole Fatebook file, then write it; importing the same file again adds nothing."""
    batch = fatebook.parse_fatebook(data, researcher, progress)
    return apply_batch(engine, batch, by=by, progress=progress, dry_run=dry_run)


def load_demo(engine: sa.Engine, progress: Progress | None = None) -> ImportSummary:
    """Load the demo data (loading it twice adds nothing)."""
    return apply_batch(engine, demo.demo_batch(), by="demo", progress=progress)


def restore(engine: sa.Engine, text: str, replace: bool = False) -> dict[str, int]:
    """Load a backup into an empty database (or replace everything); see :mod:`models.store.backup`."""
    return backup.restore(engine, text, replace=replace)


def export_forecasts(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """Every current forecast as interchange CSV (plus ``id`` and ``recorded_at``); returns the row count."""
    df, refs = reads.current_forecasts(engine)
    return interchange.write_forecasts(df, refs, out)


def forecasts_csv(engine: sa.Engine) -> str:
    """:func:`export_forecasts` as a string (for a download button)."""
    buf = io.StringIO()
    export_forecasts(engine, buf)
    return buf.getvalue()


# --- likelihood ratios and evidence status ------------------------------------------------------


def record_ratio(engine: sa.Engine, data: RatioIn, by: str = "") -> int:
    """Record (or revise, keeping a revision) a researcher's expected likelihood ratio; returns its id."""
    with write_session(engine) as session:
        row = ratios.record_ratio(session, data, by=by)
        assert row.id is not None
        return row.id


def export_ratios(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """Every current likelihood ratio as a ratios CSV file; returns the row count."""
    return interchange.write_ratios(reads.ratios_frame(engine), out)


def export_evidence(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """The evidence library, with status and observed date, as an evidence CSV file; returns the row count."""
    return interchange.write_evidence(reads.evidence_frame(engine), out)
