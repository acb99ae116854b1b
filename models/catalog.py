"""Curating what forecasts refer to: researchers, the capability scale, evidence, questions.

Three kinds of functions live here, as in the rest of ``models``:

* **Writes** take an open :func:`models.db.write_session` session and validated input
  (``models.schemas``): :func:`create_researcher`, :func:`rename_researcher`,
  :func:`create_level`, :func:`move_level`, :func:`set_level_positions`,
  :func:`create_evidence`, :func:`edit_evidence`, :func:`add_question_link`.  A name that
  is taken is refused with an :class:`~models.errors.InputError` naming the field, so
  nothing is written.
* **Reads** of what the frames leave out (soft-deleted rows, earlier revisions) take an
  engine: :func:`question_history`, :func:`question_versions`, :func:`deleted_rows`.
* **Pure** functions of :class:`~models.frames.Frames` for the curation pages:
  :func:`question_list`, :func:`current_estimates`, :func:`question_links`,
  :func:`evidence_library`, :func:`evidence_usage`, and the form helpers
  :func:`forecast_form`/:func:`forecast_edit`, :func:`question_form`/:func:`question_edit`,
  :func:`form_problems`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session, SQLModel, select

from models.errors import CredenceError, InputError
from models.frames import Frames
from models.schemas import (
    EvidenceIn,
    ForecastEdit,
    LevelIn,
    QuestionEdit,
    ResearcherIn,
    format_evidence_refs,
    format_percent,
    format_time,
    messages,
)
from models.store import get, link_questions
from models.tables import (
    CapabilityLevel,
    Evidence,
    Forecast,
    ForecastEvidence,
    Question,
    QuestionLink,
    Researcher,
    Revision,
)
from models.trajectory import DIRECTION_TEXT, TARGET, utc
from models.updates import evidence_impact, updates

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


# --- reads beyond the frames ------------------------------------------------------------------


def _rows(engine: sa.Engine, stmt: sa.Select[Any]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _utc(values: Any) -> pd.Series:
    return pd.Series(
        pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601"),
        dtype="datetime64[ns, UTC]",
    )


def _none(value: Any) -> Any:
    """``value``, with pandas' missing markers (NaN, NaT) read as None."""
    return None if value is None or (not isinstance(value, str | tuple) and pd.isna(value)) else value


