"""Edit forms: starting values, the edit that typed values amount to, and problems by field."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from pydantic import ValidationError

from models import forms
from models.errors import InputError, NotFound, Problem
from models.schemas import ForecastEdit, QuestionEdit

ROW = {
    "probability": 0.04,
    "as_of": pd.Timestamp("2024-06-15", tz="UTC"),
    "level": "3x",
    "rationale": "priors",
    "reconstructed": False,
    "evidence_refs": "Eval [raised]",
}


def test_forecast_form_holds_what_the_log_forms_inputs_hold():
    assert forms.forecast_form(ROW) == {
        "probability": 4.0,
        "as_of": date(2024, 6, 15),
        "capability": "3x",
        "rationale": "priors",
        "reconstructed": False,
        "evidence": (("Eval", "raised"),),
    }


def test_forecast_edit_of_an_untouched_form_is_none():
    initial = forms.forecast_form(ROW)
    assert forms.forecast_edit(initial, dict(initial)) is None


def test_forecast_edit_holds_only_the_changed_fields():
    initial = forms.forecast_form(ROW)
    edit = forms.forecast_edit(initial, {**initial, "probability": 5.0, "capability": ""})
    assert edit == ForecastEdit(probability=0.05, clear_capability=True)


def test_forecast_edit_of_evidence_and_day():
    initial = forms.forecast_form(ROW)
    edit = forms.forecast_edit(
        initial, {**initial, "as_of": date(2024, 7, 1), "evidence": (("Eval", "no change"), ("New", None))}
    )
    assert edit is not None
    assert edit.as_of == datetime(2024, 7, 1, tzinfo=UTC)
    assert [(r.title, r.direction) for r in edit.evidence or []] == [("Eval", "no_change"), ("New", None)]


def test_forecast_edit_refuses_a_future_date():
    initial = forms.forecast_form(ROW)
    with pytest.raises(ValidationError) as err:
        forms.forecast_edit(initial, {**initial, "as_of": date(2199, 1, 1)})
    assert forms.form_problems(err.value) == {"as_of": "2199-01-01 is in the future"}


QROW = {
    "question": "Q",
    "criteria": "c",
    "tags": ("a", "b"),
    "resolve_by": pd.Timestamp("2026-01-01", tz="UTC"),
}


def test_question_edit_ignores_respaced_tags_and_clears_an_emptied_date():
    initial = forms.question_form(QROW)
    assert initial == {
        "title": "Q",
        "criteria": "c",
        "tags": "a; b",
        "resolve_by": "2026-01-01",
        "review_every_days": "",
    }
    assert forms.question_edit(initial, {**initial, "tags": "b;a"}) is None
    edit = forms.question_edit(initial, {**initial, "resolve_by": " ", "title": "Q2"})
    assert edit == QuestionEdit(title="Q2", clear_resolve_by=True)


def test_form_problems_of_input_errors_and_other_errors():
    assert forms.form_problems(InputError([Problem("'x' is already used", "handle")])) == {
        "handle": "'x' is already used"
    }
    assert forms.form_problems(NotFound("forecast 9 does not exist")) == {"": "forecast 9 does not exist"}


# --- a double click on Save (the registry the Log forecast page keeps) --------------------------


def test_a_second_save_of_the_same_estimate_soon_after_is_a_double_click() -> None:
    from models.forms import DOUBLE_CLICK_SECONDS, SavedForms

    saved = SavedForms(compared=("probability",))
    with saved.turn("tab-1", now=100.0):
        saved.remember("tab-1", {"probability": 7.5, "rationale": "first"}, "Saved.", now=100.0)
    assert saved.repeats_last("tab-1", {"probability": 7.5, "rationale": ""}, now=101.0)
    assert not saved.repeats_last("tab-1", {"probability": 8.0, "rationale": ""}, now=101.0)
    assert not saved.repeats_last("tab-1", {"probability": 7.5}, now=100.0 + DOUBLE_CLICK_SECONDS)
    assert not saved.repeats_last("tab-2", {"probability": 7.5}, now=101.0)  # another browser tab


def test_a_session_s_saves_take_turns_and_others_never_wait() -> None:
    import threading

    from models.forms import SavedForms

    saved = SavedForms(compared=("probability",))
    entered = threading.Event()
    release = threading.Event()

    def first() -> None:
        with saved.turn("tab-1", now=0.0):
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=first)
    worker.start()
    assert entered.wait(5)
    with saved.turn("tab-2", now=0.0):  # another session: no waiting
        pass
    second = saved.turns["tab-1"].lock
    assert not second.acquire(timeout=0.05)  # the same session waits for its first save
    release.set()
    worker.join(5)
    with saved.turn("tab-1", now=1.0):
        pass


def test_old_sessions_are_forgotten_unless_a_save_is_under_way() -> None:
    from models.forms import FORGET_AFTER_SECONDS, SavedForms

    saved = SavedForms(compared=("probability",))
    for token in ("old", "busy"):
        with saved.turn(token, now=0.0):
            saved.remember(token, {"probability": 1.0}, "Saved.", now=0.0)
    later = FORGET_AFTER_SECONDS + 1
    with saved.turn("busy", now=later):  # "busy" is saving again while another session arrives
        with saved.turn("new", now=later):
            pass
        assert "old" not in saved.turns and "old" not in saved.by_session
        assert "busy" in saved.turns
    assert set(saved.turns) == {"busy", "new"}
