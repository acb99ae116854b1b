"""Upgrading a filled database from every earlier revision keeps every row and value.

The rows are generated from the schema as it was at that revision (reflected, not taken
from today's models), so the test covers revisions added later without being edited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from models.store.backup import backup
from models.store.db import MIGRATIONS, create_engine, current_revision, head_revision, migrate

ROWS = 3


def _revisions() -> list[str]:
    return sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


EARLIER = [r for r in _revisions() if r != head_revision()]


def _value(column: sa.Column[Any], table: str, k: int) -> Any:
    kind = column.type
    if column.foreign_keys or isinstance(kind, sa.Integer):
        return k
    if isinstance(kind, sa.Boolean):
        return k % 2 == 0
    if isinstance(kind, sa.Float | sa.Numeric):
        return k / 10
    if isinstance(kind, sa.DateTime):
        return datetime(2024, 1, k, 12, 30, tzinfo=UTC)
    if isinstance(kind, sa.LargeBinary):
        return b"\x00\x01" * k
    text = f"{table[:3]}{column.name[:3]}{k}"
    length = getattr(kind, "length", None)
    return text[-length:] if length else text


def _fill(eng: sa.Engine) -> dict[str, list[dict[str, Any]]]:
    meta = sa.MetaData()
    meta.reflect(eng)
    written: dict[str, list[dict[str, Any]]] = {}
    with eng.begin() as conn:
        for table in meta.sorted_tables:
            if table.name in ("alembic_version", "data_version"):
                continue
            rows = [{c.name: _value(c, table.name, k) for c in table.columns} for k in range(1, ROWS + 1)]
            if sa.inspect(eng).dialect.name == "sqlite":
                rows = [
                    {k: (v.replace(tzinfo=None) if isinstance(v, datetime) else v) for k, v in r.items()}
                    for r in rows
                ]
            conn.execute(table.insert(), rows)
            written[table.name] = rows
    return written


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).replace(tzinfo=None)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("revision", EARLIER)
def test_a_filled_database_at_every_earlier_revision_upgrades_keeping_every_row(blank_db_url, revision):
    eng = create_engine(blank_db_url)
    migrate(eng, revision)
    assert current_revision(eng) == revision
    written = _fill(eng)

    migrate(eng)
    assert current_revision(eng) == head_revision()
    meta = sa.MetaData()
    meta.reflect(eng)
    with eng.connect() as conn:
        for name, rows in written.items():
            if name not in meta.tables:
                continue  # a later revision dropped it
            table = meta.tables[name]
            kept = [c for c in rows[0] if c in table.columns]
            order = [table.columns[c] for c in table.primary_key.columns.keys()] or [table.columns[kept[0]]]
            stored = (
                conn.execute(sa.select(*[table.columns[c] for c in kept]).order_by(*order)).mappings().all()
            )
            assert len(stored) == len(rows), name
            for before, after in zip(rows, stored, strict=True):
                assert {c: _normal(before[c]) for c in kept} == {c: _normal(after[c]) for c in kept}, name
    assert backup(eng)  # the upgraded database can be read whole
    eng.dispose()


def test_questions_upgraded_to_0008_keep_the_default_review_interval(blank_db_url):
    eng = create_engine(blank_db_url)
    migrate(eng, "0007")
    written = _fill(eng)
    migrate(eng)
    with eng.connect() as conn:
        got = conn.execute(sa.text("SELECT title, review_every_days FROM question ORDER BY id")).all()
    assert [(t, every) for t, every in got] == [(r["title"], None) for r in written["question"]]


def test_upgrading_to_0009_numbers_evidence_and_level_versions_from_their_kept_revisions(blank_db_url):
    """Rows an import had already updated (earlier versions in ``revision``) get the next number and
    the latest replacement's author and time; the others are version 1 by nobody known."""
    eng = create_engine(blank_db_url)
    migrate(eng, "0008")
    t0 = datetime(2024, 1, 1, 12, tzinfo=UTC)
    sqlite = eng.dialect.name == "sqlite"
    when = [(t0.replace(day=d).replace(tzinfo=None) if sqlite else t0.replace(day=d)) for d in (2, 3)]
    with eng.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO evidence (id, title, kind, summary, status) VALUES (1, 'Paper', 'paper', 'v3', 'observed'),"
                    " (2, 'Untouched', 'other', '', 'observed')")
        )  # fmt: skip
        conn.execute(
            sa.text(
                "INSERT INTO capability_level (id, name, description, position) VALUES (1, 'L1', '', 1.0)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO revision (entity, entity_id, number, data, changed_by, changed_at) VALUES "
                "('evidence', 1, 1, '{\"summary\": \"v1\"}', 'ana', :a), ('evidence', 1, 2, '{\"summary\": \"v2\"}', 'ben', :b)"
            ),
            {"a": when[0], "b": when[1]},
        )
    migrate(eng)
    with eng.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, revision, updated_by, updated_at FROM evidence ORDER BY id")
        ).all()
        level = conn.execute(sa.text("SELECT revision, updated_by, updated_at FROM capability_level")).one()
        kept = conn.execute(sa.text("SELECT count(*) FROM revision")).scalar_one()
    assert [(r[0], r[1], r[2]) for r in rows] == [(1, 3, "ben"), (2, 1, "")]
    assert _normal(rows[0][3]) == _normal(t0.replace(day=3)) and rows[1][3] is None
    assert tuple(level) == (1, "", None)
    assert kept == 2

    from models.store.history import curated_versions

    versions = curated_versions(eng, "evidence", 1)
    assert versions["summary"].tolist() == ["v3", "v2", "v1"]
    assert versions["written_by"].tolist() == ["ben", "ana", ""]  # v2 was written by whoever replaced v1
    eng.dispose()