def _table(model: type[SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined]


HISTORY_COLUMNS = [
    "forecast_id", "version", "state", "researcher", "level", "level_position", "probability",
    "as_of", "recorded_at", "reconstructed", "rationale", "evidence", "evidence_refs",
    "written_at", "written_by", "replaced_at", "replaced_by", "deleted_at",
]  # fmt: skip


def _evidence_text(refs: list[tuple[str, str | None]]) -> str:
    return "; ".join(title + DIRECTION_TEXT.get(direction or "", "") for title, direction in refs)


def question_history(engine: sa.Engine, question_id: int) -> pd.DataFrame:
    """Every forecast ever recorded on a question, with its earlier versions, for display.

    One row per version of each forecast: the current version (``state`` ``"current"``, or
    ``"deleted"`` when soft-deleted, with ``deleted_at``) followed by its earlier versions
    (``"earlier version"``) newest first.  ``written_at``/``written_by`` say when a version was
    written, ``replaced_at``/``replaced_by`` when an edit replaced it.  ``evidence`` is display
    text (``"Paper X (lowered); Result Y"``), ``evidence_refs`` the same links in the form a
    :class:`~models.schemas.ForecastEdit` reads (``"Paper X [lowered];Result Y"``).  Rows come
    in forecast order of the current versions ``(as_of, recorded_at, forecast_id)``.
    Forecasts of deleted researchers are left out, as everywhere else.
    """
    F, R, L, RV = _table(Forecast), _table(Researcher), _table(CapabilityLevel), _table(Revision)
    E, FE = _table(Evidence), _table(ForecastEvidence)
    ids = sa.select(F.c.id).where(F.c.question_id == question_id)
    current = _rows(
        engine,
        sa.select(
            F.c.id.label("forecast_id"),
            F.c.revision.label("version"),
            R.c.handle.label("researcher"),
            F.c.level_id,
            F.c.probability,
            F.c.as_of,
            F.c.recorded_at,
            F.c.reconstructed,
            F.c.rationale,
            F.c.updated_at.label("written_at"),
            F.c.updated_by.label("written_by"),
            F.c.deleted_at,
        )
        .select_from(F.join(R, R.c.id == F.c.researcher_id))
        .where(F.c.question_id == question_id, R.c.deleted_at.is_(None)),
    )
    if current.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in HISTORY_COLUMNS})
    links = _rows(
        engine,
        sa.select(FE.c.forecast_id, E.c.title, FE.c.direction)
        .select_from(FE.join(E, E.c.id == FE.c.evidence_id))
        .where(FE.c.forecast_id.in_(ids))
        .order_by(FE.c.forecast_id, E.c.title),
    )
    revs = _rows(
        engine,
        sa.select(RV.c.entity_id, RV.c.number, RV.c.data, RV.c.changed_at, RV.c.changed_by).where(
            RV.c.entity == "forecast", RV.c.entity_id.in_(ids)
        ),
    )
    handles = dict(_rows(engine, sa.select(R.c.id, R.c.handle)).itertuples(index=False))
    levels = _rows(engine, sa.select(L.c.id, L.c.name, L.c.position)).set_index("id")
    titles = dict(_rows(engine, sa.select(E.c.id, E.c.title)).itertuples(index=False))

    refs: dict[int, list[tuple[str, str | None]]] = {}
    for fid, title, direction in links.itertuples(index=False):
        refs.setdefault(int(fid), []).append((title, _none(direction)))
    current["state"] = np.where(current["deleted_at"].notna(), "deleted", "current")
    current["refs"] = [refs.get(int(i), []) for i in current["forecast_id"]]

    # Earlier versions: one small JSON document per edit of this question's forecasts.
    old = [json.loads(d) for d in revs["data"]]
    earlier = pd.DataFrame(
        {
            "forecast_id": revs["entity_id"].astype("int64"),
            "version": revs["number"].astype("int64"),
            "state": "earlier version",
            "researcher": [handles.get(d.get("researcher_id")) for d in old],
            "level_id": [d.get("level_id") for d in old],
            "probability": [d.get("probability") for d in old],
            "as_of": _utc([d.get("as_of") for d in old]),
            "recorded_at": _utc([d.get("recorded_at") for d in old]),
            "reconstructed": [bool(d.get("reconstructed")) for d in old],
            "rationale": [d.get("rationale") or "" for d in old],
            "written_at": _utc([d.get("updated_at") for d in old]),
            "written_by": [d.get("updated_by") or "" for d in old],
            "replaced_at": _utc(revs["changed_at"]),
            "replaced_by": revs["changed_by"].astype("object"),
            "refs": [
                sorted(
                    (titles.get(e["evidence_id"], f"evidence #{e['evidence_id']}"), e.get("direction"))
                    for e in d.get("evidence", [])
                )
                for d in old
            ],
        }
    )
    out = pd.concat([current, earlier], ignore_index=True)
    for col in ("as_of", "recorded_at", "written_at", "replaced_at", "deleted_at"):
        out[col] = _utc(out[col])
    level_id = out["level_id"].astype("float64")
    out["level"] = level_id.map(levels["name"]).astype("object")
    out["level"] = out["level"].where(out["level"].notna(), None)
    out["level_position"] = level_id.map(levels["position"]).astype("float64")
    out["probability"] = out["probability"].astype("float64")
    out["reconstructed"] = out["reconstructed"].astype(bool)
    out["evidence"] = [_evidence_text(r) for r in out["refs"]]
    out["evidence_refs"] = [format_evidence_refs(r) for r in out["refs"]]
    out["version"] = out["version"].astype("int64")
    out["replaced_by"] = out["replaced_by"].astype("object").where(out["replaced_by"].notna(), None)
    # Each forecast's versions sit together, placed where its current version falls.
    key = current.set_index("forecast_id")[["as_of", "recorded_at"]]
    out["_as_of"] = out["forecast_id"].map(_utc(key["as_of"]).set_axis(key.index))
    out["_recorded"] = out["forecast_id"].map(_utc(key["recorded_at"]).set_axis(key.index))
    out = out.sort_values(
        ["_as_of", "_recorded", "forecast_id", "version"], ascending=[True, True, True, False], kind="stable"
    )
    return out[HISTORY_COLUMNS].reset_index(drop=True)


VERSION_COLUMNS = [
    "version", "state", "title", "criteria", "tags", "resolve_by", "outcome", "resolved_at",
    "resolution_level", "resolution_note", "written_at", "written_by", "replaced_at", "replaced_by",
]  # fmt: skip


