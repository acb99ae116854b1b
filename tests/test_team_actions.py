"""Team-mode permissions through the action layer, on both backends.

Every refusal is checked twice: it says why (the message), and it writes nothing (the
deterministic backup of the whole database is byte-for-byte the same before and after).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import actions
from models.batch import ImportBatch
from models.errors import InputError, NotAllowed
from models.permissions import Actor, TeamPolicy
from models.schemas import (
    EvidenceIn,
    ForecastEdit,
    ForecastIn,
    LevelIn,
    QuestionEdit,
    QuestionIn,
    RatioIn,
    ResearcherIn,
    ResolutionIn,
)
from models.store import backup
from models.store.tables import Forecast, Question, Researcher, Revision

POLICY = TeamPolicy.from_values(allowed_domains="lab.example", admins="cleo@lab.example")
Q = "Scheming arises before full automation of AI R&D"
AS_OF = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture
def team(engine: sa.Engine) -> dict[str, Actor]:
    """ana and ben (members) and cleo (admin), bound to their e-mails; one question, one forecast each."""
    for handle in ("ana", "ben", "cleo"):
        actions.create_researcher(engine, ResearcherIn(handle=handle, email=f"{handle}@lab.example"))
    members = {h: actions.team_member(engine, f"{h}@lab.example", POLICY) for h in ("ana", "ben", "cleo")}
    actions.add_question(engine, QuestionIn(title=Q), by="cleo")
    actions.create_level(engine, LevelIn(name="3x AI R&D labor"))
    for handle, p in (("ana", 0.02), ("ben", 0.1)):
        actions.save_forecast(
            engine, ForecastIn(researcher=handle, question=Q, probability=p, as_of=AS_OF), by=members[handle]
        )
    return {h: m for h, m in members.items() if m is not None}


def _forecast_id(engine: sa.Engine, handle: str) -> int:
    with Session(engine) as s:
        rid = s.exec(sa.select(Researcher.id).where(Researcher.handle == handle)).scalar_one()
        return int(s.exec(sa.select(Forecast.id).where(Forecast.researcher_id == rid)).scalars().first())


def _question_id(engine: sa.Engine) -> int:
    with Session(engine) as s:
        return int(s.exec(sa.select(Question.id).where(Question.title == Q)).scalar_one())


def _revisions(engine: sa.Engine, entity: str) -> list[tuple[int, str]]:
    with Session(engine) as s:
        rows = s.exec(sa.select(Revision.entity_id, Revision.changed_by).where(Revision.entity == entity))
        return [(int(a), str(b)) for a, b in rows]


def _refused(engine: sa.Engine, action, match: str) -> None:  # type: ignore[no-untyped-def]
    before = backup.backup(engine)
    with pytest.raises(NotAllowed, match=match):
        action()
    assert backup.backup(engine) == before


# --- who the members are ----------------------------------------------------------------------


def test_members_are_found_by_their_signed_in_email(engine, team):
    assert (team["ana"].handle, team["ana"].admin, team["ana"].team) == ("ana", False, True)
    assert team["cleo"].admin
    member = actions.team_member(engine, "ANA@Lab.Example", POLICY)
    assert member is not None and member.handle == "ana"
    assert actions.team_member(engine, "dara@lab.example", POLICY) is None  # allowed, not joined yet


def test_first_sign_in_creates_the_researcher_with_the_chosen_handle(engine, team):
    for handle, message in (
        ("", "handle must not be empty"),
        ("two words", "is not a handle"),
        ("ana", "'ana' is already used"),
    ):
        before = backup.backup(engine)
        with pytest.raises(InputError, match=message):
            actions.join_team(engine, "dara@lab.example", handle, "", POLICY)
        assert backup.backup(engine) == before
    member = actions.join_team(engine, "dara@lab.example", "dara_k", "Dara", POLICY)
    assert (member.handle, member.email, member.admin) == ("dara_k", "dara@lab.example", False)
    again = actions.team_member(engine, "dara@lab.example", POLICY)
    assert again is not None and again.researcher_id == member.researcher_id


def test_not_allowed_or_removed_email_is_refused(engine, team):
    _refused(
        engine,
        lambda: actions.join_team(engine, "eve@elsewhere.example", "eve", "", POLICY),
        "eve@elsewhere.example is not allowed to use this Credence",
    )
    actions.delete(engine, "researcher", team["ben"].researcher_id or 0, by=team["cleo"])
    with pytest.raises(NotAllowed, match="was removed"):
        actions.team_member(engine, "ben@lab.example", POLICY)


# --- own and other's forecasts ------------------------------------------------------------------


def test_member_changes_their_own_forecasts_as_their_author(engine, team):
    actions.save_forecast(
        engine, ForecastIn(researcher="ana", question=Q, probability=0.03, as_of=AS_OF), by=team["ana"]
    )
    fid = _forecast_id(engine, "ana")
    actions.edit_forecast(engine, fid, ForecastEdit(probability=0.04), by=team["ana"])
    actions.delete(engine, "forecast", fid, by=team["ana"])
    actions.undo_delete(engine, "forecast", fid, by=team["ana"])
    with Session(engine) as s:
        authors = s.exec(sa.select(Forecast.updated_by)).scalars().all()
        assert s.get(Forecast, fid).deleted_at is None
    assert sorted(authors) == ["ana", "ana", "ben"]
    assert _revisions(engine, "forecast") == [(fid, "ana")]


def test_nobody_changes_another_researchers_forecasts(engine, team):
    data = ForecastIn(researcher="ben", question=Q, probability=0.5, as_of=AS_OF)
    _refused(
        engine,
        lambda: actions.save_forecast(engine, data, by=team["ana"]),
        "ana may not create a forecast for ben: each researcher changes only their own forecasts",
    )
    fid = _forecast_id(engine, "ben")
    edit = ForecastEdit(probability=0.9)
    _refused(
        engine,
        lambda: actions.edit_forecast(engine, fid, edit, by=team["ana"]),
        "ana may not edit ben's forecast",
    )
    _refused(
        engine,
        lambda: actions.delete(engine, "forecast", fid, by=team["ana"]),
        "ana may not delete ben's forecast",
    )
    actions.delete(engine, "forecast", fid, by=team["ben"])
    _refused(
        engine,
        lambda: actions.undo_delete(engine, "forecast", fid, by=team["ana"]),
        "ana may not undo the deletion of ben's forecast",
    )
    # An admin curates researchers, but writes nobody else's beliefs either.
    _refused(
        engine, lambda: actions.edit_forecast(engine, fid, edit, by=team["cleo"]), "cleo may not edit ben's"
    )


def test_member_imports_only_their_own_forecasts(engine, team):
    batch = ImportBatch(forecasts=[ForecastIn(researcher="ben", question=Q, probability=0.3, as_of=AS_OF)])
    _refused(
        engine,
        lambda: actions.import_batch(engine, batch, by=team["ana"]),
        "ana may import only their own forecasts; this file also has rows for ben",
    )


# --- shared curation ---------------------------------------------------------------------------


def test_any_member_curates_questions_evidence_levels_and_links(engine, team):
    qid = _question_id(engine)
    actions.edit_question(engine, qid, QuestionEdit(criteria="Resolves per the 2026 audit."), by=team["ben"])
    assert _revisions(engine, "question") == [(qid, "ben")]
    eid = actions.create_evidence(engine, EvidenceIn(title="Sandbagging audit"), by=team["ben"])
    actions.edit_evidence(
        engine, eid, EvidenceIn(title="Sandbagging audit", summary="Held-out eval."), by=team["ana"]
    )
    actions.create_level(engine, LevelIn(name="full automation of AI R&D"), by=team["ana"])
    other = actions.add_question(engine, QuestionIn(title="Neuralese before full automation"), by=team["ana"])
    actions.link_questions(engine, qid, other, "moved because", by=team["ben"])
    actions.delete(engine, "evidence", eid, by=team["ben"])
    actions.undo_delete(engine, "evidence", eid, by=team["ana"])


# --- admin-only ---------------------------------------------------------------------------------


def test_only_admins_resolve_and_reopen(engine, team):
    data = ResolutionIn(question=Q, outcome="yes", resolved_at=AS_OF)
    _refused(
        engine,
        lambda: actions.resolve_question(engine, data, by=team["ben"]),
        "Only an admin may resolve, re-open or annul a question; ben is not an admin",
    )
    actions.resolve_question(engine, data, by=team["cleo"])
    qid = _question_id(engine)
    _refused(engine, lambda: actions.reopen_question(engine, qid, by=team["ana"]), "Only an admin may")
    actions.reopen_question(engine, qid, by=team["cleo"])
    assert _revisions(engine, "question")[-1] == (qid, "cleo")


def test_only_admins_curate_researchers_and_restore(engine, team):
    bid = team["ben"].researcher_id or 0
    for act in (
        lambda: actions.create_researcher(engine, ResearcherIn(handle="ghost"), by=team["ana"]),
        lambda: actions.rename_researcher(engine, bid, "Benjamin", by=team["ana"]),
        lambda: actions.set_researcher_email(engine, bid, "ana@lab.example", by=team["ana"]),
        lambda: actions.delete(engine, "researcher", bid, by=team["ana"]),
    ):
        _refused(engine, act, "Only an admin may curate researchers")
    text = backup.backup(engine)
    _refused(
        engine,
        lambda: actions.restore(engine, text, replace=True, by=team["ana"]),
        "Only an admin may restore",
    )
    with pytest.raises(InputError, match="already used by another researcher"):
        actions.set_researcher_email(engine, bid, "ana@lab.example", by=team["cleo"])
    # An admin binds an existing researcher (say, one from an import) to its owner's e-mail.
    actions.create_researcher(engine, ResearcherIn(handle="teal_heron"), by=team["cleo"])
    with Session(engine) as s:
        rid = s.exec(sa.select(Researcher.id).where(Researcher.handle == "teal_heron")).scalar_one()
    actions.set_researcher_email(engine, rid, "Teal@Lab.Example", by=team["cleo"])
    member = actions.team_member(engine, "teal@lab.example", POLICY)
    assert member is not None and member.handle == "teal_heron"


# --- share links --------------------------------------------------------------------------------


def test_share_links_are_their_owners(engine, team):
    qid = _question_id(engine)
    _refused(
        engine,
        lambda: actions.create_share_link(engine, "ben", question_ids=[qid], by=team["ana"]),
        "ana may not create a share link for ben",
    )
    link = actions.create_share_link(engine, "ana", question_ids=[qid], by=team["ana"])
    opened = actions.open_share_link(engine, link.token)
    assert opened is not None and (opened.handle, opened.question_ids) == ("ana", [qid])
    _refused(
        engine, lambda: actions.revoke_share_link(engine, link.link_id, by=team["ben"]), "ben may not delete"
    )
    actions.revoke_share_link(engine, link.link_id, by=team["cleo"])  # an admin may revoke any link
    assert actions.open_share_link(engine, link.token) is None


# --- laptop mode --------------------------------------------------------------------------------


def test_laptop_mode_refuses_nothing_and_records_the_chosen_researcher(engine, team):
    fid = _forecast_id(engine, "ben")
    actions.edit_forecast(engine, fid, ForecastEdit(probability=0.2), by="ana")
    actions.resolve_question(engine, ResolutionIn(question=Q, outcome="yes", resolved_at=AS_OF), by="ana")
    assert _revisions(engine, "forecast") == [(fid, "ana")]
    assert _revisions(engine, "question") == [(_question_id(engine), "ana")]


def test_share_link_expiry_date_is_inclusive(engine, team):
    link = actions.create_share_link(
        engine, "ana", question_ids=[_question_id(engine)], expires=date(2099, 1, 1), by="ana"
    )
    listed = actions.share_link_list(engine, "ana")
    assert listed.loc[0, "expires_at"] == datetime(2099, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert listed.loc[0, "status"] == "active" and actions.open_share_link(engine, link.token) is not None


def test_likelihood_ratios_are_their_owners(engine, team):
    actions.create_evidence(engine, EvidenceIn(title="Sandbagging audit"), by=team["ana"])
    data = RatioIn(researcher="ben", question=Q, evidence="Sandbagging audit", ratio="3", as_of=AS_OF)
    _refused(
        engine,
        lambda: actions.record_ratio(engine, data, by=team["ana"]),
        "ana may not create a likelihood ratio for ben",
    )
    rid = actions.record_ratio(engine, data, by=team["ben"])
    _refused(
        engine,
        lambda: actions.delete(engine, "likelihood_ratio", rid, by=team["ana"]),
        "ana may not delete ben's likelihood ratio",
    )
    actions.delete(engine, "likelihood_ratio", rid, by=team["ben"])
    actions.undo_delete(engine, "likelihood_ratio", rid, by=team["ben"])


# --- partitions ---------------------------------------------------------------------------------

ROUTES = ["Scheming via neuralese", "Scheming via chain of thought", "No scheming"]


def _partition_id(engine: sa.Engine, name: str) -> int:
    from models.store.tables import QuestionPartition

    with Session(engine) as s:
        return int(s.exec(sa.select(QuestionPartition.id).where(QuestionPartition.name == name)).scalar_one())


@pytest.fixture
def routes(engine: sa.Engine, team: dict[str, Actor]) -> dict[str, Actor]:
    """ben's declared partition "Routes" over three questions (any member adds questions)."""
    for title in ROUTES:
        actions.add_question(engine, QuestionIn(title=title), by=team["ana"])
    actions.declare_partition(engine, "Routes", None, ROUTES, by=team["ben"])
    return team


