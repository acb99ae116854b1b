"""Writing single records: forecasts, questions, resolutions, and their revisions.

Every function takes an open :func:`models.store.db.write_session` session and validated input
(``models.schemas``).  Nothing is destroyed: an edit first copies the row into
:class:`~models.store.tables.Revision`; a delete sets ``deleted_at`` and :func:`restore` clears it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from models.errors import InputError, NotFound, Problem
from models.schemas import EvidenceRef, ForecastEdit, ForecastIn, QuestionEdit, QuestionIn, ResolutionIn
from models.store.tables import (
    CapabilityLevel,
    Evidence,
    Forecast,
    ForecastEvidence,
    LikelihoodRatio,
    PartitionMember,
    Question,
    QuestionLink,
    QuestionPartition,
    Researcher,
    Revision,
)

T = TypeVar("T", bound=SQLModel)

#: Tables whose rows can be soft-deleted and restored, by the name users see.
DELETABLE: dict[str, type[Any]] = {
    "forecast": Forecast,
    "question": Question,
    "researcher": Researcher,
    "evidence": Evidence,
    "capability_level": CapabilityLevel,
    "question_link": QuestionLink,
    "likelihood_ratio": LikelihoodRatio,
    "partition": QuestionPartition,
}


def now() -> datetime:
    return datetime.now(UTC)


def row_data(row: SQLModel) -> dict[str, Any]:
    """A row as JSON-ready values (times in ISO 8601)."""
    out = {}
    for key, value in row.model_dump().items():
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


#: Kinds whose delete and restore are kept as revisions too, so the history says who did them:
#: the shared ones, which every member may curate, and researchers, which admins curate (a
#: forecast, ratio or partition is changed only by its researcher).
REVISED_ON_DELETE = frozenset({"question", "evidence", "capability_level", "researcher", "question_link"})

#: The rows that keep numbered revisions (their table has ``revision``, ``updated_at``, ``updated_by``).
Revised = (
    Question
    | Forecast
    | LikelihoodRatio
    | Evidence
    | CapabilityLevel
    | QuestionPartition
    | Researcher
    | QuestionLink
)


def keep_revision(session: Session, row: Revised, entity: str, by: str) -> None:
    """Copy ``row`` as it is now into the revision history (a forecast with its evidence, a
    partition with its members), then bump its revision number."""
    assert row.id is not None
    stamp = now()  # one time: the old version was replaced when the new one was written
    data = row_data(row)
    if isinstance(row, Forecast):
        links = session.exec(select(ForecastEvidence).where(ForecastEvidence.forecast_id == row.id)).all()
        data["evidence"] = [
            {"evidence_id": link.evidence_id, "direction": link.direction, "note": link.note}
            for link in links
        ]
    elif isinstance(row, QuestionPartition):
        data["members"] = _members(session, row.id)
    session.add(
        Revision(
            entity=entity,
            entity_id=row.id,
            number=row.revision,
            data=json.dumps(data, sort_keys=True),
            changed_by=by,
            changed_at=stamp,
        )
    )
    row.revision += 1
    row.updated_at = stamp
    row.updated_by = by


# --- lookups ----------------------------------------------------------------------------------


def _by(session: Session, model: type[T], column: str, value: str, what: str) -> T:
    row = session.exec(select(model).where(getattr(model, column) == value)).first()
    if row is None or getattr(row, "deleted_at", None) is not None:
        raise InputError([Problem(f"{value!r} does not exist", what)])
    return row


def researcher_by_handle(session: Session, handle: str) -> Researcher:
    return _by(session, Researcher, "handle", handle, "researcher")


def question_by_title(session: Session, title: str) -> Question:
    return _by(session, Question, "title", title, "question")


def level_by_name(session: Session, name: str) -> CapabilityLevel:
    return _by(session, CapabilityLevel, "name", name, "capability")


def evidence_by_title(session: Session, title: str) -> Evidence:
    return _by(session, Evidence, "title", title, "evidence")


def get(session: Session, model: type[T], row_id: int) -> T:
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{model.__name__.lower()} {row_id} does not exist")
    return row


# --- forecasts --------------------------------------------------------------------------------


def reaffirmation(session: Session, forecast_id: int, note: str, as_of: datetime) -> ForecastIn:
    """The input that records forecast ``forecast_id``'s estimate again, as of ``as_of``.

    Same researcher, question, capability level, condition and probability; not reconstructed; no
    evidence; rationale ``"Reaffirmed."``, or ``"Reaffirmed: <note>"`` with a note.
    """
    forecast = get(session, Forecast, forecast_id)
    if forecast.deleted_at is not None:
        raise NotFound(f"forecast #{forecast_id} is deleted; restore it first")
    level = get(session, CapabilityLevel, forecast.level_id) if forecast.level_id is not None else None
    note = note.strip()
    return ForecastIn.model_validate(
        {
            "researcher": get(session, Researcher, forecast.researcher_id).handle,
            "question": get(session, Question, forecast.question_id).title,
            "capability": level.name if level is not None else None,
            "probability": forecast.probability,
            "as_of": as_of,
            "rationale": f"Reaffirmed: {note}" if note else "Reaffirmed.",
            # the same condition: reaffirming P(A | B = yes) is not a direct estimate of A
            "given": get(session, Question, forecast.given_question_id).title
            if forecast.given_question_id
            else None,
            "given_outcome": forecast.given_outcome,
        }
    )


def _link_evidence(session: Session, forecast_id: int, refs: list[EvidenceRef], by: str = "") -> None:
    seen: set[str] = set()
    for ref in refs:
        if ref.title in seen:
            continue
        seen.add(ref.title)
        ev = session.exec(select(Evidence).where(Evidence.title == ref.title)).first()
        if ev is None:
            ev = Evidence(title=ref.title, updated_by=by)
            session.add(ev)
            session.flush()
        assert ev.id is not None
        session.add(
            ForecastEvidence(
                forecast_id=forecast_id, evidence_id=ev.id, direction=ref.direction, note=ref.note
            )
        )


def create_forecast(session: Session, data: ForecastIn, by: str = "") -> Forecast:
    """Record one forecast from a form or the CLI.

    The researcher, question, capability level and the condition's question (``given``) must
    exist (a typo should not create a new researcher); evidence items named by title are
    created if new.
    """
    researcher = researcher_by_handle(session, data.researcher)
    question = question_by_title(session, data.question)
    level = level_by_name(session, data.capability) if data.capability else None
    given = _by(session, Question, "title", data.given, "given") if data.given else None
    stamp = now()
    forecast = Forecast(
        researcher_id=researcher.id,  # type: ignore[arg-type]
        question_id=question.id,  # type: ignore[arg-type]
        level_id=level.id if level else None,
        probability=data.probability,
        as_of=data.as_of,
        recorded_at=data.recorded_at or stamp,
        reconstructed=data.reconstructed,
        rationale=data.rationale,
        given_question_id=given.id if given else None,
        given_outcome=data.given_outcome if given else None,
        updated_at=stamp,
        updated_by=by or data.researcher,
    )
    session.add(forecast)
    session.flush()
    assert forecast.id is not None
    _link_evidence(session, forecast.id, data.evidence, by or data.researcher)
    return forecast


def edit_forecast(session: Session, forecast_id: int, edit: ForecastEdit, by: str = "") -> Forecast:
    """Correct a stored forecast; its earlier version stays in the revision history."""
    forecast = get(session, Forecast, forecast_id)
    keep_revision(session, forecast, "forecast", by)
    if edit.probability is not None:
        forecast.probability = edit.probability
    if edit.as_of is not None:
        forecast.as_of = edit.as_of
    if edit.clear_capability:
        forecast.level_id = None
    elif edit.capability is not None:
        forecast.level_id = level_by_name(session, edit.capability).id
    if edit.rationale is not None:
        forecast.rationale = edit.rationale
    if edit.reconstructed is not None:
        forecast.reconstructed = edit.reconstructed
    if edit.evidence is not None:
        session.execute(sa.delete(ForecastEvidence).where(ForecastEvidence.forecast_id == forecast_id))  # type: ignore[arg-type]
        _link_evidence(session, forecast_id, edit.evidence, by)
    session.add(forecast)
    return forecast


def previous_forecast(session: Session, forecast: Forecast) -> Forecast | None:
    """The forecast ``forecast`` updated: the same researcher's on the same question and level
    just before it by ``as_of``, among those recorded no later than it (the update rule of
    :mod:`models.analysis.record`)."""
    f = Forecast.__table__.c  # type: ignore[attr-defined]
    same_level = f.level_id == forecast.level_id if forecast.level_id is not None else f.level_id.is_(None)
    same_condition = (
        sa.and_(f.given_question_id == forecast.given_question_id, f.given_outcome == forecast.given_outcome)
        if forecast.given_question_id is not None
        else f.given_question_id.is_(None)
    )
    earlier = sa.or_(
        f.as_of < forecast.as_of,
        sa.and_(f.as_of == forecast.as_of, f.recorded_at < forecast.recorded_at),
        sa.and_(f.as_of == forecast.as_of, f.recorded_at == forecast.recorded_at, f.id < forecast.id),
    )
    stmt = (
        select(Forecast)
        .where(
            f.researcher_id == forecast.researcher_id,
            f.question_id == forecast.question_id,
            same_level,
            same_condition,
            f.deleted_at.is_(None),
            f.id != forecast.id,
            f.recorded_at <= forecast.recorded_at,  # what was on record then (the update rule)
            earlier,
        )
        .order_by(f.as_of.desc(), f.recorded_at.desc(), f.id.desc())
    )
    return session.exec(stmt).first()


# --- soft delete ------------------------------------------------------------------------------


def soft_delete(session: Session, kind: str, row_id: int, by: str = "") -> None:
    """Hide a row from every view, export and score; :func:`restore` brings it back.

    For :data:`REVISED_ON_DELETE` kinds the version before the delete is kept as a revision,
    so the history says who deleted it.
    """
    row = get(session, DELETABLE[kind], row_id)
    if row.deleted_at is None:
        if kind in REVISED_ON_DELETE:
            keep_revision(session, row, kind, by)
        row.deleted_at = now()
        session.add(row)


def restore(session: Session, kind: str, row_id: int, by: str = "") -> None:
    """Undo :func:`soft_delete` (a revision records who, as there)."""
    row = get(session, DELETABLE[kind], row_id)
    if row.deleted_at is not None:
        if kind in REVISED_ON_DELETE:
            keep_revision(session, row, kind, by)
        row.deleted_at = None
        session.add(row)


# --- questions --------------------------------------------------------------------------------


def create_question(session: Session, data: QuestionIn, by: str = "") -> Question:
    if session.exec(select(Question).where(Question.title == data.title)).first() is not None:
        raise InputError([Problem(f"{data.title!r} is already a question", "title")])
    question = Question(
        title=data.title,
        criteria=data.criteria,
        tags=";".join(data.tags),
        resolve_by=data.resolve_by,
        review_every_days=data.review_every_days,
        updated_by=by,
    )
    session.add(question)
    session.flush()
    return question


def edit_question(session: Session, question_id: int, edit: QuestionEdit, by: str = "") -> Question:
    """Change a question's wording, tags or deadline; the earlier version stays in its history."""
    q = get(session, Question, question_id)
    if edit.title is not None and edit.title != q.title:
        if session.exec(select(Question).where(Question.title == edit.title)).first() is not None:
            raise InputError([Problem(f"{edit.title!r} is already a question", "title")])
    keep_revision(session, q, "question", by)
    if edit.title is not None:
        q.title = edit.title
    if edit.criteria is not None:
        q.criteria = edit.criteria
    if edit.tags is not None:
        q.tags = ";".join(edit.tags)
    if edit.clear_resolve_by:
        q.resolve_by = None
    elif edit.resolve_by is not None:
        q.resolve_by = edit.resolve_by
    if edit.clear_review_every:
        q.review_every_days = None
    elif edit.review_every_days is not None:
        q.review_every_days = edit.review_every_days
    session.add(q)
    return q