def question_versions(engine: sa.Engine, question_id: int) -> pd.DataFrame:
    """A question's current version and every earlier one (edits, resolutions, re-openings).

    Newest first; ``tags`` as text ``"a; b"``; ``state`` is ``"current"`` or ``"earlier version"``;
    ``written_*``/``replaced_*`` as in :func:`question_history`.
    """
    Q, L, RV = _table(Question), _table(CapabilityLevel), _table(Revision)
    cur = _rows(engine, sa.select(Q).where(Q.c.id == question_id))
    revs = _rows(
        engine,
        sa.select(RV.c.number, RV.c.data, RV.c.changed_at, RV.c.changed_by).where(
            RV.c.entity == "question", RV.c.entity_id == question_id
        ),
    )
    levels = dict(_rows(engine, sa.select(L.c.id, L.c.name)).itertuples(index=False))
    docs = [*cur.to_dict("records"), *(json.loads(d) for d in revs["data"])]
    n_current = len(cur)
    out = pd.DataFrame(
        {
            "version": [int(d["revision"]) for d in docs],
            "state": ["current"] * n_current + ["earlier version"] * len(revs),
            "title": [d["title"] for d in docs],
            "criteria": [d.get("criteria") or "" for d in docs],
            "tags": [(d.get("tags") or "").replace(";", "; ") for d in docs],
            "resolve_by": _utc([d.get("resolve_by") for d in docs]),
            "outcome": [_none(d.get("outcome")) for d in docs],
            "resolved_at": _utc([d.get("resolved_at") for d in docs]),
            "resolution_level": [levels.get(_none(d.get("resolution_level_id"))) for d in docs],
            "resolution_note": [d.get("resolution_note") or "" for d in docs],
            "written_at": _utc([d.get("updated_at") for d in docs]),
            "written_by": [d.get("updated_by") or "" for d in docs],
            "replaced_at": _utc([None] * n_current + list(revs["changed_at"])),
            "replaced_by": [None] * n_current + list(revs["changed_by"]),
        },
        columns=VERSION_COLUMNS,
    )
    for col in ("outcome", "resolution_level", "replaced_by"):
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    return out.sort_values("version", ascending=False, kind="stable").reset_index(drop=True)


#: What :func:`deleted_rows` lists, with the column that names a row.
_DELETED: dict[str, tuple[type[SQLModel], str]] = {
    "researcher": (Researcher, "handle"),
    "capability_level": (CapabilityLevel, "name"),
    "evidence": (Evidence, "title"),
    "question": (Question, "title"),
}


def deleted_rows(engine: sa.Engine, kind: str) -> pd.DataFrame:
    """Soft-deleted researchers, capability levels, evidence items or questions (``id, label,
    deleted_at``), most recently deleted first, for a page to offer restoring them."""
    model, column = _DELETED[kind]
    t = _table(model)
    df = _rows(
        engine,
        sa.select(t.c.id, t.c[column].label("label"), t.c.deleted_at)
        .where(t.c.deleted_at.is_not(None))
        .order_by(t.c.deleted_at.desc(), t.c.id),
    )
    df["deleted_at"] = _utc(df["deleted_at"])
    return df


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


def _linked(frames: Frames, evidence_ids: Iterable[int] | None) -> pd.DataFrame:
    links = frames.evidence_links
    if evidence_ids is not None:
        links = links[links["evidence_id"].isin(list(evidence_ids))]
    return links


def _cited_questions(frames: Frames, links: pd.DataFrame) -> np.ndarray:
    f = frames.forecasts
    return f.loc[f["forecast_id"].isin(links["forecast_id"]), "question_id"].unique()


USAGE_COLUMNS = [
    "evidence_id", "evidence", "forecast_id", "researcher", "question_id", "question", "level",
    "as_of", "direction", "note", "from_probability", "to_probability", "change_points",
    "change_log_odds",
]  # fmt: skip


