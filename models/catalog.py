"""Curating what forecasts refer to: researchers, the capability scale, evidence, questions.

* **Writes** take an open :func:`models.db.write_session` session and validated input
  (``models.schemas``): :func:`create_researcher`, :func:`rename_researcher`,
  :func:`create_level`, :func:`move_level`, :func:`set_level_positions`,
  :func:`create_evidence`, :func:`edit_evidence`, :func:`add_question_link`.  A name that
  is taken is refused with an :class:`~models.errors.InputError` naming the field, so
  nothing is written.
* **Pure** functions of :class:`~models.frames.Frames` for the curation pages:
  :func:`question_tags`, :func:`question_list`, :func:`find_question`,
  :func:`current_estimates`, :func:`question_links`.

Nearby: earlier versions and deleted rows in :mod:`models.history`, the evidence library
in :mod:`models.evidence_library`, edit forms in :mod:`models.forms`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, select

from models.errors import InputError
from models.frames import Frames
from models.schemas import EvidenceIn, LevelIn, ResearcherIn
from models.store import get, link_questions
from models.tables import CapabilityLevel, Evidence, QuestionLink, Researcher
from models.trajectory import TARGET, utc
from models.updates import updates

#: Question statuses, as :func:`question_list` names them.
STATUSES = ("open", "resolved", "annulled")
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
        raise InputError([f"{field} {value!r} belongs to a deleted {what}: restore it instead"])
    raise InputError([f"{field} {value!r} is already used by another {what}"])


def _display_name(name: str | None) -> str:
    text = (name or "").strip()
    if len(text) > NAME_MAX:
        raise InputError([f"name is too long ({len(text)} characters; at most {NAME_MAX})"])
    return text


def create_researcher(session: Session, data: ResearcherIn) -> Researcher:
    """Add a researcher; a handle already in use (even by a deleted researcher) is refused."""
    name = _display_name(data.name)
    _refuse_taken(session, Researcher, "handle", data.handle, "handle", "researcher")
    researcher = Researcher(handle=data.handle, name=name)
    session.add(researcher)
    session.flush()
    return researcher


def rename_researcher(session: Session, researcher_id: int, name: str) -> Researcher:
    """Change a researcher's display name (the handle, which files refer to, stays)."""
    text = _display_name(name)
    researcher = get(session, Researcher, researcher_id)
    researcher.name = text
    session.add(researcher)
    return researcher


def _live_levels(session: Session) -> list[CapabilityLevel]:
    stmt = select(CapabilityLevel).where(CapabilityLevel.deleted_at.is_(None))  # type: ignore[union-attr]
    return sorted(session.exec(stmt).all(), key=lambda lv: (lv.position, lv.name))


def create_level(session: Session, data: LevelIn) -> CapabilityLevel:
    """Add a capability level at ``data.position``, or at the top of the scale (highest + 1)."""
    _refuse_taken(session, CapabilityLevel, "name", data.name, "name", "capability level")
    position = data.position
    if position is None:
        position = max((lv.position for lv in _live_levels(session)), default=0.0) + 1.0
    elif not math.isfinite(position):
        raise InputError(["position must be a finite number"])
    level = CapabilityLevel(name=data.name, description=data.description, position=position)
    session.add(level)
    session.flush()
    return level