def resolve_question(session: Session, data: ResolutionIn, by: str = "") -> Question:
    """Record a question's outcome (yes, no or annulled); a change of resolution keeps the old one.

    Resolving again with identical values (outcome, time, level reached, note) changes nothing
    and writes no revision.
    """
    q = question_by_title(session, data.question)
    level_id = level_by_name(session, data.capability).id if data.capability else None
    if (q.outcome, q.resolved_at, q.resolution_level_id, q.resolution_note) == (
        data.outcome,
        data.resolved_at,
        level_id,
        data.note,
    ):
        return q
    keep_revision(session, q, "question", by)
    q.outcome = data.outcome
    q.resolved_at = data.resolved_at
    q.resolution_level_id = level_id
    q.resolution_note = data.note
    session.add(q)
    return q


def reopen_question(session: Session, question_id: int, by: str = "", note: str = "") -> Question:
    """Clear a resolution; the resolved version stays in the history."""
    q = get(session, Question, question_id)
    keep_revision(session, q, "question", by)
    q.outcome = None
    q.resolved_at = None
    q.resolution_level_id = None
    q.resolution_note = note
    session.add(q)
    return q


def link_questions(
    session: Session, source_id: int, target_id: int, note: str = "", by: str = ""
) -> QuestionLink:
    """Record that P(source) moved mostly because P(target) moved (``by`` wrote this first version)."""
    if source_id == target_id:
        raise InputError([Problem("must be another question", "target")])
    get(session, Question, source_id)
    get(session, Question, target_id)
    link = QuestionLink(
        source_question_id=source_id, target_question_id=target_id, note=note.strip(), updated_by=by
    )
    session.add(link)
    session.flush()
    return link


