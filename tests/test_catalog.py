"""Curation: researchers, the capability scale, evidence items, question lists and links."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from models.analysis import questions
from models.errors import InputError, NotFound
from models.frames import EVIDENCE, EVIDENCE_LINKS, FORECASTS, LEVELS, LINKS, QUESTIONS, Frames, conform
from models.schemas import EvidenceIn, LevelIn, ResearcherIn
from models.store import curation as catalog
from models.store import reads as queries
from models.store.db import write_session
from models.store.records import soft_delete
from models.store.tables import CapabilityLevel

# --- writes (both backends) -------------------------------------------------------------------


def _researchers(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return dict(
        zip(
            queries.researchers_frame(engine)["handle"],
            queries.researchers_frame(engine)["name"],
            strict=True,
        )
    )


def test_forecast_counts_leave_out_deleted_forecasts_until_they_are_restored(stocked):
    from models import actions

    def counts() -> dict[str, int]:
        people = queries.researchers_frame(stocked)
        return dict(zip(people["handle"], people["forecasts"].astype(int), strict=True))

    assert counts() == {"orrery": 2, "teal_heron": 2}
    forecasts = queries.forecasts_frame(stocked)
    orrerys = forecasts.loc[forecasts["researcher"] == "orrery", "forecast_id"].astype(int).tolist()
    for fid in orrerys:
        actions.delete(stocked, "forecast", fid)
    actions.create_researcher(stocked, ResearcherIn(handle="amber_finch"))
    assert counts() == {"amber_finch": 0, "orrery": 0, "teal_heron": 2}
    actions.undo_delete(stocked, "forecast", orrerys[0])
    assert counts() == {"amber_finch": 0, "orrery": 1, "teal_heron": 2}


def test_counting_forecasts_reads_indexes_not_the_forecast_rows(sqlite_engine):
    """Counting live forecasts by reading each row took 1.8 s at a million on SQLite."""
    with sqlite_engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + queries.RESEARCHER_COUNTS_SQL).all()
    steps = [str(row[-1]) for row in plan if "forecast" in str(row[-1])]
    assert steps == [
        "SCAN forecast USING COVERING INDEX ix_forecast_target",
        "SCAN forecast USING INDEX ix_forecast_deleted_researcher",
    ], steps


def test_create_researcher_adds_handle_and_display_name(engine):
    with write_session(engine) as s:
        catalog.create_researcher(s, ResearcherIn(handle="teal_heron", name="Teal Heron"))
    assert _researchers(engine) == {"teal_heron": "Teal Heron"}


def test_create_researcher_refuses_a_handle_in_use_and_writes_nothing(engine):
    with write_session(engine) as s:
        catalog.create_researcher(s, ResearcherIn(handle="orrery"))
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.create_researcher(s, ResearcherIn(handle="orrery", name="Another"))
    assert err.value.problems == ["handle 'orrery' is already used by another researcher"]
    assert _researchers(engine) == {"orrery": ""}


def test_create_researcher_with_a_deleted_handle_says_to_restore_it(engine):
    with write_session(engine) as s:
        rid = catalog.create_researcher(s, ResearcherIn(handle="orrery")).id
        soft_delete(s, "researcher", rid)
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.create_researcher(s, ResearcherIn(handle="orrery"))
    assert err.value.fields == {"handle": "'orrery' belongs to a deleted researcher: restore it instead"}


def test_rename_researcher_changes_the_display_name_only(engine):
    with write_session(engine) as s:
        rid = catalog.create_researcher(s, ResearcherIn(handle="nightjar", name="Night")).id
    with write_session(engine) as s:
        catalog.rename_researcher(s, rid, "  Nightjar  ")
    assert _researchers(engine) == {"nightjar": "Nightjar"}


def test_rename_researcher_refuses_an_overlong_name(engine):
    with write_session(engine) as s:
        rid = catalog.create_researcher(s, ResearcherIn(handle="nightjar")).id
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.rename_researcher(s, rid, "x" * 201)
    assert list(err.value.fields) == ["name"]


def _scale(engine) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    levels = queries.levels_frame(engine)
    return list(zip(levels["level"], levels["position"], strict=True))


def _add_levels(engine, *names: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        return {n: catalog.create_level(s, LevelIn(name=n)).id for n in names}  # type: ignore[misc]


def test_new_levels_go_to_the_top_of_the_scale(engine):
    _add_levels(engine, "1.6x", "3x", "10x")
    assert _scale(engine) == [("1.6x", 1.0), ("3x", 2.0), ("10x", 3.0)]


def test_a_level_can_be_added_at_a_given_position(engine):
    _add_levels(engine, "1.6x", "10x")
    with write_session(engine) as s:
        catalog.create_level(s, LevelIn(name="3x", position=1.5, description="AI R&D labor x3"))
    assert _scale(engine) == [("1.6x", 1.0), ("3x", 1.5), ("10x", 2.0)]


def test_create_level_refuses_a_name_in_use(engine):
    _add_levels(engine, "3x")
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.create_level(s, LevelIn(name="3x"))
    assert err.value.fields == {"name": "'3x' is already used by another capability level"}


def test_move_level_trades_places_with_its_neighbour(engine):
    ids = _add_levels(engine, "a", "b", "c")
    with write_session(engine) as s:
        catalog.move_level(s, ids["c"], -1)
    assert _scale(engine) == [("a", 1.0), ("c", 2.0), ("b", 3.0)]


def test_move_level_past_the_end_stays_at_the_end(engine):
    ids = _add_levels(engine, "a", "b")
    with write_session(engine) as s:
        catalog.move_level(s, ids["a"], -5)
    assert _scale(engine) == [("a", 1.0), ("b", 2.0)]


def test_move_level_renumbers_a_scale_with_tied_positions(engine):
    ids = _add_levels(engine, "a", "b")
    with write_session(engine) as s:
        catalog.create_level(s, LevelIn(name="c", position=2))
    with write_session(engine) as s:
        catalog.move_level(s, ids["a"], 2)
    assert [name for name, _ in _scale(engine)] == ["b", "c", "a"]
    assert [p for _, p in _scale(engine)] == [1.0, 2.0, 3.0]


def test_set_level_positions_reorders_the_scale(engine):
    ids = _add_levels(engine, "a", "b", "c")
    with write_session(engine) as s:
        catalog.set_level_positions(s, {ids["a"]: 10, ids["c"]: 0.5})
    assert _scale(engine) == [("c", 0.5), ("b", 2.0), ("a", 10.0)]


def test_set_level_positions_refuses_a_tie_and_writes_nothing(engine):
    ids = _add_levels(engine, "a", "b", "c")
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.set_level_positions(s, {ids["a"]: 5, ids["b"]: 5})
    assert err.value.problems == ["position 5 is given to both 'a' and 'b'"]
    assert _scale(engine) == [("a", 1.0), ("b", 2.0), ("c", 3.0)]


def test_set_level_positions_ignores_deleted_levels_when_checking_ties(engine):
    ids = _add_levels(engine, "a", "b")
    with write_session(engine) as s:
        soft_delete(s, "capability_level", ids["b"])
    with write_session(engine) as s:
        catalog.set_level_positions(s, {ids["a"]: 2})
    assert _scale(engine) == [("a", 2.0)]
    with Session(engine) as s:
        assert s.get(CapabilityLevel, ids["b"]).position == 2.0  # type: ignore[union-attr]


def test_set_level_positions_refuses_infinite_positions(engine):
    ids = _add_levels(engine, "a")
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.set_level_positions(s, {ids["a"]: math.inf})
    assert err.value.problems == ["position inf is not a finite number"]


def test_create_and_edit_evidence(engine):
    with write_session(engine) as s:
        eid = catalog.create_evidence(
            s, EvidenceIn(title="Audit report", kind="result", date="2025-10-01")
        ).id
    with write_session(engine) as s:
        catalog.edit_evidence(
            s, eid, EvidenceIn(title="Audit report (Oct)", url="https://example.org/a", summary="s")
        )
    row = queries.evidence_frame(engine).iloc[0]
    assert (row["evidence"], row["url"], row["summary"], row["kind"]) == (
        "Audit report (Oct)",
        "https://example.org/a",
        "s",
        "other",
    )
    assert pd.isna(row["published"])


def test_edit_evidence_refuses_another_items_title(engine):
    with write_session(engine) as s:
        catalog.create_evidence(s, EvidenceIn(title="A"))
        eid = catalog.create_evidence(s, EvidenceIn(title="B")).id
    with pytest.raises(InputError) as err, write_session(engine) as s:
        catalog.edit_evidence(s, eid, EvidenceIn(title="A"))
    assert err.value.fields == {"title": "'A' is already used by another evidence item"}
    with write_session(engine) as s:
        catalog.edit_evidence(s, eid, EvidenceIn(title="B", summary="same title is fine"))


def test_edit_evidence_of_a_missing_item_is_not_found(engine):
    with pytest.raises(NotFound), write_session(engine) as s:
        catalog.edit_evidence(s, 99, EvidenceIn(title="A"))


def test_add_question_link_refuses_a_missing_target_and_a_duplicate(stocked):
    with pytest.raises(InputError) as err, write_session(stocked) as s:
        catalog.add_question_link(s, 1, None)
    assert list(err.value.fields) == ["target"]
    with write_session(stocked) as s:
        catalog.add_question_link(s, 1, 2, "note")
    with pytest.raises(InputError) as err, write_session(stocked) as s:
        catalog.add_question_link(s, 1, 2)
    assert err.value.problems == ["target is already linked to this question"]
    assert len(queries.links_frame(stocked)) == 1


# --- pure functions on hand-built frames ------------------------------------------------------

NOW = "2025-06-01"


def fc(
    forecast_id: int, question_id: int, researcher: str, probability: float, as_of: str, **kw: Any
) -> dict:
    row = {
        "forecast_id": forecast_id,
        "researcher": researcher,
        "question_id": question_id,
        "question": f"Q{question_id}",
        "level": None,
        "probability": probability,
        "as_of": as_of,
        "recorded_at": "2025-01-01",
        "reconstructed": False,
        "rationale": "",
    }
    row.update(kw)
    return row


def q(question_id: int, title: str, tags: tuple[str, ...] = (), **kw: Any) -> dict:
    row = {
        "question_id": question_id,
        "question": title,
        "criteria": "",
        "tags": tags,
        "created_at": "2024-01-01",
        "resolve_by": None,
        "outcome": None,
        "resolved_at": None,
    }
    row.update(kw)
    return row


def make_frames(forecasts=(), questions=(), links=(), evidence=(), levels=(), qlinks=()) -> Frames:  # type: ignore[no-untyped-def]
    def frame(rows, schema):  # type: ignore[no-untyped-def]
        return conform(pd.DataFrame(list(rows), columns=list(schema)), schema)

    ev = frame(evidence, EVIDENCE)
    ev["kind"] = "paper"
    return Frames(
        forecasts=frame(forecasts, FORECASTS),
        questions=frame(questions, QUESTIONS),
        evidence_links=frame(links, EVIDENCE_LINKS),
        evidence=ev,
        levels=frame(levels, LEVELS),
        links=frame(qlinks, LINKS),
    )


QUESTIONS_ = [
    q(1, "Schemers at 3x", ("alignment", "scheming"), criteria="Fake alignment in training"),
    q(2, "Neuralese before automation", ("architecture",), resolve_by="2025-03-01"),
    q(3, "RSP published", ("governance",), outcome="yes", resolved_at="2024-09-01", resolve_by="2024-12-31"),
    q(4, "Treaty signed", ("governance", "alignment"), outcome="annulled", resolved_at="2025-01-01"),
    q(5, "Lab audit", (), resolve_by="2025-12-31"),
]
FORECASTS_ = [
    fc(1, 1, "alice", 0.10, "2024-01-01"),
    fc(2, 1, "alice", 0.20, "2024-06-01"),
    fc(3, 1, "bob", 0.30, "2024-03-01"),
    fc(4, 2, "bob", 0.50, "2024-05-01"),
    fc(5, 3, "carol", 0.90, "2024-02-01"),
]
FRAMES = make_frames(FORECASTS_, QUESTIONS_)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [1, 2, 3, 4, 5]),
        ({"search": "schemers"}, [1]),
        ({"search": "FAKE training"}, [1]),  # every word, case-insensitive, criteria too
        ({"search": "governance"}, [3, 4]),  # tags are searched
        ({"search": "schemers rsp"}, []),
        ({"tags": ["governance"]}, [3, 4]),
        ({"tags": ["governance", "alignment"]}, [4]),  # all of the tags
        ({"status": "open"}, [1, 2, 5]),
        ({"status": "resolved"}, [3]),
        ({"status": "annulled"}, [4]),
        ({"status": ["resolved", "annulled"]}, [3, 4]),
        ({"researcher": "bob"}, [1, 2]),
        ({"researcher": "nobody"}, []),
        ({"due": True}, [2]),  # resolve-by passed and still open; 3 resolved, 5 not yet due
        ({"due": True, "researcher": "alice"}, []),
    ],
)
def test_question_list_filters(filters, expected):
    assert questions.question_list(FRAMES, now=NOW, **filters)["question_id"].tolist() == expected


def test_question_list_counts_forecasts_and_researchers():
    out = questions.question_list(FRAMES, now=NOW).set_index("question_id")
    assert out.loc[1, ["n_forecasts", "n_researchers"]].tolist() == [3, 2]
    assert out.loc[5, ["n_forecasts", "n_researchers"]].tolist() == [0, 0]
    assert out.loc[1, "last_forecast"] == pd.Timestamp("2024-06-01", tz="UTC")
    assert pd.isna(out.loc[5, "last_forecast"])
    assert out["status"].tolist() == ["open", "open", "resolved", "annulled", "open"]
    assert out["due"].tolist() == [False, True, False, False, False]


def test_question_list_of_no_questions_is_empty():
    out = questions.question_list(
        make_frames(), search="x", tags=["a"], status="open", researcher="a", due=True
    )
    assert out.empty and list(out.columns) == questions.LIST_COLUMNS


def test_question_tags_are_sorted_and_unique():
    assert questions.question_tags(FRAMES) == ["alignment", "architecture", "governance", "scheming"]


@pytest.mark.parametrize(
    ("ref", "expected"), [("2", 2), ("RSP published", 3), ("99", None), ("", None), (None, None)]
)
def test_find_question_by_id_or_title(ref, expected):
    assert questions.find_question(FRAMES, ref) == expected


def test_current_estimates_are_each_targets_last_forecast_with_its_change():
    frames = make_frames(
        [*FORECASTS_, fc(6, 1, "alice", 0.40, "2024-02-01", level="3x", level_position=2.0)],
        QUESTIONS_,
        levels=[{"level": "3x", "position": 2.0, "description": ""}],
    )
    out = questions.current_estimates(frames, 1)
    rows = list(zip(out["researcher"], out["level"], out["probability"], out["n_forecasts"], strict=True))
    assert rows == [("alice", None, 0.20, 2), ("bob", None, 0.30, 1), ("alice", "3x", 0.40, 1)]
    assert out["change_points"].iloc[0] == pytest.approx(10.0)
    assert out["change_log_odds"].iloc[0] == pytest.approx(math.log(0.2 / 0.8) - math.log(0.1 / 0.9))
    assert out["change_points"].iloc[1:].isna().all()


def test_question_links_read_both_ways():
    frames = make_frames(
        questions=QUESTIONS_,
        qlinks=[
            {"link_id": 1, "source_question_id": 1, "target_question_id": 2, "note": "via architecture"},
            {"link_id": 2, "source_question_id": 5, "target_question_id": 1, "note": ""},
        ],
    )
    out = questions.question_links(frames, 1)
    assert out["reads"].tolist() == [
        "P(Schemers at 3x) moved mostly because P(Neuralese before automation) moved",
        "P(Lab audit) moved mostly because P(Schemers at 3x) moved",
    ]
    assert out["other_question_id"].tolist() == [2, 5]
    assert questions.question_links(frames, 3).empty
