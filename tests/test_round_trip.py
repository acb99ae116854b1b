"""Class 3: every value the app accepts survives export → import into an empty database → export.

A value that cannot survive is refused at entry with a clear limit instead (a ``;`` in an
evidence title, a rationale over the long-text limit).
"""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import actions
from models.errors import InputError
from models.files import interchange
from models.limits import LONG_TEXT_MAX
from models.schemas import EvidenceIn, EvidenceRef, ForecastIn
from models.store.tables import ALL_TABLES
from tests.factories import forecasts_csv

TRICKY = ["x;y", "Paper [lowered]", "Paper [2024]", "[raised]", "'=1+1", "=cmd", "-5", "+x", "@me", "'", "a\r\nb",
          "tab\there", '"quoted"', "back\\slash", "trailing ]", "[", "]", "Paper [lowered] [raised]", "émoji 🙂", "a,b"]  # fmt: skip
text = st.one_of(st.text(max_size=30), st.sampled_from(TRICKY))
direction = st.sampled_from([None, "raised", "lowered", "no change"])


def _clear(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for model in reversed(ALL_TABLES):
            conn.execute(sa.delete(model.__table__))  # type: ignore[attr-defined]


def _file(rows: list[ForecastIn]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["researcher", "question", "probability", "as_of", "capability", "rationale", "evidence"])
    for f in rows:
        refs = interchange.format_evidence_refs([(e.title, e.direction) for e in f.evidence])
        writer.writerow([interchange.escape(f.researcher), interchange.escape(f.question), repr(f.probability),
                         interchange.format_time(f.as_of), interchange.escape(f.capability or ""),
                         interchange.escape(f.rationale), interchange.escape(refs)])  # fmt: skip
    return buf.getvalue().encode("utf-8")


@st.composite
def forecasts(draw: st.DrawFn) -> ForecastIn:
    refs = draw(st.lists(st.tuples(text, direction), max_size=3, unique_by=lambda r: r[0].strip()))
    try:
        return ForecastIn.model_validate(
            {
                # Researchers exist only with a valid handle (the form and every import refuse others).
                "researcher": draw(st.from_regex(r"[a-z0-9_-]{1,30}", fullmatch=True)),
                "question": draw(text),
                "probability": draw(st.floats(min_value=0, max_value=1)),
                "as_of": draw(
                    st.datetimes(
                        min_value=__import__("datetime").datetime(1900, 1, 1),
                        max_value=__import__("datetime").datetime(2025, 1, 1),
                    )
                ),  # fmt: skip
                "capability": draw(st.one_of(st.none(), text)),
                "rationale": draw(text),
                "evidence": [{"title": t, "direction": d} for t, d in refs],
            }
        )
    except ValidationError:
        assume(False)
        raise


@pytest.mark.slow  # a property test of a minute or more: make test runs it, make test-fast does not
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.too_slow,
    ],
)
@given(rows=st.lists(forecasts(), min_size=1, max_size=4))
def test_every_accepted_value_survives_export_import_export(engine, rows):
    _clear(engine)
    actions.import_file(engine, _file(rows), "forecasts")
    first = actions.forecasts_csv(engine)
    back = interchange.parse(first.encode("utf-8"), "forecasts").forecasts
    expected = sorted((f.researcher, f.question, f.probability, f.as_of, f.capability or "", f.rationale,
                       tuple(sorted({(e.title, e.direction or "") for e in f.evidence}))) for f in rows)  # fmt: skip
    got = sorted((f.researcher, f.question, f.probability, f.as_of, f.capability or "", f.rationale,
                  tuple(sorted((e.title, e.direction or "") for e in f.evidence))) for f in back)  # fmt: skip
    assert sorted(set(expected)) == sorted(set(got))
    _clear(engine)
    actions.import_file(engine, first.encode("utf-8"), "forecasts")
    assert actions.forecasts_csv(engine) == first