def test_upgrading_to_0012_numbers_researcher_versions_an_import_kept_and_links_start_at_one(blank_db_url):
    """A researcher an import had renamed gets the next number and its renamer; other researchers
    and every link are version 1 by nobody known."""
    eng = create_engine(blank_db_url)
    migrate(eng, "0011")
    when = datetime(2024, 1, 2, 12, tzinfo=UTC)
    if eng.dialect.name == "sqlite":
        when = when.replace(tzinfo=None)
    with eng.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO researcher (id, handle, name, created_at) VALUES (1, 'teal_heron', 'Teal', :t),"
                    " (2, 'amber_finch', 'Amber', :t)"), {"t": when}
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO question (id, title, criteria, tags, created_at, resolution_note, revision, updated_at,"
                    " updated_by) VALUES (1, 'Q1', '', '', :t, '', 1, :t, ''), (2, 'Q2', '', '', :t, '', 1, :t, '')"),
            {"t": when},
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO question_link (source_question_id, target_question_id, note, created_at) "
                    "VALUES (1, 2, '', :t)"), {"t": when}
        )  # fmt: skip
        conn.execute(
            sa.text("INSERT INTO revision (entity, entity_id, number, data, changed_by, changed_at) VALUES "
                    "('researcher', 1, 1, '{\"name\": \"teal\"}', 'ana', :t)"), {"t": when}
        )  # fmt: skip
    migrate(eng)
    with eng.connect() as conn:
        people = conn.execute(
            sa.text("SELECT id, revision, updated_by, updated_at FROM researcher ORDER BY id")
        ).all()
        link = conn.execute(sa.text("SELECT revision, updated_by, updated_at FROM question_link")).one()
        stale = conn.execute(sa.text("SELECT count(*) FROM score_change")).scalar_one()
    assert [(r[0], r[1], r[2]) for r in people] == [(1, 2, "ana"), (2, 1, "")]
    assert _normal(people[0][3]) == _normal(when) and people[1][3] is None
    assert tuple(link) == (1, "", None)
    assert stale == 1  # renumbering a researcher updates it: scores are recomputed once, as after a rename
    eng.dispose()