def evidence_usage(frames: Frames, evidence_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Which forecasts each evidence item moved, and how much: one row per citing forecast.

    Built on :func:`models.updates.updates` (computed only for the questions the items are
    cited on): ``from_probability``/``to_probability`` and ``change_points = 100 · (to − from)``,
    ``change_log_odds`` (natural, clipped to [0.001, 0.999]) are the citing forecast's move
    from the previous forecast of its target, NaN when it is the target's first.
    ``direction`` is what the link states (``raised``, ``lowered``, ``no_change`` or None).
    Sorted by evidence title, then ``as_of``.
    """
    links = _linked(frames, evidence_ids)
    u = updates(frames, _cited_questions(frames, links))
    m = links.merge(
        u[
            [
                "forecast_id",
                "researcher",
                "question_id",
                "question",
                "level",
                "as_of",
                "from_probability",
                "to_probability",
                "change_points",
                "change_log_odds",
            ]
        ],
        on="forecast_id",
    )
    titles = frames.evidence.drop_duplicates("evidence_id").set_index("evidence_id")["evidence"]
    m["evidence"] = m["evidence_id"].map(titles).fillna(m["evidence"])
    m = m.sort_values(["evidence", "as_of", "forecast_id"], kind="stable")
    return m[USAGE_COLUMNS].reset_index(drop=True)


LIBRARY_COLUMNS = [
    "evidence_id", "evidence", "kind", "published", "url", "summary", "n_citing", "n_researchers",
    "n_raised", "n_lowered", "n_no_change", "n_unstated", "sum_change_points", "sum_change_log_odds",
]  # fmt: skip


def evidence_library(frames: Frames) -> pd.DataFrame:
    """Every current evidence item with how it was used, summed over researchers.

    From :func:`models.updates.evidence_impact`: ``n_citing`` forecasts, ``n_researchers``
    citing it, link directions ``n_raised, n_lowered, n_no_change, n_unstated``, and the sums
    of the citing updates' changes ``sum_change_points`` and ``sum_change_log_odds`` (a
    target's first forecast adds nothing).  Items nobody cites have zeros.  Sorted by title.
    """
    ev = frames.evidence
    impact = evidence_impact(frames, _cited_questions(frames, frames.evidence_links))
    g = impact.groupby("evidence_id")
    sums = g[
        [
            "n_citing",
            "n_raised",
            "n_lowered",
            "n_no_change",
            "n_unstated",
            "sum_change_points",
            "sum_change_log_odds",
        ]
    ].sum()
    sums["n_researchers"] = g.size()
    out = ev.join(sums, on="evidence_id")
    for col in ("n_citing", "n_researchers", "n_raised", "n_lowered", "n_no_change", "n_unstated"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("sum_change_points", "sum_change_log_odds"):
        out[col] = out[col].fillna(0.0).astype("float64")
    if "kind" not in out.columns:
        out["kind"] = "other"
    return out.sort_values("evidence", kind="stable")[LIBRARY_COLUMNS].reset_index(drop=True)


# --- form helpers -----------------------------------------------------------------------------


def forecast_form(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values an edit form starts with for a forecast (a :func:`question_history` row):
    probability as a percentage, ``as_of`` as ISO 8601 text, evidence as ``"Title [direction]"``."""
    return {
        "probability": format_percent(float(row["probability"])),
        "as_of": format_time(row["as_of"]),
        "capability": row["level"] or "",
        "rationale": row["rationale"] or "",
        "reconstructed": bool(row["reconstructed"]),
        "evidence": row["evidence_refs"] or "",
    }


def _changed(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in typed.items() if k in initial and v != initial[k]}


def forecast_edit(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> ForecastEdit | None:
    """A :class:`ForecastEdit` of the fields whose typed value differs from the form's start
    (:func:`forecast_form`), or None when nothing changed.  Clearing the capability makes the
    forecast unconditional.  Raises :class:`pydantic.ValidationError` on bad values."""
    changes = _changed(initial, typed)
    if not changes:
        return None
    if "capability" in changes and not str(changes["capability"]).strip():
        changes.pop("capability")
        changes["clear_capability"] = True
    return ForecastEdit.model_validate(changes)


def question_form(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values a question's edit form starts with (a ``frames.questions`` row)."""
    resolve_by = row["resolve_by"]
    return {
        "title": row["question"],
        "criteria": row["criteria"] or "",
        "tags": "; ".join(row["tags"] or ()),
        "resolve_by": "" if pd.isna(resolve_by) else format_time(resolve_by),
    }


def question_edit(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> QuestionEdit | None:
    """A :class:`QuestionEdit` of the changed fields (see :func:`forecast_edit`); an emptied
    resolve-by date clears it.  Tags are compared as sets, so re-spacing them changes nothing."""
    changes = _changed(initial, typed)
    if "tags" in changes and set(QuestionEdit(tags=changes["tags"]).tags or ()) == set(
        QuestionEdit(tags=initial["tags"]).tags or ()
    ):
        changes.pop("tags")
    if not changes:
        return None
    if "resolve_by" in changes and not str(changes["resolve_by"]).strip():
        changes.pop("resolve_by")
        changes["clear_resolve_by"] = True
    return QuestionEdit.model_validate(changes)


def form_problems(error: ValidationError | CredenceError) -> dict[str, str]:
    """``{field: message}`` for showing an error next to its input; ``""`` holds the rest.

    Messages read as a sentence after the field name (``"140% is above 100%"``).
    """
    if isinstance(error, ValidationError):
        out: dict[str, str] = {}
        for field, msg in messages(error):
            out.setdefault(field, msg)
        return out
    if isinstance(error, InputError):
        return error.fields
    return {"": str(error)}
