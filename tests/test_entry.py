"""models.entry: the helpers behind the Log forecast page (form values → input → stored forecast)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models import actions, forms
from models.batch import ImportBatch
from models.errors import InputError
from models.format import describe_change
from models.schemas import QuestionIn, ResearcherIn
from models.store import reads as queries
from models.store.bulk import apply_batch

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("prev", "new", "text"),
    [
        (0.12, 0.07, "12% \u2192 7%, \u22125 points, \u22120.6 in log-odds"),
        (0.07, 0.12, "7% \u2192 12%, +5 points, +0.6 in log-odds"),
        (0.5, 0.9, "50% \u2192 90%, +40 points, +2.2 in log-odds"),
        (0.30, 0.325, "30% \u2192 32.5%, +2.5 points, +0.1 in log-odds"),
        (0.001, 0.0015, "0.1% \u2192 0.15%, +0.05 points, +0.4 in log-odds"),
        (0.12, 0.12, "12% \u2192 12%, no change"),
    ],
)
def test_describe_change_in_points_and_log_odds(prev: float, new: float, text: str) -> None:
    assert describe_change(prev, new) == text


def test_describe_change_clips_certainty_to_finite_log_odds() -> None:
    # logit(0.999) - logit(0.5) = ln(999) = 6.9; without clipping it would be infinite.
    assert describe_change(0.5, 1.0) == "50% \u2192 100%, +50 points, +6.9 in log-odds"


@pytest.mark.parametrize(
    ("as_of", "suggest"),
    [
        (TODAY, False),
        (TODAY - timedelta(days=30), False),
        (TODAY - timedelta(days=31), True),
        (datetime(2024, 1, 1, tzinfo=UTC), True),
    ],
)
def test_reconstructed_is_suggested_for_dates_over_30_days_old(as_of: date, suggest: bool) -> None:
    assert forms.suggest_reconstructed(as_of, TODAY) is suggest


def test_progress_step_gives_fraction_and_text() -> None:
    assert forms.progress_step("writing forecasts", 5000, 10000) == (
        0.5,
        "writing forecasts: 5,000 of 10,000",
    )
    assert forms.progress_step("checking rows", 3, 0) == (0.0, "checking rows: 3 of 0")


def _form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "researcher": "ada",
        "question": "Will it rain?",
        "percent": 12.3,
        "as_of": date(2025, 6, 1),
        "today": TODAY,
    }
    values.update(overrides)
    return values


def test_percent_becomes_an_exact_probability() -> None:
    data = forms.forecast_input(**_form())  # type: ignore[arg-type]
    assert data.probability == 0.123
    assert data.as_of == datetime(2025, 6, 1, tzinfo=UTC)


def test_today_means_now() -> None:
    data = forms.forecast_input(**_form(as_of=date.today(), today=date.today()))  # type: ignore[arg-type]
    assert abs((datetime.now(UTC) - data.as_of).total_seconds()) < 60


def test_odds_replace_the_percentage() -> None:
    data = forms.forecast_input(**_form(percent=None, odds="1:20"))  # type: ignore[arg-type]
    assert data.probability == pytest.approx(1 / 21)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"percent": 140.0}, "probability", "140% is above 100%"),
        ({"percent": None}, "probability", "is required"),
        ({"question": None}, "question", "must not be empty"),
        ({"researcher": ""}, "researcher", "must not be empty"),
        ({"as_of": date(2199, 1, 1), "today": date.today()}, "as_of", "2199-01-01 is in the future"),
        (
            {"percent": None, "odds": "lots"},
            "odds",
            "'lots' is not odds: write them as for:against, like 1:20",
        ),
        (
            {"evidence": [("Paper", "upward")]},
            "evidence",
            "'upward' is not a direction: use one of raised, lowered, no change",
        ),
    ],
)
def test_bad_form_values_are_named_by_field(overrides: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        forms.forecast_input(**_form(**overrides))  # type: ignore[arg-type]
    assert info.value.fields[field] == message


def test_question_tags_may_be_separated_by_commas() -> None:
    assert forms.question_input("Q?", tags="b, a; c").tags == ("a", "b", "c")


def test_empty_question_title_is_refused() -> None:
    with pytest.raises(InputError) as info:
        forms.question_input("  ")
    assert info.value.fields == {"title": "must not be empty"}


def _seed(engine) -> None:  # type: ignore[no-untyped-def]
    apply_batch(engine, ImportBatch(researchers=[ResearcherIn(handle="ada")]))
    actions.add_question(engine, QuestionIn(title="Will it rain?"))


def test_first_forecast_says_so(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    saved = actions.save_forecast(sqlite_engine, forms.forecast_input(**_form(percent=12.0)))  # type: ignore[arg-type]
    assert saved.previous is None
    assert saved.message() == (
        "Saved ada's forecast on \u201cWill it rain?\u201d (unconditional): 12%. "
        "This is ada's first forecast on this question at this level."
    )


def test_second_forecast_reports_the_change(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    actions.save_forecast(sqlite_engine, forms.forecast_input(**_form(percent=12.0)))  # type: ignore[arg-type]
    saved = actions.save_forecast(
        sqlite_engine,
        forms.forecast_input(**_form(percent=7.0, as_of=date(2025, 6, 10))),  # type: ignore[arg-type]
    )
    assert saved.previous == 0.12
    assert saved.message() == (
        "Saved ada's forecast on \u201cWill it rain?\u201d (unconditional): "
        "12% \u2192 7%, \u22125 points, \u22120.6 in log-odds (previous estimate as of 2025-06-01)."
    )


def test_refused_forecast_writes_nothing(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    with pytest.raises(InputError, match="question 'Nope' does not exist"):
        actions.save_forecast(sqlite_engine, forms.forecast_input(**_form(question="Nope")))  # type: ignore[arg-type]
    assert queries.forecasts_frame(sqlite_engine).empty


def test_duplicate_question_is_refused(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    with pytest.raises(InputError) as info:
        actions.add_question(sqlite_engine, QuestionIn(title="Will it rain?"))
    assert info.value.fields == {"title": "'Will it rain?' is already a question"}


def test_new_evidence_keeps_its_url_and_is_created_once(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    item = forms.evidence_input("Eval report", "https://example.org/report")
    assert actions.add_evidence(sqlite_engine, item) is True
    assert actions.add_evidence(sqlite_engine, item) is False
    ev = queries.evidence_frame(sqlite_engine)
    assert ev[["evidence", "url"]].values.tolist() == [["Eval report", "https://example.org/report"]]


def test_evidence_directions_are_stored(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    _seed(sqlite_engine)
    actions.add_evidence(sqlite_engine, forms.evidence_input("Eval report"))
    form = _form(evidence=[("Eval report", "no change")])
    saved = actions.save_forecast(sqlite_engine, forms.forecast_input(**form))  # type: ignore[arg-type]
    links = queries.evidence_links_frame(sqlite_engine)
    assert links[["forecast_id", "evidence", "direction"]].values.tolist() == [
        [saved.forecast_id, "Eval report", "no_change"]
    ]
