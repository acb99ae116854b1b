"""Single-record writes: forecasts from a form, edits as revisions, soft deletes with undo."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from models import actions
from models.errors import InputError
from models.schemas import ForecastEdit, QuestionEdit, QuestionIn, ResolutionIn
from models.store.db import write_session
from models.store.reads import forecasts_frame, questions_frame
from models.store.records import (
    create_forecast,
    create_question,
    edit_forecast,
    edit_question,
    previous_forecast,
    reopen_question,
    resolve_question,
    restore,
    soft_delete,
)
from models.store.tables import ForecastEvidence
from tests.factories import forecast_in, revisions


def test_create_forecast_links_new_evidence_with_its_direction(stocked):
    with write_session(stocked) as s:
        f = create_forecast(s, forecast_in(evidence="New paper [lowered]"))
    with Session(stocked) as s:
        link = s.exec(select(ForecastEvidence).where(ForecastEvidence.forecast_id == f.id)).one()
    assert link.direction == "lowered"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"researcher": "nobody"}, "researcher 'nobody' does not exist"),
        ({"question": "No such question"}, "question 'No such question' does not exist"),
        ({"capability": "99x"}, "capability '99x' does not exist"),
    ],
)
def test_create_forecast_refuses_unknown_names_and_writes_nothing(stocked, overrides, problem):
    before = len(forecasts_frame(stocked))
    with pytest.raises(InputError) as err, write_session(stocked) as s:
        create_forecast(s, forecast_in(**overrides))
    assert err.value.problems == [problem]
    assert len(forecasts_frame(stocked)) == before


def test_editing_a_forecast_keeps_the_old_version_as_a_revision(stocked):
    with write_session(stocked) as s:
        edit_forecast(s, 1, ForecastEdit(probability="5%", rationale="typo fixed"), by="teal_heron")
    with Session(stocked) as s:
        revs = revisions(s, "forecast", 1)
    assert len(revs) == 1
    old = json.loads(revs[0].data)
    assert (old["probability"], old["rationale"], revs[0].changed_by) == (
        0.04,
        "Mostly priors, some evals",
        "teal_heron",
    )
    assert old["evidence"][0]["direction"] == "raised"
    row = forecasts_frame(stocked).set_index("forecast_id").loc[1]
    assert (row["probability"], row["rationale"]) == (0.05, "typo fixed")


def test_a_deleted_forecast_disappears_from_export_and_comes_back_on_undo(stocked):
    with write_session(stocked) as s:
        soft_delete(s, "forecast", 1)
    assert 1 not in forecasts_frame(stocked)["forecast_id"].tolist()
    assert not actions.forecasts_csv(stocked).splitlines()[1].startswith("1,")
    with write_session(stocked) as s:
        restore(s, "forecast", 1)
    assert 1 in forecasts_frame(stocked)["forecast_id"].tolist()


def test_deleting_a_question_hides_its_forecasts(stocked):
    qid = int(questions_frame(stocked).set_index("question").loc["Schemers at 3x", "question_id"])
    with write_session(stocked) as s:
        soft_delete(s, "question", qid)
    assert "Schemers at 3x" not in set(forecasts_frame(stocked)["question"])


def test_previous_forecast_is_the_same_targets_standing_estimate(stocked):
    with write_session(stocked) as s:
        new = create_forecast(
            s,
            forecast_in(
                question="Schemers at 3x", capability="3x AI R&D", probability=0.02, as_of="2025-06-01"
            ),
        )
        prev = previous_forecast(s, new)
    assert prev is not None and prev.probability == 0.03


def test_question_edit_and_resolution_history(stocked):
    with write_session(stocked) as s:
        q = create_question(s, QuestionIn(title="Will X happen?", tags="a;b"))
        edit_question(s, q.id, QuestionEdit(criteria="Resolves YES if X."), by="orrery")
        resolve_question(
            s,
            ResolutionIn(
                question="Will X happen?", outcome="annulled", resolved_at="2025-01-01", note="ill-posed"
            ),
        )
        reopen_question(s, q.id, note="reopened")
    with Session(stocked) as s:
        revs = revisions(s, "question", q.id)
    assert [json.loads(r.data)["outcome"] for r in revs] == [None, None, "annulled"]
    current = questions_frame(stocked).set_index("question").loc["Will X happen?"]
    assert current["outcome"] is None and current["criteria"] == "Resolves YES if X."


def test_a_question_title_is_unique(stocked):
    with pytest.raises(InputError, match="already a question"), write_session(stocked) as s:
        create_question(s, QuestionIn(title="Schemers at 3x"))


def test_every_write_moves_the_data_version_so_caches_refresh(stocked):
    from models.store.db import data_version

    before = data_version(stocked)
    with write_session(stocked) as s:
        soft_delete(s, "forecast", 1)
    assert data_version(stocked) == before + 1
