"""What the frames leave out: earlier versions of forecasts, questions, evidence, levels,
researchers and question links, and deleted rows.

These read the database directly (the frames hold only current, non-deleted rows) and
return DataFrames for display: :func:`question_history` (every version of every forecast
on a question), :func:`question_versions` (a question's own edits),
:func:`curated_versions` (an evidence item's, capability level's or researcher's edits),
:func:`link_versions` (every version of the links touching a question, removed ones too) and
:func:`deleted_rows` (what a page can offer to restore).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlmodel import SQLModel

from models.analysis.trajectory import DIRECTION_TEXT
from models.limits import to_utc_times
from models.schemas import format_evidence_refs
from models.store.tables import (
    CapabilityLevel,
    Evidence,
    Forecast,
    ForecastEvidence,
    Question,
    QuestionLink,
    Researcher,
    Revision,
)


def _rows(engine: sa.Engine, stmt: sa.Select[Any]) -> pd.DataFrame:
    with engine.connect() as conn:
        result = conn.execute(stmt)
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for name in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[name]):
            df[name] = to_utc_times(df[name])  # clips a stored time outside pandas' range
    return df


def _utc(values: Any) -> pd.Series:
    return pd.Series(
        to_utc_times(pd.Series(values, dtype="object"), format="ISO8601"), dtype="datetime64[ns, UTC]"
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


#: The columns of each curated kind that :func:`curated_versions` shows, as stored.
CURATED_FIELDS: dict[str, tuple[type[SQLModel], list[str]]] = {
    "evidence": (Evidence, ["title", "kind", "url", "published", "summary", "status", "observed_at"]),
    "capability_level": (CapabilityLevel, ["name", "description", "position"]),
    "researcher": (Researcher, ["handle", "name", "email"]),
    "question_link": (QuestionLink, ["source_question_id", "target_question_id", "note"]),
}
_TIMES = ("published", "observed_at")


def curated_versions(engine: sa.Engine, kind: str, row_id: int) -> pd.DataFrame:
    """A curated row's current version and every earlier one, newest first.

    ``kind`` is ``"evidence"``, ``"capability_level"``, ``"researcher"`` or ``"question_link"``.
    Columns: ``version``, ``state``
    (``"current"`` / ``"earlier version"``), the kind's fields (:data:`CURATED_FIELDS`),
    ``deleted`` (the version was a deleted one), then ``written_at``/``written_by`` and
    ``replaced_at``/``replaced_by`` as in :func:`question_history`.  A version written before
    authors were recorded (schema 0009; 0012 for researchers and links) takes its author from
    the revision that replaced the one before it, when there is one; otherwise the author is
    ``""`` and the time unknown.
    """
    model, fields = CURATED_FIELDS[kind]
    t, RV = _table(model), _table(Revision)
    cur = _rows(engine, sa.select(t).where(t.c.id == row_id))
    revs = _rows(
        engine,
        sa.select(RV.c.number, RV.c.data, RV.c.changed_at, RV.c.changed_by)
        .where(RV.c.entity == kind, RV.c.entity_id == row_id)
        .order_by(RV.c.number),
    )
    docs = [*(json.loads(d) for d in revs["data"]), *cur.to_dict("records")]
    numbers = [int(n) for n in revs["number"]] + [int(d["revision"]) for d in cur.to_dict("records")]
    replaced_by: list[Any] = list(revs["changed_by"]) + [None] * len(cur)
    replaced_at: list[Any] = list(revs["changed_at"]) + [None] * len(cur)
    # Oldest first here: a version's author is who replaced the one before it.
    written_by = [
        d.get("updated_by") or (replaced_by[i - 1] if i > 0 and "updated_by" not in d else "") or ""
        for i, d in enumerate(docs)
    ]
    written_at = [
        _none(d.get("updated_at")) or (replaced_at[i - 1] if i > 0 and "updated_at" not in d else None)
        for i, d in enumerate(docs)
    ]
    out = pd.DataFrame(
        {
            "version": numbers,
            "state": ["earlier version"] * len(revs) + ["current"] * len(cur),
            **{f: [_none(d.get(f)) for d in docs] for f in fields},
            "deleted": [_none(d.get("deleted_at")) is not None for d in docs],
            "written_at": _utc(written_at),
            "written_by": written_by,
            "replaced_at": _utc(replaced_at),
            "replaced_by": replaced_by,
        },
        columns=[
            "version",
            "state",
            *fields,
            "deleted",
            "written_at",
            "written_by",
            "replaced_at",
            "replaced_by",
        ],
    )
    for f in fields:
        if f in _TIMES:
            out[f] = _utc(out[f])
        elif f == "position":
            out[f] = out[f].astype("float64")
        else:
            out[f] = out[f].astype("object").where(out[f].notna(), None)
    out["replaced_by"] = out["replaced_by"].astype("object").where(out["replaced_by"].notna(), None)
    return out.iloc[::-1].reset_index(drop=True)


def link_versions(engine: sa.Engine, question_id: int) -> pd.DataFrame:
    """Every version of every link from or to a question, removed links included, newest first.

    Columns: ``link_id``, then :func:`curated_versions`' columns with the two question ids
    replaced by their titles, ``source`` and ``target`` ("P(source) moved mostly because
    P(target) moved").
    """
    L, Q = _table(QuestionLink), _table(Question)
    touching = sa.or_(L.c.source_question_id == question_id, L.c.target_question_id == question_id)
    ids = _rows(engine, sa.select(L.c.id).where(touching).order_by(L.c.id))["id"].astype("int64")
    titles = dict(_rows(engine, sa.select(Q.c.id, Q.c.title)).itertuples(index=False))
    parts = [curated_versions(engine, "question_link", int(i)).assign(link_id=int(i)) for i in ids]
    if not parts:
        parts = [curated_versions(engine, "question_link", -1).assign(link_id=pd.Series(dtype="int64"))]
    out = pd.concat(parts, ignore_index=True)
    out["source"] = out.pop("source_question_id").map(titles)
    out["target"] = out.pop("target_question_id").map(titles)
    columns = ["link_id", "version", "state", "source", "target", "note", "deleted", "written_at", "written_by",
               "replaced_at", "replaced_by"]  # fmt: skip
    newest = out.sort_values("written_at", ascending=False, kind="stable", na_position="last")
    return newest[columns].reset_index(drop=True)


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