@pytest.mark.parametrize(
    "title", ["Paper [lowered]", "Results [2024]", "Paper [raised] [lowered]", "[no change]"]
)
def test_evidence_titles_ending_in_brackets_round_trip(engine, title):
    row = ForecastIn(researcher="teal_heron", question="Q", probability=0.2, as_of="2024-01-01",
                     evidence=[EvidenceRef(title=title)])  # fmt: skip
    actions.import_file(engine, _file([row]), "forecasts")
    first = actions.forecasts_csv(engine)
    (back,) = interchange.parse(first.encode(), "forecasts").forecasts
    assert [(e.title, e.direction) for e in back.evidence] == [(title, None)]
    _clear(engine)
    actions.import_file(engine, first.encode(), "forecasts")
    assert actions.forecasts_csv(engine) == first


@pytest.mark.parametrize("title", ["a;b", "Paper; part 2"])
def test_an_evidence_title_with_a_semicolon_is_refused_at_entry(title):
    with pytest.raises(ValidationError, match="must not contain ';'"):
        EvidenceIn(title=title)
    with pytest.raises(ValidationError, match="must not contain ';'"):
        EvidenceRef(title=title)


def test_a_rationale_at_the_limit_round_trips_and_one_over_is_refused(engine):
    long = "why " * (LONG_TEXT_MAX // 4)
    assert len(long.strip()) <= LONG_TEXT_MAX
    actions.import_file(engine, forecasts_csv(f"teal_heron,Q,0.2,2024-01-01,,{long.strip()}"), "forecasts")
    first = actions.forecasts_csv(engine)
    _clear(engine)
    actions.import_file(engine, first.encode(), "forecasts")
    assert actions.forecasts_csv(engine) == first
    with pytest.raises(
        InputError, match="line 2: rationale is too long: 100,001 characters, at most 100,000"
    ):
        actions.import_file(
            engine, forecasts_csv("teal_heron,Q,0.2,2024-01-01,," + "x" * (LONG_TEXT_MAX + 1)), "forecasts"
        )


def _questions_csv(engine: sa.Engine) -> str:
    out = io.StringIO()
    actions.export_questions(engine, out)
    return out.getvalue()


def test_questions_with_their_review_interval_round_trip(engine):
    source = (
        "question,criteria,tags,resolve_by,review_every_days\n"
        "Monthly,Resolves yes if so,evals;compute,2026-06-30,30\n"
        "Default interval,,,,\n"
        '\'=formula,"a,b",x,,3650\n'
    )
    actions.import_file(engine, source.encode(), "questions")
    first = _questions_csv(engine)
    assert first.splitlines()[1:] == [
        "Monthly,Resolves yes if so,compute;evals,2026-06-30,30",
        "Default interval,,,,",
        '\'=formula,"a,b",x,,3650',
    ]
    _clear(engine)
    actions.import_file(engine, first.encode(), "questions")
    assert _questions_csv(engine) == first
    # Importing it again finds every question present, the interval included.
    assert actions.import_file(engine, first.encode(), "questions").lines() == [
        "already present: 3 questions"
    ]


def test_importing_a_changed_review_interval_updates_the_question(engine):
    actions.import_file(engine, b"question,review_every_days\nQ,30\n", "questions")
    summary = actions.import_file(engine, b"question,review_every_days\nQ,14\n", "questions")
    assert summary.lines() == ["updated: 1 question"]
    assert _questions_csv(engine).splitlines()[1] == "Q,,,,14"


def test_a_review_interval_in_a_file_that_is_not_whole_days_is_refused_by_line(engine):
    with pytest.raises(InputError) as err:
        actions.import_file(engine, b"question,review_every_days\nQ,0\nR,weekly\n", "questions")
    assert [str(p) for p in err.value.problems] == [
        "line 2: review every 0 is not a number of days: use a whole number of days from 1 to 3650, "
        "or leave it empty for the default",
        "line 3: review every 'weekly' is not a number of days: use a whole number of days from 1 to 3650, "
        "or leave it empty for the default",
    ]
