"""Writing likelihood ratios and evidence status, one at a time or from a file.

A ratio is kept per (researcher, question, capability level, evidence): recording one that
exists replaces its value, keeping the earlier version as a revision (entity
``likelihood_ratio``), and sets ``recorded_at`` to the time of the new value, so a ratio
changed after the evidence was observed becomes post hoc while the pre-registered value
stays in its history.  An identical ratio is already present and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlmodel import Session, col, select

from models.batch import ImportBatch, ImportSummary
from models.errors import InputError
from models.schemas import RatioIn
from models.store.records import (
    evidence_by_title,
    keep_revision,
    level_by_name,
    now,
    question_by_title,
    researcher_by_handle,
)
from models.store.tables import Evidence, LikelihoodRatio


def _same_time(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return pd.Timestamp(a).tz_convert("UTC") == pd.Timestamp(b).tz_convert("UTC")


def write_ratio(
    session: Session,
    data: RatioIn,
    researcher_id: int,
    question_id: int,
    level_id: int | None,
    evidence_id: int,
    by: str = "",
) -> tuple[str, LikelihoodRatio]:
    """Store one ratio for the given ids; returns ``"created"``, ``"updated"`` or ``"present"``
    and the stored row."""
    R = LikelihoodRatio
    same_level = col(R.level_id) == level_id if level_id is not None else col(R.level_id).is_(None)
    stmt = select(R).where(
        R.researcher_id == researcher_id,
        R.question_id == question_id,
        same_level,
        R.evidence_id == evidence_id,
        col(R.deleted_at).is_(None),
    )
    row = session.exec(stmt).first()
    stamp = now()
    if row is None:
        row = R(
                researcher_id=researcher_id, question_id=question_id, level_id=level_id,
                evidence_id=evidence_id, ratio=data.ratio, as_of=data.as_of,
                recorded_at=data.recorded_at or stamp, rationale=data.rationale,
                updated_at=stamp, updated_by=by or data.researcher,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return "created", row
    unchanged = (
        row.ratio == data.ratio and _same_time(row.as_of, data.as_of) and row.rationale == data.rationale
    )
    if unchanged and (data.recorded_at is None or _same_time(row.recorded_at, data.recorded_at)):
        return "present", row
    keep_revision(session, row, "likelihood_ratio", by or data.researcher)
    row.ratio, row.as_of, row.rationale = data.ratio, data.as_of, data.rationale
    row.recorded_at = data.recorded_at or stamp
    session.add(row)
    session.flush()
    return "updated", row


def record_ratio(session: Session, data: RatioIn, by: str = "") -> LikelihoodRatio:
    """Record a ratio from a form or the CLI: the researcher, question, level and evidence must exist."""
    researcher = researcher_by_handle(session, data.researcher)
    question = question_by_title(session, data.question)
    level = level_by_name(session, data.capability) if data.capability else None
    evidence = evidence_by_title(session, data.evidence)
    assert researcher.id is not None and question.id is not None and evidence.id is not None
    level_id = level.id if level else None
    return write_ratio(session, data, researcher.id, question.id, level_id, evidence.id, by)[1]


def import_ratios(
    session: Session, batch: ImportBatch, ids: dict[str, dict[str, int]], summary: ImportSummary, by: str
) -> None:
    """Write the batch's ratios (names resolved through ``ids``), counting what each did."""
    for data in batch.ratios:
        outcome, _ = write_ratio(
            session,
            data,
            ids["researchers"][data.researcher],
            ids["questions"][data.question],
            ids["levels"][data.capability] if data.capability else None,
            ids["evidence"][data.evidence],
            by,
        )
        {"created": summary.created, "updated": summary.updated, "present": summary.present}[outcome][
            "likelihood ratios"
        ] += 1


def sync_evidence_status(session: Session, batch: ImportBatch, summary: ImportSummary, by: str = "") -> None:
    """Give stored evidence items the status and observed date the file says (an update).

    Only rows that give a ``status`` or an ``observed`` date count: an older evidence file
    without those columns leaves an anticipated item anticipated."""
    listed = {e.title: e for e in batch.evidence if {"status", "observed"} & e.model_fields_set}
    if not listed:
        return
    rows = session.exec(select(Evidence).where(col(Evidence.title).in_(list(listed)))).all()
    for row in rows:
        e = listed[row.title]
        if row.status == e.status and _same_time(row.observed_at, e.observed_at):
            continue
        keep_revision(session, row, "evidence", by)
        row.status, row.observed_at = e.status, e.observed_at
        session.add(row)
        summary.updated["evidence items"] += 1
    session.flush()


def check_ratio_evidence(session: Session, batch: ImportBatch) -> None:
    """Refuse ratios naming a deleted evidence item (a new title is created as anticipated)."""
    titles = sorted({r.evidence for r in batch.ratios})
    if not titles:
        return
    stmt = select(Evidence.title).where(
        col(Evidence.title).in_(titles), col(Evidence.deleted_at).is_not(None)
    )
    deleted = set(session.execute(stmt).scalars())
    problems = [
        f"line {r.line}: evidence {r.evidence!r} was deleted"
        if r.line
        else f"evidence {r.evidence!r} was deleted"
        for r in batch.ratios
        if r.evidence in deleted
    ]
    if problems:
        raise InputError(problems)
