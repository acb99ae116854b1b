"""Evidence items and capability levels keep every earlier version, each with its author, as
questions and forecasts do: edits from a page, moves on the scale, imports that describe a
stored row differently, deletes and restores.  On both backends, and through a backup."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from typer.testing import CliRunner

from models import actions
from models.cli import app as cli_app
from models.permissions import Actor, TeamPolicy
from models.schemas import EvidenceIn, LevelIn, ResearcherIn
from models.store import backup
from models.store.db import create_engine, migrate
from models.store.history import curated_versions
from models.store.tables import CapabilityLevel, Evidence, Revision

PAPER = "Sleeper agents persist through safety training"


def _authors(engine: sa.Engine, kind: str, row_id: int) -> list[tuple[int, str, str, str | None]]:
    """(version, state, written_by, replaced_by), newest first."""
    v = curated_versions(engine, kind, row_id)
    return list(zip(v["version"], v["state"], v["written_by"], v["replaced_by"], strict=True))


def _level_id(engine: sa.Engine, name: str) -> int:
    with Session(engine) as s:
        return int(s.exec(select(CapabilityLevel.id).where(CapabilityLevel.name == name)).one())


def _evidence_id(engine: sa.Engine, title: str) -> int:
    with Session(engine) as s:
        return int(s.exec(select(Evidence.id).where(Evidence.title == title)).one())


def test_an_evidence_edit_keeps_the_earlier_version_and_both_authors(engine):
    eid = actions.create_evidence(engine, EvidenceIn(title=PAPER, kind="paper"), by="ana")
    actions.edit_evidence(
        engine, eid, EvidenceIn(title=PAPER, kind="paper", summary="Backdoors stay."), by="ben"
    )

    v = curated_versions(engine, "evidence", eid)
    assert _authors(engine, "evidence", eid) == [
        (2, "current", "ben", None),
        (1, "earlier version", "ana", "ben"),
    ]
    assert v["summary"].tolist() == ["Backdoors stay.", ""]
    assert v["replaced_at"].iloc[1] == v["written_at"].iloc[0]  # replaced by the edit that wrote version 2


def test_an_evidence_edit_that_changes_nothing_keeps_no_revision(engine):
    eid = actions.create_evidence(engine, EvidenceIn(title=PAPER), by="ana")
    actions.edit_evidence(engine, eid, EvidenceIn(title=PAPER), by="ben")
    assert _authors(engine, "evidence", eid) == [(1, "current", "ana", None)]


def test_moving_a_level_keeps_a_revision_of_each_level_that_changed_place(engine):
    for name in ("2x AI R&D labor", "3x AI R&D labor", "10x AI R&D labor"):
        actions.create_level(engine, LevelIn(name=name), by="ana")
    actions.move_level(engine, _level_id(engine, "2x AI R&D labor"), 1, by="ben")

    moved = curated_versions(engine, "capability_level", _level_id(engine, "2x AI R&D labor"))
    assert moved["position"].tolist() == [2.0, 1.0]
    assert _authors(engine, "capability_level", _level_id(engine, "3x AI R&D labor")) == [
        (2, "current", "ben", None),
        (1, "earlier version", "ana", "ben"),
    ]
    assert _authors(engine, "capability_level", _level_id(engine, "10x AI R&D labor")) == [
        (1, "current", "ana", None)
    ]


def test_typed_positions_keep_a_revision_with_the_author(engine):
    actions.create_level(engine, LevelIn(name="3x AI R&D labor", position=1), by="ana")
    lid = _level_id(engine, "3x AI R&D labor")
    actions.set_level_positions(engine, {lid: 5.0}, by="cleo")
    assert _authors(engine, "capability_level", lid) == [
        (2, "current", "cleo", None),
        (1, "earlier version", "ana", "cleo"),
    ]


@pytest.mark.parametrize("kind", ["evidence", "capability_level"])
def test_delete_and_restore_are_kept_as_revisions_saying_who(engine, kind):
    if kind == "evidence":
        row_id = actions.create_evidence(engine, EvidenceIn(title=PAPER), by="ana")
    else:
        actions.create_level(engine, LevelIn(name="3x AI R&D labor"), by="ana")
        row_id = _level_id(engine, "3x AI R&D labor")
    actions.delete(engine, kind, row_id, by="ben")
    actions.undo_delete(engine, kind, row_id, by="cleo")

    v = curated_versions(engine, kind, row_id)
    assert _authors(engine, kind, row_id) == [
        (3, "current", "cleo", None),
        (2, "earlier version", "ben", "cleo"),
        (1, "earlier version", "ana", "ben"),
    ]
    assert v["deleted"].tolist() == [False, True, False]


def test_an_import_describing_stored_rows_differently_keeps_revisions_by_the_importer(engine):
    actions.import_file(engine, f"title,summary\n{PAPER},first\n".encode(), "evidence", by="ana")
    actions.import_file(engine, b"name,position,description\n3x AI R&D labor,1,\n", "levels", by="ana")
    actions.import_file(engine, f"title,summary\n{PAPER},second\n".encode(), "evidence", by="ben")
    actions.import_file(engine, b"name,position,description\n3x AI R&D labor,2,x\n", "levels", by="ben")

    expected = [(2, "current", "ben", None), (1, "earlier version", "ana", "ben")]
    assert _authors(engine, "evidence", _evidence_id(engine, PAPER)) == expected
    assert _authors(engine, "capability_level", _level_id(engine, "3x AI R&D labor")) == expected


def test_an_evidence_status_change_from_a_file_keeps_a_revision(engine):
    actions.import_file(engine, f"title,status\n{PAPER},anticipated\n".encode(), "evidence", by="ana")
    actions.import_file(
        engine, f"title,status,observed\n{PAPER},observed,2024-01-10\n".encode(), "evidence", by="ben"
    )
    v = curated_versions(engine, "evidence", _evidence_id(engine, PAPER))
    assert v["status"].tolist() == ["observed", "anticipated"]
    assert v["written_by"].tolist() == ["ben", "ana"]


def test_evidence_first_named_by_a_forecast_records_who_wrote_it(stocked):
    from models.schemas import ForecastEdit

    with Session(stocked) as s:
        fid = int(s.exec(sa.text("SELECT MIN(id) FROM forecast")).scalar_one())
    actions.edit_forecast(stocked, fid, ForecastEdit(evidence=[{"title": "A new observation"}]), by="ben")
    assert _authors(stocked, "evidence", _evidence_id(stocked, "A new observation")) == [
        (1, "current", "ben", None)
    ]


def test_a_signed_in_member_is_the_author_of_a_shared_edit(engine):
    policy = TeamPolicy.from_values(allowed_domains="lab.example")
    actions.create_researcher(engine, ResearcherIn(handle="ana", email="ana@lab.example"))
    ana = actions.team_member(engine, "ana@lab.example", policy)
    assert isinstance(ana, Actor)
    eid = actions.create_evidence(engine, EvidenceIn(title=PAPER), by="ben")
    actions.edit_evidence(engine, eid, EvidenceIn(title=PAPER, summary="s"), by=ana)
    actions.create_level(engine, LevelIn(name="3x AI R&D labor"), by=ana)
    assert _authors(engine, "evidence", eid)[0][2] == "ana"
    assert _authors(engine, "capability_level", _level_id(engine, "3x AI R&D labor")) == [
        (1, "current", "ana", None)
    ]


def test_the_cli_records_as_as_the_author_of_an_evidence_update(db_url, engine, tmp_path):
    f = tmp_path / "evidence.csv"
    f.write_text(f"title,summary\n{PAPER},first\n")
    assert (
        CliRunner().invoke(cli_app, ["--db", db_url, "--as", "ana", "import", "evidence", str(f)]).exit_code
        == 0
    )
    f.write_text(f"title,summary\n{PAPER},second\n")
    result = CliRunner().invoke(cli_app, ["--db", db_url, "--as", "ben", "import", "evidence", str(f)])
    assert result.exit_code == 0, result.output
    assert _authors(engine, "evidence", _evidence_id(engine, PAPER)) == [
        (2, "current", "ben", None),
        (1, "earlier version", "ana", "ben"),
    ]


def test_backup_and_restore_keep_evidence_and_level_revisions(engine, db_url, tmp_path):
    eid = actions.create_evidence(engine, EvidenceIn(title=PAPER), by="ana")
    actions.edit_evidence(engine, eid, EvidenceIn(title=PAPER, summary="s"), by="ben")
    actions.create_level(engine, LevelIn(name="3x AI R&D labor"), by="ana")
    lid = _level_id(engine, "3x AI R&D labor")
    actions.delete(engine, "capability_level", lid, by="cleo")
    text = backup.backup(engine)
    before = (curated_versions(engine, "evidence", eid), curated_versions(engine, "capability_level", lid))

    # Into a fresh database of the same backend, and into the other backend's SQLite file.
    actions.restore(engine, text, replace=True)
    assert backup.backup(engine) == text
    other = create_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    migrate(other)
    actions.restore(other, text)
    assert backup.backup(other) == text
    for eng in (engine, other):
        after = (curated_versions(eng, "evidence", eid), curated_versions(eng, "capability_level", lid))
        for b, a in zip(before, after, strict=True):
            assert b.equals(a)
        with Session(eng) as s:
            authors = sorted(r.changed_by for r in s.exec(select(Revision)).all())
        assert authors == ["ben", "cleo"]
    other.dispose()


def test_deleting_and_restoring_a_question_keeps_revisions_saying_who(engine):
    """Questions are shared too: whoever deletes or restores one is on the record."""
    from models.schemas import QuestionIn
    from models.store.tables import Question

    qid = actions.add_question(engine, QuestionIn(title="Schemers at 3x AI R&D labor"), by="ana")
    actions.delete(engine, "question", qid, by="ben")
    actions.undo_delete(engine, "question", qid, by="cleo")
    with Session(engine) as s:
        kept = s.exec(
            select(Revision.number, Revision.changed_by)
            .where(Revision.entity == "question", Revision.entity_id == qid)
            .order_by(Revision.number)
        ).all()
        question = s.get(Question, qid)
        assert question is not None
        current = (question.revision, question.updated_by, question.deleted_at)
    assert [tuple(r) for r in kept] == [(1, "ben"), (2, "cleo")]  # version 1 replaced by ben's delete, …
    assert current == (3, "cleo", None)  # … and version 2 (deleted) by cleo's restore