# --- partitions -------------------------------------------------------------------------------


def partition_owners(session: Session, names: list[str]) -> dict[str, tuple[int, str]]:
    """The stored partitions among ``names`` (deleted ones included): name → (owner id, handle)."""
    if not names:
        return {}
    stmt = (
        select(QuestionPartition.name, QuestionPartition.researcher_id, Researcher.handle)
        .join(Researcher, Researcher.id == QuestionPartition.researcher_id)  # type: ignore[arg-type]
        .where(QuestionPartition.name.in_(sorted(set(names))))  # type: ignore[attr-defined]
    )
    return {name: (int(rid), handle) for name, rid, handle in session.exec(stmt).all()}


def _members(session: Session, partition_id: int) -> list[int]:
    stmt = select(PartitionMember).where(PartitionMember.partition_id == partition_id)
    return [m.question_id for m in sorted(session.exec(stmt).all(), key=lambda m: m.position)]


def declare_partition(
    session: Session, name: str, researcher_id: int | None, question_ids: list[int], by: str = ""
) -> str:
    """Store the partition ``name`` with these members (in order); says ``"created"``,
    ``"updated"`` or ``"present"``.

    Declaring a stored name again with other members (or another owner) keeps the earlier
    version, members included, in the revision history (entity ``"partition"``); a deleted one
    is brought back.  Owner ``None`` keeps the stored owner.
    """
    row = session.exec(select(QuestionPartition).where(QuestionPartition.name == name)).first()
    if row is None:
        if researcher_id is None:
            raise InputError(
                [Problem(f"partition {name!r} needs the researcher who declares it", "researcher")]
            )
        row = QuestionPartition(name=name, researcher_id=researcher_id, updated_by=by)
        session.add(row)
        session.flush()
        outcome = "created"
    else:
        assert row.id is not None
        owner = researcher_id if researcher_id is not None else row.researcher_id
        if (
            _members(session, row.id) == question_ids
            and owner == row.researcher_id
            and row.deleted_at is None
        ):
            return "present"
        keep_revision(session, row, "partition", by)
        row.researcher_id = owner
        row.deleted_at = None
        session.add(row)
        session.execute(sa.delete(PartitionMember).where(PartitionMember.partition_id == row.id))  # type: ignore[arg-type]
        outcome = "updated"
    assert row.id is not None
    for position, qid in enumerate(question_ids):
        session.add(PartitionMember(partition_id=row.id, question_id=qid, position=position))
    session.flush()
    return outcome