def test_partitions_are_their_owners(engine, routes):
    team, pid = routes, _partition_id(engine, "Routes")
    _refused(
        engine,
        lambda: actions.declare_partition(engine, "Routes", None, ROUTES[:2], by=team["ana"]),
        "ana may not edit ben's partition: each researcher changes only their own partitions",
    )
    _refused(
        engine,
        lambda: actions.declare_partition(engine, "Routes", "ana", ROUTES[:2], by=team["ana"]),
        "ana may not edit ben's partition",
    )
    _refused(
        engine,
        lambda: actions.declare_partition(engine, "Ana's routes", "ben", ROUTES, by=team["ana"]),
        "ana may not create a partition for ben",
    )
    _refused(
        engine,
        lambda: actions.delete(engine, "partition", pid, by=team["ana"]),
        "ana may not delete ben's partition",
    )
    # an admin writes nobody else's beliefs either
    _refused(
        engine,
        lambda: actions.declare_partition(engine, "Routes", None, ROUTES[:2], by=team["cleo"]),
        "cleo may not edit ben's partition",
    )
    actions.delete(engine, "partition", pid, by=team["ben"])
    _refused(
        engine,
        lambda: actions.undo_delete(engine, "partition", pid, by=team["ana"]),
        "ana may not undo the deletion of ben's partition",
    )
    _refused(  # declaring a deleted partition's name again would bring it back
        engine,
        lambda: actions.declare_partition(engine, "Routes", None, ROUTES, by=team["ana"]),
        "ana may not edit ben's partition",
    )