def move_level(session: Session, level_id: int, offset: int) -> list[CapabilityLevel]:
    """Move a level ``offset`` places up (negative: towards the bottom) the ordered scale.

    The moved level and the levels it passes trade positions, so every other number stays;
    when positions tie, the whole scale is renumbered 1, 2, 3, … in the new order.
    Moving past either end stops there.  Returns the scale in its new order.
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
            level.position = position
            session.add(level)
    return levels


def set_level_positions(session: Session, positions: Mapping[int, float]) -> list[CapabilityLevel]:
    """Give levels new positions (``{level_id: position}``); the scale is ordered by position.

    Positions must be finite and, across the levels not deleted, distinct, so the order
    is never ambiguous.  Returns the scale in its new order.
    """
    levels = {lv.id: lv for lv in _live_levels(session) if lv.id is not None}
    problems = [f"position of capability level {i} does not exist" for i in positions if i not in levels]
    problems += [f"position {p} is not a finite number" for p in positions.values() if not math.isfinite(p)]
    if problems:
        raise InputError(problems)
    new = {i: float(positions.get(i, lv.position)) for i, lv in levels.items()}
    by_position: dict[float, list[str]] = {}
    for i, p in new.items():
        by_position.setdefault(p, []).append(levels[i].name)
    clashes = [
        f"position {p:g} is given to both {' and '.join(map(repr, names))}"
        for p, names in by_position.items()
        if len(names) > 1
    ]
    if clashes:
        raise InputError(clashes)
    for i, level in levels.items():
        if level.position != new[i]:
            level.position = new[i]
            session.add(level)
    return sorted(levels.values(), key=lambda lv: (lv.position, lv.name))


def create_evidence(session: Session, data: EvidenceIn) -> Evidence:
    """Add an evidence item to the library; its title must be new."""
    _refuse_taken(session, Evidence, "title", data.title, "title", "evidence item")
    item = Evidence(title=data.title, kind=data.kind, url=data.url, published=data.date, summary=data.summary)
    session.add(item)
    session.flush()
    return item


def edit_evidence(session: Session, evidence_id: int, data: EvidenceIn) -> Evidence:
    """Replace an evidence item's title, kind, URL, date and summary; links to forecasts stay."""
    item = get(session, Evidence, evidence_id)
    _refuse_taken(session, Evidence, "title", data.title, "title", "evidence item", except_id=evidence_id)
    item.title, item.kind, item.url = data.title, data.kind, data.url
    item.published, item.summary = data.date, data.summary
    session.add(item)
    return item


def add_question_link(
    session: Session, source_id: int, target_id: int | None, note: str = ""
) -> QuestionLink:
    """Record "P(source) moved mostly because P(target) moved" (:func:`models.store.link_questions`).

    A missing target, or a link that already exists, is refused.
    """
    if target_id is None:
        raise InputError(["target is required: pick the question whose move explains this one's"])
    L = QuestionLink
    live = L.deleted_at.is_(None)  # type: ignore[union-attr]
    stmt = select(L).where(L.source_question_id == source_id, L.target_question_id == target_id, live)
    if session.exec(stmt).first() is not None:
        raise InputError(["target is already linked to this question"])
    return link_questions(session, source_id, target_id, note)


# --- pure functions of the frames -------------------------------------------------------------

LIST_COLUMNS = [
    "question_id", "question", "tags", "status", "outcome", "resolve_by", "resolved_at", "due",
    "n_forecasts", "n_researchers", "last_forecast",
]  # fmt: skip


def question_tags(frames: Frames) -> list[str]:
    """Every tag used by a current question, sorted."""
    tags = frames.questions["tags"].explode().dropna()
    return sorted(set(tags.tolist()))


