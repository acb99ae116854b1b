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
* The rules of :mod:`models.import_rules` hold for every batch: one row per thing in a file,
  conflicts with stored researchers, capability levels and evidence update them keeping a
  revision (as questions do), and nothing is written to a soft-deleted thing.
* Imports run one at a time on PostgreSQL too (:func:`models.store.db.import_lock`), so
  concurrent imports give the result of serial ones; a batch with no rows writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import import_rules
from models.batch import ImportBatch, ImportSummary, Progress, evidence_titles
from models.errors import InputError
from models.schemas import PartitionMemberIn
from models.store import ratios
from models.store.bulk_write import BULK_ROWS, analyze, mark_everything_changed, owns, write_forecasts
from models.store.db import check_foreign_keys, import_lock, shrink_log, write_session
from models.store.records import declare_partition, keep_revision, now
from models.store.tables import CapabilityLevel, Evidence, Question, Researcher
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


def _levels(
    session: Session, batch: ImportBatch, summary: ImportSummary, updated: set[str], by: str
) -> dict[str, int]:
    wanted: dict[str, dict[str, object]] = {}
    for lv in batch.levels:
        wanted.setdefault(lv.name, {"position": lv.position, "description": lv.description})
    named = batch.forecast_rows()["capability"].dropna().unique().tolist()
    named += [r.capability for r in batch.resolutions]
    for name in named + [r.capability for r in batch.ratios]:
        if name:
            wanted.setdefault(name, {"position": None, "description": ""})
    if not wanted:
        return {}
    stamp = now()
    for attrs in wanted.values():
        attrs.update(updated_at=stamp, updated_by=by)
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
        [lv.name for lv in batch.levels if f"levels:{lv.name}" not in updated],
    )


def _questions(session: Session, batch: ImportBatch, summary: ImportSummary, by: str) -> dict[str, int]:
    wanted: dict[str, dict[str, object]] = {}
    stamp = now()
    for q in batch.questions:
        wanted.setdefault(
            q.title,
            {
                "criteria": q.criteria,
                "tags": ";".join(q.tags),
                "resolve_by": q.resolve_by,
                "review_every_days": q.review_every_days,
            },
        )
    # A forecast's question, and the question it is given on, are created when new.
    rows = batch.forecast_rows()
    for title in (
        rows["question"].unique().tolist()
        + rows["given"].dropna().unique().tolist()
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
        fields = ("criteria", "tags", "resolve_by", "review_every_days")
        if tuple(getattr(row, f) for f in fields) == tuple(new[f] for f in fields):
            summary.present["questions"] += 1
            continue
        keep_revision(session, row, "question", by)
        for f in fields:
            setattr(row, f, new[f])
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
        keep_revision(session, q, "question", by)
        q.outcome, q.resolved_at, q.resolution_level_id, q.resolution_note = (
            r.outcome,
            r.resolved_at,
            level_id,
            r.note,
        )
        session.add(q)


def _forecasts(
    session: Session,
    batch: ImportBatch,
    ids: dict[str, dict[str, int]],
    summary: ImportSummary,
    by: str,
    progress: Progress | None,
) -> None:
    frame = batch.forecast_rows()
    if frame.empty:
        return
    created, present = write_forecasts(session, frame, ids, now(), by, progress, allocate_ids)
    summary.present["forecasts"] += present
    summary.created["forecasts"] += created
    if frame["id"].notna().any():
        sync_sequences(session)
        # Rows with ids from the file may sit below newer ones: scores recompute everything.
        mark_everything_changed(session)


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


def allocate_ids(session: Session, table: str, n: int) -> np.ndarray:
    """``n`` fresh primary keys for ``table``, reserved for this transaction (int64 array).

    SQLite: writers hold the database's write lock (``BEGIN IMMEDIATE``), so ids past the
    current maximum are free.  PostgreSQL: one block drawn from the table's sequence (a
    million ids as rows would be a million Python tuples).
    """
    if n == 0:
        return np.zeros(0, dtype="int64")
    if session.get_bind().dialect.name == "postgresql":
        if not owns(session, table):
            # A role that does not own the sequence may not lock it: take the values one by one.
            raw: Any = session.connection().connection.dbapi_connection
            query = (
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(n)})"
            )
            with raw.cursor() as cur, cur.copy(f"COPY ({query}) TO STDOUT") as copy:
                text = b"".join(bytes(block) for block in copy)
            return np.array(text.split()).astype("int64")
        # One block of n consecutive values, taken in a short transaction of its own: ALTER
        # SEQUENCE (changing nothing) holds off other writers' nextval until it commits, a few
        # milliseconds later.  (Values taken are never given back, as with nextval: a refused
        # import leaves a gap.)
        with session.connection().engine.connect() as own, own.begin():
            name = own.execute(sa.text(f"SELECT pg_get_serial_sequence('{table}', 'id')")).scalar_one()
            own.execute(sa.text(f"ALTER SEQUENCE {name} INCREMENT BY 1"))
            first = int(own.execute(sa.text("SELECT nextval(:s)"), {"s": name}).scalar_one())
            own.execute(sa.text("SELECT setval(:s, :last)"), {"s": name, "last": first + n - 1})
        return np.arange(first, first + n, dtype="int64")
    top = session.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar() or 0
    return np.arange(top + 1, top + 1 + n, dtype="int64")


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
    known = {q.title for q in batch.questions} | set(batch.forecast_rows()["question"].unique().tolist())
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


