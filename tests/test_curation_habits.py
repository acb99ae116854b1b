"""Researcher handles, and resolving on purpose (issue 14): pages, CLI and schema agree."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from models.forms import form_problems
from models.schemas import NewResearcherIn
from models.store import reads as queries
from tests.factories import cli, revisions

PAGES = Path(__file__).resolve().parent.parent / "pages"
OPEN_QUESTION = "Frontier AIs are schemers (at the stated capability level)"
HANDLE_RULE = "use lowercase letters, digits, _ and - only, like teal_heron"


@pytest.mark.parametrize("handle", ["teal_heron", "r2-d2", "x", "a_b-c9"])
def test_handles_of_lowercase_letters_digits_underscores_and_hyphens_are_accepted(handle: str) -> None:
    assert NewResearcherIn(handle=handle).handle == handle


@pytest.mark.parametrize("handle", ["Teal_Heron", "teal heron", "teal.heron", "émile", "a/b", "ada@lab"])
def test_other_handles_are_refused_with_the_rule(handle: str) -> None:
    with pytest.raises(ValidationError) as err:
        NewResearcherIn(handle=handle)
    assert form_problems(err.value) == {"handle": f"{handle!r} is not a handle: {HANDLE_RULE}"}


def test_researchers_page_refuses_a_bad_handle_under_its_input(shared_demo_engine: sa.Engine) -> None:
    at = AppTest.from_file(str(PAGES / "researchers.py"), default_timeout=30).run()
    before = len(queries.researchers_frame(shared_demo_engine))
    at.text_input(key="new_handle").set_value("Marsh Wren")
    at.button(key="add_researcher").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"handle 'Marsh Wren' is not a handle: {HANDLE_RULE}"]
    assert at.text_input(key="new_handle").value == "Marsh Wren"
    assert len(queries.researchers_frame(shared_demo_engine)) == before


def _questions_page() -> AppTest:
    at = AppTest.from_file(str(PAGES / "questions.py"), default_timeout=30)
    at.query_params["question"] = OPEN_QUESTION
    at.run()
    assert not at.exception
    return at


def _question(engine: sa.Engine) -> pd.Series:
    qs = queries.questions_frame(engine)
    return qs[qs["question"] == OPEN_QUESTION].iloc[0]


def test_resolving_needs_an_explicit_outcome(shared_demo_engine: sa.Engine) -> None:
    at = _questions_page()
    assert at.radio(key="resolve_outcome").value is None
    at.text_input(key="resolve_at").set_value("2025-01-02")
    at.button(key="resolve").click().run()
    assert [e.value for e in at.error] == ["outcome is required: choose yes, no, annulled"]
    assert _question(shared_demo_engine)["outcome"] is None


def _resolve(at: AppTest) -> AppTest:
    at.radio(key="resolve_outcome").set_value("no")
    at.text_input(key="resolve_at").set_value("2025-01-02")
    at.text_area(key="resolve_note").set_value("Audit found no scheming")
    at.button(key="resolve").click().run()
    assert not at.exception and not at.error
    return at


def test_resolving_again_with_identical_values_writes_no_revision(demo_engine: sa.Engine) -> None:
    at = _resolve(_questions_page())
    qid = int(_question(demo_engine)["question_id"])
    with Session(demo_engine) as s:
        kept = len(revisions(s, "question", qid))
    at = _resolve(_questions_page())
    assert any("Nothing changed: already resolved as no" in m.value for m in at.success)
    with Session(demo_engine) as s:
        assert len(revisions(s, "question", qid)) == kept


def test_cli_resolving_again_with_identical_values_writes_no_revision(demo_engine: sa.Engine) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    args = ("resolve", OPEN_QUESTION, "yes", "--when", "2025-03-01", "-m", "Observed.")
    assert cli(url, *args).exit_code == 0
    qid = int(_question(demo_engine)["question_id"])
    with Session(demo_engine) as s:
        kept = len(revisions(s, "question", qid))
    again = cli(url, *args)
    assert again.exit_code == 0
    assert again.stdout == f"\u201c{OPEN_QUESTION}\u201d is already resolved as yes; nothing changed.\n"
    with Session(demo_engine) as s:
        assert len(revisions(s, "question", qid)) == kept