def question_list(
    frames: Frames,
    search: str = "",
    tags: Iterable[str] = (),
    status: str | Iterable[str] | None = None,
    researcher: str | None = None,
    due: bool = False,
    now: datetime | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """The questions that pass every given filter, in creation order, with forecast counts.

    * ``search``: every whitespace-separated word occurs (case-insensitive) in the title,
      criteria or tags.
    * ``tags``: the question carries *all* of them.
    * ``status``: one or several of ``"open"`` (no outcome), ``"resolved"`` (yes or no) and
      ``"annulled"``.
    * ``researcher``: they have a current forecast on the question.
    * ``due``: due for resolution, i.e. still open and ``resolve_by`` is before ``now``
      (default: the current time).  The ``due`` column is computed whether or not it filters.

    Columns: ``question_id, question, tags`` (tuple), ``status, outcome, resolve_by,
    resolved_at, due, n_forecasts, n_researchers, last_forecast`` (latest ``as_of``, NaT
    with no forecasts).
    """
    q = frames.questions
    f = frames.forecasts
    outcome = q["outcome"]
    status_col = pd.Series(
        np.select([outcome.isna(), outcome == "annulled"], ["open", "annulled"], "resolved"),
        index=q.index,
        dtype="object",
    )
    due_col = (outcome.isna() & q["resolve_by"].notna() & (q["resolve_by"] < utc(now))).astype(bool)
    mask = pd.Series(True, index=q.index)
    words = search.lower().split()
    if words:
        tag_text = q["tags"].map(" ".join) if len(q) else pd.Series(dtype="object")
        hay = (q["question"].fillna("") + "\n" + q["criteria"].fillna("") + "\n" + tag_text).str.lower()
        for word in words:
            mask &= hay.str.contains(word, regex=False)
    wanted = set(tags)
    if wanted:
        exploded = q["tags"].explode()
        hits = exploded[exploded.isin(wanted)].groupby(level=0).nunique()
        mask &= hits.reindex(q.index, fill_value=0) == len(wanted)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        mask &= status_col.isin(statuses)
    if researcher is not None:
        mask &= q["question_id"].isin(f.loc[f["researcher"] == researcher, "question_id"].unique())
    if due:
        mask &= due_col
    out = q.loc[mask, ["question_id", "question", "tags", "outcome", "resolve_by", "resolved_at"]].copy()
    out["status"] = status_col[mask]
    out["due"] = due_col[mask]
    counted = f[f["question_id"].isin(out["question_id"])].groupby("question_id")
    ids = out["question_id"]
    out["n_forecasts"] = counted.size().reindex(ids, fill_value=0).to_numpy().astype("int64")
    out["n_researchers"] = (
        counted["researcher"].nunique().reindex(ids, fill_value=0).to_numpy().astype("int64")
    )
    out["last_forecast"] = counted["as_of"].max().astype("datetime64[ns, UTC]").reindex(ids).to_numpy()
    return out[LIST_COLUMNS].reset_index(drop=True)


def find_question(frames: Frames, ref: str | None) -> int | None:
    """The id of the question ``ref`` names, by id (``"12"``) or exact title; None if none does."""
    if not ref:
        return None
    q = frames.questions
    ref = str(ref).strip()
    if ref.isdigit() and int(ref) in set(q["question_id"]):
        return int(ref)
    hit = q.loc[q["question"] == ref, "question_id"]
    return int(hit.iloc[0]) if len(hit) else None


ESTIMATE_COLUMNS = [
    "researcher", "level", "level_position", "probability", "as_of", "forecast_id", "reconstructed",
    "n_forecasts", "previous_probability", "change_points", "change_log_odds", "rationale", "evidence",
]  # fmt: skip


def current_estimates(frames: Frames, question_id: int) -> pd.DataFrame:
    """Each researcher's standing estimate on a question, per capability level.

    The standing estimate of a target ``(researcher, question, level)`` is its last forecast
    in forecast order (see :mod:`models.updates`), shown with how it moved from the one
    before: ``change_points = 100 · (p − previous)`` and ``change_log_odds`` (natural,
    probabilities clipped to [0.001, 0.999]); NaN for a target's only forecast.
    ``n_forecasts`` counts the target's forecasts.  Sorted by level position (unconditional
    first), then researcher.
    """
    u = updates(frames, [question_id])
    u["n_forecasts"] = u.groupby(TARGET, dropna=False, sort=False)["forecast_id"].transform("size")
    out = u.drop_duplicates(TARGET, keep="last").rename(
        columns={"to_probability": "probability", "from_probability": "previous_probability"}
    )
    f = frames.forecasts
    positions = f.loc[f["question_id"] == question_id].set_index("forecast_id")["level_position"]
    out["level_position"] = out["forecast_id"].map(positions).astype("float64")
    out["n_forecasts"] = out["n_forecasts"].astype("int64")
    out = out.sort_values(["level_position", "researcher"], na_position="first", kind="stable")
    return out[ESTIMATE_COLUMNS].reset_index(drop=True)


def question_links(frames: Frames, question_id: int) -> pd.DataFrame:
    """Links touching a question: ``link_id, other_question_id, other_question, note, reads``.

    ``reads`` is the sentence the link stands for: ``"P(this) moved mostly because P(other)
    moved"`` when this question is the link's source, the reverse when it is the target.
    """
    links = frames.links
    titles = frames.questions.drop_duplicates("question_id").set_index("question_id")["question"]
    this = titles.get(question_id, f"question {question_id}")
    outgoing = links[links["source_question_id"] == question_id]
    incoming = links[links["target_question_id"] == question_id]
    parts = []
    for part, other_col, is_source in (
        (outgoing, "target_question_id", True),
        (incoming, "source_question_id", False),
    ):
        other = part[other_col].astype("int64")
        other_title = other.map(titles).fillna("question " + other.astype(str))
        reads = (
            f"P({this}) moved mostly because P(" + other_title + ") moved"
            if is_source
            else "P(" + other_title + f") moved mostly because P({this}) moved"
        )
        parts.append(
            pd.DataFrame(
                {
                    "link_id": part["link_id"],
                    "other_question_id": other,
                    "other_question": other_title,
                    "note": part["note"],
                    "reads": reads,
                }
            )
        )
    return pd.concat(parts, ignore_index=True).astype({"link_id": "int64", "other_question_id": "int64"})
