"""The Home page in AppTest: what is due for the researcher, and Reaffirm."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from models.store.reads import forecasts_frame

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "pages" / "home.py")
RESEARCHER = "teal_heron"


def _app(researcher: str | None = RESEARCHER) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    if researcher:
        at.query_params["researcher"] = researcher
    at.run()
    assert not at.exception
    return at


def _reaffirm_buttons(at: AppTest) -> list[str]:
    return [b.key for b in at.button if (b.key or "").startswith("reaffirm:")]


def test_home_page_asks_who_you_are_first(shared_demo_engine: sa.Engine) -> None:
    at = _app(None)
    assert any("Pick who you are" in i.value for i in at.info)


def test_home_page_lists_estimates_due_for_review_with_reaffirm_buttons(
    shared_demo_engine: sa.Engine,
) -> None:
    at = _app()
    assert [h.value for h in at.subheader][:2] == ["Due for review", "Your standing estimates"]
    assert _reaffirm_buttons(at)


def test_reaffirm_records_the_same_estimate_as_of_today_with_the_note(demo_engine: sa.Engine) -> None:
    at = _app()
    key = _reaffirm_buttons(at)[0]
    fid = int(key.split(":")[1])
    before = forecasts_frame(demo_engine)
    old = before.set_index("forecast_id").loc[fid]
    at.text_input(key=f"note:{fid}").set_value("I still think so.").run()
    at.button(key=key).click().run()
    assert not at.exception
    after = forecasts_frame(demo_engine)
    new = after[~after["forecast_id"].isin(before["forecast_id"])]
    assert len(new) == 1
    row = new.iloc[0]
    assert (row["researcher"], row["question_id"], row["probability"]) == (
        RESEARCHER,
        old["question_id"],
        old["probability"],
    )
    assert row["level"] == old["level"] or (pd.isna(row["level"]) and pd.isna(old["level"]))
    assert row["rationale"] == "Reaffirmed: I still think so."
    assert row["as_of"].date() == pd.Timestamp.now(tz="UTC").date()
    assert not row["reconstructed"]
    assert any("no change" in s.value for s in at.success)
    # Reaffirmed today: no longer due.
    assert key not in _reaffirm_buttons(at)


def _due_titles(at: AppTest) -> list[str]:
    """The question (and level) of every estimate in the Due for review list."""
    titles = [t.value for t in at.text]
    for frame in at.dataframe:
        if "days_since" in frame.value.columns:
            titles += list(frame.value["question"])
    return titles


def test_a_questions_own_review_interval_decides_what_is_due_on_home(demo_engine: sa.Engine) -> None:
    from models import actions
    from models.forms import review_every_edit
    from models.store.reads import questions_frame

    at = _app()
    first = _due_titles(at)[0].split(" · ")[0]
    assert any(c.value.endswith("review every 90 days") for c in at.caption)
    qid = int(questions_frame(demo_engine).set_index("question").loc[first, "question_id"])
    actions.edit_question(demo_engine, qid, review_every_edit("3650"))
    at = _app()
    assert all(t.split(" · ")[0] != first for t in _due_titles(at))
    # A one-day interval puts the question's estimates back, saying so.
    actions.edit_question(demo_engine, qid, review_every_edit("1"))
    at = _app()
    assert any(t.split(" · ")[0] == first for t in _due_titles(at))
    assert any(c.value.endswith("review every 1 day") for c in at.caption)