_KIND_MODELS: dict[str, tuple[Any, str]] = {
    "researchers": (Researcher, "handle"),
    "levels": (CapabilityLevel, "name"),
    "evidence": (Evidence, "title"),
    "questions": (Question, "title"),
}


def _stored_rows(session: Session, model: Any, key: str, names: Iterable[str]) -> dict[str, Any]:
    """Stored rows of ``model`` whose ``key`` is one of ``names`` (deleted ones included)."""
    wanted = sorted(set(names))
    out: dict[str, Any] = {}
    for start in range(0, len(wanted), 900):
        stmt = select(model).where(getattr(model, key).in_(wanted[start : start + 900]))
        out.update((getattr(row, key), row) for row in session.exec(stmt).all())
    return out


def _refuse_deleted(session: Session, batch: ImportBatch) -> None:
    """Refuse rows naming a soft-deleted researcher, level, evidence item or question."""
    deleted: dict[str, set[str]] = {}
    for kind, names in import_rules.names(batch).items():
        model, key = _KIND_MODELS[kind]
        column = getattr(model, key)
        found: set[str] = set()
        wanted = sorted(names)
        for start in range(0, len(wanted), 900):
            stmt = select(column).where(
                column.in_(wanted[start : start + 900]), model.deleted_at.is_not(None)
            )
            found.update(session.execute(stmt).scalars())
        deleted[kind] = found
    import_rules.refuse_deleted(batch, deleted)


