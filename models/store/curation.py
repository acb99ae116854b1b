"""Curating what forecasts refer to: researchers, the capability scale, evidence, questions.

* **Writes** take an open :func:`models.store.db.write_session` session and validated input
  (``models.schemas``): :func:`create_researcher`, :func:`rename_researcher`, :func:`set_researcher_email`,
  :func:`create_level`, :func:`move_level`, :func:`set_level_positions`,
  :func:`create_evidence`, :func:`edit_evidence`, :func:`add_question_link`.  A name that
  is taken is refused with an :class:`~models.errors.InputError` naming the field, so
  nothing is written.
* The lists the curation pages show are pure functions in :mod:`models.analysis.questions`.

Nearby: earlier versions and deleted rows in :mod:`models.store.history`, the evidence library
in :mod:`models.analysis.evidence`, edit forms in :mod:`models.forms`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from models.errors import InputError, Problem
from models.schemas import EvidenceIn, LevelIn, ResearcherIn
from models.store.records import get, keep_revision, link_questions
from models.store.tables import CapabilityLevel, Evidence, QuestionLink, Researcher

#: Longest display name a researcher can have (the column's width).
NAME_MAX = 200


# --- writes -----------------------------------------------------------------------------------


def _refuse_taken(
    session: Session,
    model: type[Any],
    column: str,
    value: str,
    field: str,
    what: str,
    except_id: int | None = None,
) -> None:
    row = session.exec(select(model).where(getattr(model, column) == value)).first()
    if row is None or row.id == except_id:
        return
    if row.deleted_at is not None:
        raise InputError([Problem(f"{value!r} belongs to a deleted {what}: restore it instead", field)])
    raise InputError([Problem(f"{value!r} is already used by another {what}", field)])


def _display_name(name: str | None) -> str:
    text = (name or "").strip()
    if len(text) > NAME_MAX:
        raise InputError([Problem(f"is too long ({len(text)} characters; at most {NAME_MAX})", "name")])
    return text


def create_researcher(session: Session, data: ResearcherIn, by: str = "") -> Researcher:
    """Add a researcher (``by`` wrote this first version); a handle already in use (even by a
    deleted researcher) is refused."""
    name = _display_name(data.name)
    _refuse_taken(session, Researcher, "handle", data.handle, "handle", "researcher")
    if data.email:
        _refuse_taken(session, Researcher, "email", data.email, "email", "researcher")
    researcher = Researcher(handle=data.handle, name=name, email=data.email, updated_by=by)
    session.add(researcher)
    session.flush()
    return researcher


def researcher_by_email(session: Session, email: str) -> Researcher | None:
    """The researcher bound to ``email`` (lower-case), deleted or not; None when nobody is."""
    return session.exec(select(Researcher).where(Researcher.email == email.strip().lower())).first()


def set_researcher_email(session: Session, researcher_id: int, email: str | None, by: str = "") -> Researcher:
    """Bind ``email`` (validated, lower-case) to a researcher, or unbind with None; an e-mail
    bound to another researcher is refused.  A change keeps the earlier version as a revision by ``by``."""
    researcher = get(session, Researcher, researcher_id)
    if email:
        _refuse_taken(session, Researcher, "email", email, "email", "researcher", except_id=researcher_id)
    if researcher.email != (email or None):
        keep_revision(session, researcher, "researcher", by)
        researcher.email = email or None
        session.add(researcher)
    return researcher


def rename_researcher(session: Session, researcher_id: int, name: str, by: str = "") -> Researcher:
    """Change a researcher's display name (the handle, which files refer to, stays); a change
    keeps the earlier version as a revision by ``by``."""
    text = _display_name(name)
    researcher = get(session, Researcher, researcher_id)
    if researcher.name != text:
        keep_revision(session, researcher, "researcher", by)
        researcher.name = text
        session.add(researcher)
    return researcher


def _live_levels(session: Session) -> list[CapabilityLevel]:
    stmt = select(CapabilityLevel).where(CapabilityLevel.deleted_at.is_(None))  # type: ignore[union-attr]
    return sorted(session.exec(stmt).all(), key=lambda lv: (lv.position, lv.name))


def create_level(session: Session, data: LevelIn, by: str = "") -> CapabilityLevel:
    """Add a capability level at ``data.position``, or at the top of the scale (highest + 1)."""
    _refuse_taken(session, CapabilityLevel, "name", data.name, "name", "capability level")
    position = data.position
    if position is None:
        position = max((lv.position for lv in _live_levels(session)), default=0.0) + 1.0
    elif not math.isfinite(position):
        raise InputError([Problem("must be a finite number", "position")])
    level = CapabilityLevel(name=data.name, description=data.description, position=position, updated_by=by)
    session.add(level)
    session.flush()
    return level


def move_level(session: Session, level_id: int, offset: int, by: str = "") -> list[CapabilityLevel]:
    """Move a level ``offset`` places up (negative: towards the bottom) the ordered scale.

    The moved level and the levels it passes trade positions, so every other number stays;
    when positions tie, the whole scale is renumbered 1, 2, 3, … in the new order.
    Moving past either end stops there.  Each level whose position changes keeps its earlier
    version as a revision.  Returns the scale in its new order.
    """
    levels = _live_levels(session)
    index = next((i for i, lv in enumerate(levels) if lv.id == level_id), None)
    if index is None:
        raise InputError([f"capability level {level_id} does not exist"])
    target = min(max(index + offset, 0), len(levels) - 1)
    positions = [lv.position for lv in levels]
    moved = levels.pop(index)
    levels.insert(target, moved)
    if len(set(positions)) < len(positions):
        positions = [float(i) for i in range(1, len(levels) + 1)]
    for level, position in zip(levels, positions, strict=True):
        if level.position != position:
            keep_revision(session, level, "capability_level", by)
            level.position = position
            session.add(level)
    return levels


def set_level_positions(
    session: Session, positions: Mapping[int, float], by: str = ""
) -> list[CapabilityLevel]:
    """Give levels new positions (``{level_id: position}``); the scale is ordered by position.

    Positions must be finite and, across the levels not deleted, distinct, so the order
    is never ambiguous.  Returns the scale in its new order.
    """
    levels = {lv.id: lv for lv in _live_levels(session) if lv.id is not None}
    problems = [
        Problem(f"of capability level {i} does not exist", "position") for i in positions if i not in levels
    ]
    problems += [
        Problem(f"{p} is not a finite number", "position") for p in positions.values() if not math.isfinite(p)
    ]
    if problems:
        raise InputError(problems)
    new = {i: float(positions.get(i, lv.position)) for i, lv in levels.items()}
    by_position: dict[float, list[str]] = {}
    for i, p in new.items():
        by_position.setdefault(p, []).append(levels[i].name)
    clashes = [
        Problem(f"{p:g} is given to both {' and '.join(map(repr, names))}", "position")
        for p, names in by_position.items()
        if len(names) > 1
    ]
    if clashes:
        raise InputError(clashes)
    for i, level in levels.items():
        if level.position != new[i]:
            keep_revision(session, level, "capability_level", by)
            level.position = new[i]
            session.add(level)
    return sorted(levels.values(), key=lambda lv: (lv.position, lv.name))


def create_evidence(session: Session, data: EvidenceIn, by: str = "") -> Evidence:
    """Add an evidence item to the library; its title must be new."""
    _refuse_taken(session, Evidence, "title", data.title, "title", "evidence item")
    item = Evidence(
        title=data.title, kind=data.kind, url=data.url, published=data.date, summary=data.summary,
        status=data.status, observed_at=data.observed_at, updated_by=by,
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


def edit_evidence(session: Session, evidence_id: int, data: EvidenceIn, by: str = "") -> Evidence:
    """Replace an evidence item's title, kind, URL, date, summary, status and observed date;
    links to forecasts and ratios stay.  The earlier version is kept as a revision (an edit
    that changes nothing writes nothing)."""
    item = get(session, Evidence, evidence_id)
    _refuse_taken(session, Evidence, "title", data.title, "title", "evidence item", except_id=evidence_id)
    new = (data.title, data.kind, data.url, data.date, data.summary, data.status, data.observed_at)
    if new == (item.title, item.kind, item.url, item.published, item.summary, item.status, item.observed_at):
        return item
    keep_revision(session, item, "evidence", by)
    item.title, item.kind, item.url = data.title, data.kind, data.url
    item.published, item.summary = data.date, data.summary
    item.status, item.observed_at = data.status, data.observed_at
    session.add(item)
    return item


def add_question_link(
    session: Session, source_id: int, target_id: int | None, note: str = "", by: str = ""
) -> QuestionLink:
    """Record "P(source) moved mostly because P(target) moved" (:func:`models.store.records.link_questions`).

    A missing target, or a link that already exists, is refused.
    """
    if target_id is None:
        raise InputError([Problem("is required: pick the question whose move explains this one's", "target")])
    L = QuestionLink
    live = L.deleted_at.is_(None)  # type: ignore[union-attr]
    stmt = select(L).where(L.source_question_id == source_id, L.target_question_id == target_id, live)
    if session.exec(stmt).first() is not None:
        raise InputError([Problem("is already linked to this question", "target")])
    return link_questions(session, source_id, target_id, note, by=by)
