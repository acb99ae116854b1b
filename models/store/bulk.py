"""Applying a validated batch of records in one transaction: everything or nothing.

Parsers (``models.files.interchange``, ``models.files.fatebook``) turn files into an
:class:`ImportBatch` of validated inputs; :func:`apply_batch` writes it.  Rules:

* Researchers, capability levels, evidence and questions that a forecast names but the
  database lacks are created (new levels go to the top of the scale, in order of appearance).
* A forecast identical in every column to a stored one (or to an earlier row of the same
  batch) is already present and skipped, so importing a file twice adds nothing.  Rows that
  carry an ``id`` (an export of Credence) keep it; an ``id`` that is stored with different
  values is refused, since corrections are edits.
* A question row that differs from the stored question updates it, keeping a revision; a
  resolution that differs from the stored one re-resolves the question, keeping a revision.
* A resolution must name a question that exists (stored, or created by the same batch).
* Likelihood ratios follow :mod:`models.store.ratios`; an evidence item first named by a ratio
  is created as anticipated.  An evidence row whose status or observed date differs from the
  stored item's updates them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models.batch import ImportBatch, ImportSummary, Progress
from models.errors import InputError
from models.schemas import (
    EvidenceRef,
    PartitionMemberIn,
)
from models.store import ratios
from models.store.db import write_session
from models.store.records import _keep_revision, declare_partition, now
from models.store.tables import CapabilityLevel, Evidence, Forecast, ForecastEvidence, Question, Researcher
from models.vocab import EvidenceStatus

CHUNK = 5000
#: Column values of an evidence item created because a forecast or ratio named it.
EVIDENCE_DEFAULTS: dict[str, object] = {
    "url": None, "published": None, "summary": "", "kind": "other", "status": "observed", "observed_at": None,
}  # fmt: skip


def _where(line: int | None) -> str:
    return f"line {line}: " if line else ""


def _ensure(
    session: Session,
    model: type[Researcher] | type[CapabilityLevel] | type[Evidence] | type[Question],
    key: str,
    wanted: dict[str, dict[str, object]],
    summary: ImportSummary,
    label: str,
    listed: Iterable[str] = (),
) -> dict[str, int]:
    """Ids of every wanted row by ``key``, creating the missing ones from their attributes.

    ``listed`` are the keys the file itself describes (not merely mentions); those already
    stored are counted as present.
    """
    column = getattr(model, key)
    existing: dict[str, int] = {}
    names = list(wanted)
    for start in range(0, len(names), 900):
        stmt = select(column, model.id).where(column.in_(names[start : start + 900]))
        existing.update((str(k), int(i)) for k, i in session.execute(stmt).all())
    missing = [name for name in names if name not in existing]
    summary.present[label] += len(set(listed) & existing.keys())
    if missing:
        table: sa.Table = model.__table__  # type: ignore[union-attr]
        insert = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = session.execute(insert, [{key: n, **wanted[n]} for n in missing]).scalars().all()
        existing.update(zip(missing, ids, strict=True))
        summary.created[label] += len(missing)
    return existing


def _levels(session: Session, batch: ImportBatch, summary: ImportSummary) -> dict[str, int]:
    wanted: dict[str, dict[str, object]] = {}
    for lv in batch.levels:
        wanted.setdefault(lv.name, {"position": lv.position, "description": lv.description})
    named = [f.capability for f in batch.forecasts] + [r.capability for r in batch.resolutions]
    for name in named + [r.capability for r in batch.ratios]:
        if name:
            wanted.setdefault(name, {"position": None, "description": ""})
    if not wanted:
        return {}
    top = session.execute(sa.select(sa.func.max(col(CapabilityLevel.position)))).scalar() or 0
    stored = set(session.execute(select(CapabilityLevel.name)).scalars())
    for name, attrs in wanted.items():
        if name not in stored and attrs["position"] is None:
            top += 1
            attrs["position"] = top
        elif attrs["position"] is not None:
            top = max(top, float(attrs["position"]))  # type: ignore[arg-type]
    return _ensure(
        session,
        CapabilityLevel,
        "name",
        wanted,
        summary,
        "capability levels",
        [lv.name for lv in batch.levels],
    )


def _questions(session: Session, batch: ImportBatch, summary: ImportSummary, by: str) -> dict[str, int]:
    wanted: dict[str, dict[str, object]] = {}
    stamp = now()
    for q in batch.questions:
        wanted.setdefault(
            q.title, {"criteria": q.criteria, "tags": ";".join(q.tags), "resolve_by": q.resolve_by}
        )
    # A forecast's question, and the question it is given on, are created when new.
    for title in (
        [f.question for f in batch.forecasts]
        + [f.given for f in batch.forecasts if f.given]
        + [r.question for r in batch.ratios]
    ):
        wanted.setdefault(title, {})
    for member in batch.partitions:  # so are a partition's members
        wanted.setdefault(member.question, {})
    stored = {
        q.title: q
        for q in session.exec(
            select(Question).where(col(Question.title).in_([q.title for q in batch.questions]))
        ).all()
    }
    for q in batch.questions:
        row = stored.get(q.title)
        if row is None:
            continue
        new = wanted[q.title]
        if (row.criteria, row.tags, row.resolve_by) == (new["criteria"], new["tags"], new["resolve_by"]):
            summary.present["questions"] += 1
            continue
        _keep_revision(session, row, "question", by)
        row.criteria, row.tags, row.resolve_by = new["criteria"], new["tags"], new["resolve_by"]  # type: ignore[assignment]
        session.add(row)
        summary.updated["questions"] += 1
    session.flush()
    for attrs in wanted.values():
        attrs.update(created_at=stamp, updated_at=stamp, updated_by=by)
    return _ensure(session, Question, "title", wanted, summary, "questions")


def _resolutions(
    session: Session, batch: ImportBatch, lids: dict[str, int], summary: ImportSummary, by: str
) -> None:
    if not batch.resolutions:
        return
    titles = sorted({r.question for r in batch.resolutions})
    stmt = select(Question).where(col(Question.title).in_(titles))
    stored = {q.title: q for q in session.exec(stmt).all()}
    for r in batch.resolutions:
        q = stored[r.question]
        level_id = lids[r.capability] if r.capability else None
        if (q.outcome, q.resolved_at, q.resolution_level_id, q.resolution_note) == (
            r.outcome,
            r.resolved_at,
            level_id,
            r.note,
        ):
            summary.present["resolutions"] += 1
            continue
        # Resolving an open question is new information; changing a resolution is an update.
        (summary.created if q.outcome is None else summary.updated)["resolutions"] += 1
        _keep_revision(session, q, "question", by)
        q.outcome, q.resolved_at, q.resolution_level_id, q.resolution_note = (
            r.outcome,
            r.resolved_at,
            level_id,
            r.note,
        )
        session.add(q)


def _evidence_key(refs: Iterable[tuple[str, str | None]]) -> str:
    return "\x1e".join(f"{t}\x1f{d or ''}" for t, d in refs)


_KEY = [
    "researcher_id",
    "question_id",
    "level_id",
    "probability",
    "as_of",
    "rationale",
    "reconstructed",
    "evidence_key",
    "condition",
]


def _stored_forecasts(session: Session, question_ids: list[int]) -> pd.DataFrame:
    """Current forecasts on these questions, with the key columns used to spot duplicates."""
    F, FE, E = Forecast.__table__, ForecastEvidence.__table__, Evidence.__table__  # type: ignore[attr-defined]
    cols = [F.c.id, F.c.researcher_id, F.c.question_id, F.c.level_id, F.c.probability, F.c.as_of,
            F.c.recorded_at, F.c.rationale, F.c.reconstructed, F.c.given_question_id, F.c.given_outcome]  # fmt: skip
    frames: list[pd.DataFrame] = []
    links: list[tuple[int, str, str | None]] = []
    for start in range(0, len(question_ids), 900):
        chunk = question_ids[start : start + 900]
        rows = session.execute(
            sa.select(*cols).where(F.c.question_id.in_(chunk), F.c.deleted_at.is_(None))
        ).all()
        frames.append(pd.DataFrame(rows, columns=[c.name for c in cols]))
        link_rows = session.execute(
            sa.select(FE.c.forecast_id, E.c.title, FE.c.direction)
            .join(E, E.c.id == FE.c.evidence_id)
            .join(F, F.c.id == FE.c.forecast_id)
            .where(F.c.question_id.in_(chunk), F.c.deleted_at.is_(None))
            .order_by(FE.c.forecast_id, E.c.title)
        ).all()
        links.extend((int(r[0]), r[1], r[2]) for r in link_rows)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=[c.name for c in cols])
    keys: dict[int, list[tuple[str, str | None]]] = {}
    for fid, title, direction in links:
        keys.setdefault(fid, []).append((title, direction))
    df["evidence_key"] = df["id"].map(lambda i: _evidence_key(keys.get(i, [])))
    df["condition"] = _condition_key(df["given_question_id"], df["given_outcome"])
    return df


def _condition_key(given_ids: pd.Series, outcomes: pd.Series) -> pd.Series:
    """``"<question id>=<yes|no>"`` for a forecast given another question, ``""`` otherwise."""
    ids = pd.to_numeric(given_ids, errors="coerce")
    text = ids.astype("Int64").astype("string").fillna("") + "=" + outcomes.astype("string").fillna("")
    return text.where(ids.notna(), "").astype("object")


def _forecasts(
    session: Session,
    batch: ImportBatch,
    ids: dict[str, dict[str, int]],
    summary: ImportSummary,
    by: str,
    progress: Progress | None,
) -> None:
    if not batch.forecasts:
        return
    stamp = now()
    rids, qids, lids, eids = ids["researchers"], ids["questions"], ids["levels"], ids["evidence"]
    incoming = pd.DataFrame(
        {
            "line": [f.line for f in batch.forecasts],
            "researcher_id": [rids[f.researcher] for f in batch.forecasts],
            "question_id": [qids[f.question] for f in batch.forecasts],
            "level_id": [lids[f.capability] if f.capability else None for f in batch.forecasts],
            "probability": [f.probability for f in batch.forecasts],
            "as_of": [f.as_of for f in batch.forecasts],
            "recorded_at": [f.recorded_at or stamp for f in batch.forecasts],
            "rationale": [f.rationale for f in batch.forecasts],
            "reconstructed": [f.reconstructed for f in batch.forecasts],
            "evidence_key": [
                _evidence_key(sorted({(e.title, e.direction) for e in f.evidence})) for f in batch.forecasts
            ],
            "id": [f.id for f in batch.forecasts],
            "given_question_id": [qids[f.given] if f.given else None for f in batch.forecasts],
            "given_outcome": [f.given_outcome if f.given else None for f in batch.forecasts],
        }
    )
    incoming["level_id"] = incoming["level_id"].astype("Int64")
    incoming["condition"] = _condition_key(incoming["given_question_id"], incoming["given_outcome"])
    incoming["row"] = range(len(incoming))
    stored = _stored_forecasts(session, sorted(set(incoming["question_id"])))
    stored["level_id"] = stored["level_id"].astype("Int64")
    for name in ("as_of", "recorded_at"):
        incoming[name] = pd.to_datetime(incoming[name], utc=True)
        stored[name] = pd.to_datetime(stored[name], utc=True)
    has_id = incoming["id"].notna()

    # Rows with an id (from an export): the stored row of that id must be identical.
    with_id = incoming[has_id].merge(stored, on="id", how="inner", suffixes=("", "_stored"))
    compare = [*_KEY, "recorded_at"]
    same = pd.Series(True, index=with_id.index)
    for name in compare:
        a, b = with_id[name], with_id[f"{name}_stored"]
        same &= (a == b).fillna(False) | (a.isna() & b.isna())
    conflicts = with_id[~same]
    if len(conflicts):
        raise InputError(
            [
                f"{_where(r.line)}id {int(r.id)} is already stored with different values; edit that forecast instead"
                for r in conflicts.itertuples()
            ]
        )
    present = set(with_id["row"])

    # Rows without an id: identical to a stored forecast, or to an earlier row, is already present.
    no_id = incoming[~has_id]
    key_df = no_id[_KEY].astype({"level_id": "float64"})
    dup_in_file = key_df.duplicated(keep="first")
    if len(stored):
        hits = no_id.astype({"level_id": "float64"}).merge(
            stored[_KEY].astype({"level_id": "float64"}).drop_duplicates(), on=_KEY, how="inner"
        )
        present |= set(hits["row"])
    present |= set(no_id.loc[dup_in_file, "row"])
    summary.present["forecasts"] += len(present)

    new = incoming[~incoming["row"].isin(present)].copy()
    # Ids are allocated up front so rows go in with plain executemany (no RETURNING round trips).
    forecast_ids = new["id"].astype("Int64")
    forecast_ids[forecast_ids.isna()] = allocate_ids(session, "forecast", int(forecast_ids.isna().sum()))
    new["id"] = forecast_ids.astype("int64")
    new["level_id"] = new["level_id"].astype("object").where(new["level_id"].notna(), None)
    given = pd.to_numeric(new["given_question_id"], errors="coerce").astype("Int64")
    new["given_question_id"] = given.astype("object").where(given.notna(), None)
    records = new[
        [
            "id",
            "researcher_id",
            "question_id",
            "level_id",
            "probability",
            "as_of",
            "recorded_at",
            "rationale",
            "reconstructed",
            "given_question_id",
            "given_outcome",
        ]
    ]
    records = records.assign(
        # Plain datetimes bind several times faster than pandas Timestamps.
        as_of=pd.Series(new["as_of"].dt.to_pydatetime(), index=new.index, dtype="object"),
        recorded_at=pd.Series(new["recorded_at"].dt.to_pydatetime(), index=new.index, dtype="object"),
        revision=1,
        updated_at=stamp,
        updated_by=by,
    ).to_dict("records")
    table = Forecast.__table__  # type: ignore[attr-defined]
    for start in range(0, len(records), CHUNK):
        session.execute(sa.insert(table), records[start : start + CHUNK])
        if progress:
            progress("writing forecasts", min(start + CHUNK, len(records)), len(records))
    links = [
        {"forecast_id": fid, "evidence_id": eids[ref.title], "direction": ref.direction, "note": ref.note}
        for fid, row in zip(new["id"].tolist(), new["row"].tolist(), strict=True)
        for ref in _unique_refs(batch.forecasts[row].evidence)
    ]
    for start in range(0, len(links), CHUNK):
        session.execute(sa.insert(ForecastEvidence.__table__), links[start : start + CHUNK])  # type: ignore[attr-defined]
    summary.created["forecasts"] += len(new)
    if has_id.any():
        sync_sequences(session)


def _partitions(
    session: Session, batch: ImportBatch, ids: dict[str, dict[str, int]], summary: ImportSummary, by: str
) -> None:
    """Declare each partition of the batch: its rows in file order are its members.

    A partition needs at least two different questions; every problem is reported at once.
    """
    if not batch.partitions:
        return
    groups: dict[str, list[PartitionMemberIn]] = {}
    for m in batch.partitions:
        groups.setdefault(m.partition, []).append(m)
    problems: list[str] = []
    for name, members in groups.items():
        seen: set[str] = set()
        for m in members:
            if m.question in seen:
                problems.append(
                    f"{_where(m.line)}question {m.question!r} is already a member of partition {name!r}"
                )
            seen.add(m.question)
        if len(seen) < 2:
            problems.append(
                f"{_where(members[0].line)}partition {name!r} has one member; a partition needs at least two"
            )
        owners = sorted({m.researcher for m in members if m.researcher})
        if len(owners) > 1:
            problems.append(
                f"{_where(members[0].line)}partition {name!r} names several researchers: {', '.join(owners)}"
            )
    if problems:
        raise InputError(problems)
    rids, qids = ids["researchers"], ids["questions"]
    for name, members in groups.items():
        owner = next((m.researcher for m in members if m.researcher), None)
        outcome = declare_partition(
            session, name, rids[owner] if owner else None, [qids[m.question] for m in members], by
        )
        (
            summary.created
            if outcome == "created"
            else summary.updated
            if outcome == "updated"
            else summary.present
        )["partitions"] += 1


def _unique_refs(refs: list[EvidenceRef]) -> list[EvidenceRef]:
    """The first mention of each evidence title (a forecast links an item once)."""
    first: dict[str, EvidenceRef] = {}
    for ref in refs:
        first.setdefault(ref.title, ref)
    return list(first.values())


def allocate_ids(session: Session, table: str, n: int) -> list[int]:
    """``n`` fresh primary keys for ``table``, reserved for this transaction.

    SQLite: writers hold the database's write lock (``BEGIN IMMEDIATE``), so ids past the
    current maximum are free.  PostgreSQL: drawn from the table's sequence.
    """
    if n == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        stmt = sa.text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
        return list(session.execute(stmt, {"n": n}).scalars())
    top = session.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar() or 0
    return list(range(top + 1, top + 1 + n))


def sync_sequences(session: Session) -> None:
    """After rows were written with explicit ids, move PostgreSQL's id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (
        "researcher",
        "capability_level",
        "question",
        "evidence",
        "forecast",
        "question_link",
        "likelihood_ratio",
        "question_partition",
        "revision",
    ):
        session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def _check_resolutions(session: Session, batch: ImportBatch) -> None:
    if not batch.resolutions:
        return
    known = {q.title for q in batch.questions} | {f.question for f in batch.forecasts}
    titles = {r.question for r in batch.resolutions} - known
    stored = (
        set(session.execute(select(Question.title).where(col(Question.title).in_(titles))).scalars())
        if titles
        else set()
    )
    problems = [
        f"{_where(r.line)}question {r.question!r} does not exist"
        for r in batch.resolutions
        if r.question in titles - stored
    ]
    if problems:
        raise InputError(problems)