def _update_described(session: Session, batch: ImportBatch, summary: ImportSummary, by: str) -> set[str]:
    """Update stored researchers, levels and evidence that the file describes differently.

    The earlier values are kept as a revision (``entity`` = the table name), and the row records
    the author of its current version.  A level row without a position keeps the level's
    place.  Returns ``"kind:name"`` of each updated thing.
    """
    updated: set[str] = set()
    stored = _stored_rows(session, Researcher, "handle", [r.handle for r in batch.researchers])
    for r in batch.researchers:
        row = stored.get(r.handle)
        if row is not None and row.name != (r.name or r.handle):
            keep_revision(session, row, "researcher", by)
            row.name = r.name or r.handle
            session.add(row)
            updated.add(f"researchers:{r.handle}")
            summary.updated["researchers"] += 1
    levels = _stored_rows(session, CapabilityLevel, "name", [lv.name for lv in batch.levels])
    for lv in batch.levels:
        row = levels.get(lv.name)
        if row is None:
            continue
        position = row.position if lv.position is None else lv.position
        if (row.description, row.position) != (lv.description, position):
            keep_revision(session, row, "capability_level", by)
            row.description, row.position = lv.description, position
            session.add(row)
            updated.add(f"levels:{lv.name}")
            summary.updated["capability levels"] += 1
    evidence = _stored_rows(session, Evidence, "title", [e.title for e in batch.evidence])
    for e in batch.evidence:
        row = evidence.get(e.title)
        if row is None:
            continue
        # A file without status or observed columns (an older evidence file) leaves both alone.
        says_status = bool({"status", "observed"} & e.model_fields_set)
        status, observed = (e.status, e.observed_at) if says_status else (row.status, row.observed_at)
        described = (e.url, e.date, e.summary, e.kind, status, observed)
        if (
            row is not None
            and (row.url, row.published, row.summary, row.kind, row.status, row.observed_at) != described
        ):
            keep_revision(session, row, "evidence", by)
            row.url, row.published, row.summary, row.kind, row.status, row.observed_at = described
            session.add(row)
            updated.add(f"evidence:{e.title}")
            summary.updated["evidence items"] += 1
    session.flush()
    return updated


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
    summary = ImportSummary(rows=batch.rows)
    import_rules.one_row_per_thing(batch)
    if import_rules.is_empty(batch):
        return summary  # a header-only file: no transaction, so not even the data version moves
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
    many = len(batch.forecast_rows()) >= BULK_ROWS
    with write_session(engine, keys_checked_after=many) as session:
        import_lock(session)
        _refuse_deleted(session, batch)
        _check_resolutions(session, batch)
        updated = _update_described(session, batch, summary, by)
        researchers: dict[str, dict[str, object]] = {
            r.handle: {"name": r.name or r.handle} for r in batch.researchers
        }
        stamp = now()
        for handle in batch.forecast_rows()["researcher"].unique().tolist() + [
            r.researcher for r in batch.ratios
        ]:
            researchers.setdefault(handle, {"name": handle})
        for m in batch.partitions:
            if m.researcher:
                researchers.setdefault(m.researcher, {"name": m.researcher})
        for attrs in researchers.values():
            attrs.update(created_at=stamp, updated_at=stamp, updated_by=by)
        evidence: dict[str, dict[str, object]] = {
            e.title: {"url": e.url, "published": e.date, "summary": e.summary, "kind": e.kind,
                      "status": e.status, "observed_at": e.observed_at}
            for e in batch.evidence
        }  # fmt: skip
        for title in evidence_titles(batch.forecast_rows()):
            evidence.setdefault(title, {})
        # An item first named by a ratio is a possible observation, written down in advance.
        for r in batch.ratios:
            evidence.setdefault(r.evidence, {"status": EvidenceStatus.anticipated.value})
        for attrs in evidence.values():
            for key, default in EVIDENCE_DEFAULTS.items():
                attrs.setdefault(key, default)
            attrs.update(updated_at=stamp, updated_by=by)
        ratios.check_ratio_evidence(session, batch)
        ids = {
            "researchers": _ensure(
                session,
                Researcher,
                "handle",
                researchers,
                summary,
                "researchers",
                [r.handle for r in batch.researchers if f"researchers:{r.handle}" not in updated],
            ),
            "levels": _levels(session, batch, summary, updated, by),
            "evidence": _ensure(
                session,
                Evidence,
                "title",
                evidence,
                summary,
                "evidence items",
                [e.title for e in batch.evidence if f"evidence:{e.title}" not in updated],
            ),
            "questions": _questions(session, batch, summary, by),
        }
        _forecasts(session, batch, ids, summary, by, progress)
        _resolutions(session, batch, ids["levels"], summary, by)
        ratios.sync_evidence_status(session, batch, summary, by)
        ratios.import_ratios(session, batch, ids, summary, by)
        _partitions(session, batch, ids, summary, by)
        if many:
            # write_forecasts checked the keys of the forecasts and links it wrote.
            check_foreign_keys(session, skip=("forecast", "forecast_evidence"))
            # The tables a large import filled are new to the planner too: without statistics it
            # takes them for empty and joins a million forecasts by nested loops.
            for table in ("researcher", "question", "capability_level", "evidence"):
                analyze(session, table)
        if dry_run:
            raise _Preview
    if many:
        shrink_log(engine)  # the log of a large import is copied into the database and cut
    return summary