def test_a_member_declares_edits_deletes_and_restores_their_own_partition(engine, routes):
    team, pid = routes, _partition_id(engine, "Routes")
    summary = actions.declare_partition(engine, "Routes", None, ROUTES[:2], by=team["ben"])
    assert summary.updated["partitions"] == 1
    actions.delete(engine, "partition", pid, by=team["ben"])
    actions.undo_delete(engine, "partition", pid, by=team["ben"])
    assert _revisions(engine, "partition") == [(pid, "ben")]
    actions.declare_partition(engine, "Ana's routes", None, ROUTES, by=team["ana"])  # her own, by default


def test_a_member_imports_no_partition_of_another_researcher(engine, routes):
    from models.schemas import PartitionMemberIn

    team = routes

    def batch(researcher: str | None) -> ImportBatch:
        rows = [PartitionMemberIn(partition="Routes", question=q, researcher=researcher) for q in ROUTES[:2]]
        return ImportBatch(partitions=rows)

    _refused(
        engine,
        lambda: actions.import_batch(engine, batch(None), by=team["ana"]),
        "ana may not edit ben's partition",
    )
    _refused(
        engine,
        lambda: actions.import_batch(engine, batch("ana"), by=team["ana"]),
        "ana may not edit ben's partition",
    )
    _refused(
        engine,
        lambda: actions.import_file(
            engine,
            f"partition,question,researcher\nNew,{ROUTES[0]},ben\nNew,{ROUTES[1]},ben\n".encode(),
            "partitions",
            by=team["ana"],
        ),
        "ana may import only their own forecasts; this file also has rows for ben",
    )
    actions.import_batch(engine, batch(None), by=team["ben"])


def test_laptop_mode_declaring_a_new_partition_without_a_researcher_says_it_is_needed(engine, routes):
    before = backup.backup(engine)
    with pytest.raises(InputError, match="needs the researcher who declares it"):
        actions.declare_partition(engine, "Unowned", None, ROUTES)
    assert backup.backup(engine) == before
