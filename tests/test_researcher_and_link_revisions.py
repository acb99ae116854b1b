"""Researchers and question links keep every earlier version with its author, as the other
curated rows do: a rename, an e-mail binding, a file that renames a researcher, a link added,
removed and put back.  On both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import actions
from models.permissions import Actor, TeamPolicy
from models.schemas import QuestionIn, ResearcherIn
from models.store.history import curated_versions, link_versions
from models.store.tables import QuestionLink, Researcher

TEAM = TeamPolicy.from_values(allowed_domains="lab.example", admins="root@lab.example")
SCHEMING = "Mythos-level AIs are schemers"
NEURALESE = "Neuralese before full automation of AI R&D"


def _researcher_id(engine: sa.Engine, handle: str) -> int:
    with Session(engine) as s:
        return int(s.exec(select(Researcher.id).where(Researcher.handle == handle)).one())


def _authors(engine: sa.Engine, kind: str, row_id: int) -> list[tuple[int, str, str, str | None]]:
    """(version, state, written_by, replaced_by), newest first."""
    v = curated_versions(engine, kind, row_id)
    return list(zip(v["version"], v["state"], v["written_by"], v["replaced_by"], strict=True))


def _linked(engine: sa.Engine) -> tuple[int, int, int]:
    """Two questions and a link between them that ana added: (source id, target id, link id)."""
    source = actions.add_question(engine, QuestionIn(title=SCHEMING), by="ana")
    target = actions.add_question(engine, QuestionIn(title=NEURALESE), by="ana")
    actions.link_questions(engine, source, target, "mostly through neuralese", by="ana")
    with Session(engine) as s:
        return source, target, int(s.exec(select(QuestionLink.id)).one())


def test_a_rename_keeps_the_earlier_name_and_both_authors(engine):
    actions.create_researcher(engine, ResearcherIn(handle="teal_heron", name="Teal"), by="ana")
    rid = _researcher_id(engine, "teal_heron")
    actions.rename_researcher(engine, rid, "Teal Heron", by="ben")
    actions.rename_researcher(engine, rid, "Teal Heron", by="cleo")  # nothing changes: no version

    v = curated_versions(engine, "researcher", rid)
    assert v["name"].tolist() == ["Teal Heron", "Teal"]
    assert _authors(engine, "researcher", rid) == [
        (2, "current", "ben", None),
        (1, "earlier version", "ana", "ben"),
    ]


def test_binding_a_sign_in_email_is_on_the_record_with_the_admin_who_did_it(engine):
    root = actions.join_team(engine, "root@lab.example", "root", "", TEAM)
    actions.import_file(engine, b"handle,name\namber_finch,Amber Finch\n", "researchers", by="ana")
    rid = _researcher_id(engine, "amber_finch")
    actions.set_researcher_email(engine, rid, "Amber@Lab.example", by=root)

    v = curated_versions(engine, "researcher", rid)
    assert v["email"].tolist() == ["amber@lab.example", None]
    assert _authors(engine, "researcher", rid) == [
        (2, "current", "root", None),
        (1, "earlier version", "ana", "root"),
    ]
    # A newcomer who joins writes their own first version.
    assert _authors(engine, "researcher", root.researcher_id) == [(1, "current", "root", None)]


def test_a_file_that_renames_a_researcher_keeps_a_numbered_revision_by_the_importer(engine):
    actions.import_file(engine, b"handle,name\nteal_heron,Teal\n", "researchers", by="ana")
    actions.import_file(engine, b"handle,name\nteal_heron,Teal Heron\n", "researchers", by="ben")
    rid = _researcher_id(engine, "teal_heron")
    assert _authors(engine, "researcher", rid) == [
        (2, "current", "ben", None),
        (1, "earlier version", "ana", "ben"),
    ]


@pytest.mark.parametrize("kind", ["researcher", "question_link"])
def test_delete_and_restore_are_kept_as_revisions_saying_who(engine, kind):
    if kind == "researcher":
        actions.create_researcher(engine, ResearcherIn(handle="teal_heron"), by="ana")
        row_id = _researcher_id(engine, "teal_heron")
    else:
        row_id = _linked(engine)[2]
    actions.delete(engine, kind, row_id, by="ben")
    actions.undo_delete(engine, kind, row_id, by="cleo")

    assert _authors(engine, kind, row_id) == [
        (3, "current", "cleo", None),
        (2, "earlier version", "ben", "cleo"),
        (1, "earlier version", "ana", "ben"),
    ]
    assert curated_versions(engine, kind, row_id)["deleted"].tolist() == [False, True, False]


def test_a_questions_link_history_names_both_questions_and_keeps_removed_links(engine):
    source, target, link_id = _linked(engine)
    actions.delete(engine, "question_link", link_id, by="ben")

    for qid in (source, target):  # seen from either end
        v = link_versions(engine, qid)
        assert v[
            ["link_id", "version", "source", "target", "note", "deleted", "written_by"]
        ].values.tolist() == [
            [link_id, 2, SCHEMING, NEURALESE, "mostly through neuralese", True, "ben"],
            [link_id, 1, SCHEMING, NEURALESE, "mostly through neuralese", False, "ana"],
        ]
    other = actions.add_question(engine, QuestionIn(title="Unlinked"), by="ana")
    assert link_versions(engine, other).empty


def test_a_signed_in_member_is_the_author_of_a_link(engine):
    actions.create_researcher(engine, ResearcherIn(handle="ana", email="ana@lab.example"))
    ana = actions.team_member(engine, "ana@lab.example", TEAM)
    assert isinstance(ana, Actor)
    source = actions.add_question(engine, QuestionIn(title=SCHEMING), by=ana)
    target = actions.add_question(engine, QuestionIn(title=NEURALESE), by=ana)
    actions.link_questions(engine, source, target, by=ana)
    assert link_versions(engine, source)["written_by"].tolist() == ["ana"]