def apply_batch(
    engine: sa.Engine,
    batch: ImportBatch,
    by: str = "",
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Write ``batch`` in one transaction and say what was created, updated or already present.

    Raises :class:`InputError` (and writes nothing) when a row conflicts with stored data.
    ``dry_run`` does all the work and rolls it back: a preview of what an import would do.
    """
    summary = ImportSummary()
    try:
        return _apply(engine, batch, by, progress, dry_run, summary)
    except _Preview:
        return summary


class _Preview(Exception):
    """Raised at the end of a dry run so the transaction rolls back."""


def _apply(
    engine: sa.Engine,
    batch: ImportBatch,
    by: str,
    progress: Progress | None,
    dry_run: bool,
    summary: ImportSummary,
) -> ImportSummary:
    with write_session(engine) as session:
        _check_resolutions(session, batch)
        researchers: dict[str, dict[str, object]] = {
            r.handle: {"name": r.name or r.handle} for r in batch.researchers
        }
        stamp = now()
        for handle in [f.researcher for f in batch.forecasts] + [r.researcher for r in batch.ratios]:
            researchers.setdefault(handle, {"name": handle})
        for m in batch.partitions:
            if m.researcher:
                researchers.setdefault(m.researcher, {"name": m.researcher})
        for attrs in researchers.values():
            attrs["created_at"] = stamp
        evidence: dict[str, dict[str, object]] = {
            e.title: {"url": e.url, "published": e.date, "summary": e.summary, "kind": e.kind,
                      "status": e.status, "observed_at": e.observed_at}
            for e in batch.evidence
        }  # fmt: skip
        for f in batch.forecasts:
            for ref in f.evidence:
                evidence.setdefault(ref.title, {})
        # An item first named by a ratio is a possible observation, written down in advance.
        for r in batch.ratios:
            evidence.setdefault(r.evidence, {"status": EvidenceStatus.anticipated.value})
        for attrs in evidence.values():
            for key, default in EVIDENCE_DEFAULTS.items():
                attrs.setdefault(key, default)
        ratios.check_ratio_evidence(session, batch)
        ids = {
            "researchers": _ensure(
                session,
                Researcher,
                "handle",
                researchers,
                summary,
                "researchers",
                [r.handle for r in batch.researchers],
            ),
            "levels": _levels(session, batch, summary),
            "evidence": _ensure(
                session,
                Evidence,
                "title",
                evidence,
                summary,
                "evidence items",
                [e.title for e in batch.evidence],
            ),
            "questions": _questions(session, batch, summary, by),
        }
        _forecasts(session, batch, ids, summary, by, progress)
        _resolutions(session, batch, ids["levels"], summary, by)
        ratios.sync_evidence_status(session, batch, summary)
        ratios.import_ratios(session, batch, ids, summary, by)
        _partitions(session, batch, ids, summary, by)
        if dry_run:
            raise _Preview
    return summary
