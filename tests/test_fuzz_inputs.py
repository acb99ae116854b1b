"""Random input at every boundary: accepted, or refused with a message in words; never a traceback.

Hypothesis throws text (NUL, surrogates, formula starts, Markdown), numbers (huge, inf, nan),
None, lists, dicts, dates and times (``0001-01-01T00:00:00+01:00``, ``9999-12-31``, offsets
that push a time past Python's range) at

* every input schema in :mod:`models.schemas`: each value is accepted, or refused with a
  pydantic ``ValidationError`` that :meth:`Problem.from_validation_error` turns into our
  words (nothing else may escape: no ``TypeError``, no ``OverflowError``);
* the form constructors of :mod:`models.forms` (what a page or command typed), with values of
  the types their inputs give: accepted, or an :class:`InputError`;
* the CSV readers of :mod:`models.files` (every interchange kind and Fatebook): a batch, or an
  :class:`InputError` whose problems read as sentences;
* imports on both backends: a refused file leaves the database exactly as it was.
"""

from __future__ import annotations

import inspect
import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from models import actions, forms, schemas
from models.errors import CredenceError, InputError, Problem
from models.files import fatebook, interchange
from models.store.db import data_version
from models.store.reads import forecasts_frame, questions_frame, researchers_frame

pytestmark = pytest.mark.slow

#: pydantic's own wording, which must never reach a person.
PYDANTIC_WORDS = (
    "Input should be",
    "pydantic",
    "validation error",
    "Value error,",
    "Assertion failed",
    "[type=",
)

EDGE_TEXT = [
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31",
    "0001-01-01",
    "1600-01-01",
    "2999-01-01",
    "2024-02-30",
    "1e309",
    "-0",
    "nan",
    "inf",
    "140%",
    "1:0",
    '=HYPERLINK("x")',
    "![x](http://127.0.0.1:9/x.png)",
    "javascript:alert(1)",
    "a\x00b",
    "\ud800",
    "x" * 300,
    "99999999999999999999",
    "true",
    "yes",
    "Paper [lowered]; Other []",
    ";",
    " ",
    "",
]
texts = st.one_of(st.text(max_size=40), st.sampled_from(EDGE_TEXT))
offsets = st.integers(min_value=-23 * 60, max_value=23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
edge_times = st.sampled_from(
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-1))),
        datetime(1, 1, 1),
        datetime(9999, 12, 31),
        datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2200, 12, 31, 23, 59, tzinfo=UTC),
    ]
)
times = st.one_of(st.datetimes(timezones=st.one_of(st.none(), offsets)), edge_times)
scalars = st.one_of(
    st.none(),
    texts,
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.sampled_from([date(1, 1, 1), date(9999, 12, 31)]),
    times,
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(texts, inner, max_size=3)),
    max_leaves=6,
)

SCHEMAS = sorted(
    (
        cls
        for cls in vars(schemas).values()
        if isinstance(cls, type) and issubclass(cls, schemas.Input) and cls is not schemas.Input
    ),
    key=lambda cls: cls.__name__,
)


def assert_in_words(problems: list[Problem] | list[str]) -> None:
    assert problems, "a refusal must say why"
    for problem in problems:
        text = str(problem)
        assert text.strip(), problems
        assert not any(word in text for word in PYDANTIC_WORDS), text


def test_every_schema_is_fuzzed() -> None:
    names = {cls.__name__ for cls in SCHEMAS}
    assert {"ForecastIn", "QuestionIn", "ResolutionIn", "EvidenceIn", "LevelIn", "RatioIn"} <= names


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda cls: cls.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_schema_accepts_or_refuses_in_words(schema: type[BaseModel], data: st.DataObject) -> None:
    fields = list(schema.model_fields)
    chosen = data.draw(
        st.lists(st.sampled_from(fields), unique=True, max_size=len(fields)) if fields else st.just([])
    )
    values = {name: data.draw(anything, label=name) for name in chosen}
    if data.draw(st.booleans(), label="an unknown field too"):
        values["not_a_field"] = data.draw(anything)
    try:
        schema.model_validate(values)
    except ValidationError as err:
        assert_in_words(Problem.from_validation_error(err))


@pytest.mark.parametrize("field", ["tags"])
@given(value=anything)
@settings(max_examples=200, deadline=None)
def test_tags_of_any_type_from_code(field: str, value: Any) -> None:
    try:
        schemas.QuestionIn.model_validate({"title": "Q", field: value})
        schemas.QuestionEdit.model_validate({field: value})
    except ValidationError as err:
        assert_in_words(Problem.from_validation_error(err))


@given(value=anything)
@settings(max_examples=200, deadline=None)
def test_evidence_of_any_type_from_code(value: Any) -> None:
    for schema, base in (
        (schemas.ForecastIn, {"researcher": "r", "question": "q", "probability": 0.5, "as_of": "2024-01-01"}),
        (schemas.ForecastEdit, {}),
    ):
        try:
            schema.model_validate({**base, "evidence": value})
        except ValidationError as err:
            assert_in_words(Problem.from_validation_error(err))


# --- form constructors: the values their inputs give ----------------------------------------------

optional_text = st.one_of(st.none(), texts)
picked_day = st.one_of(st.none(), st.dates(), st.sampled_from([date(1, 1, 1), date(9999, 12, 31)]))
FORM_VALUES: dict[str, Any] = {
    "researcher": optional_text,
    "question": optional_text,
    "capability": optional_text,
    "evidence_title": optional_text,
    "percent": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    "odds": optional_text,
    "as_of": picked_day,
    "today": st.dates(),
    "reconstructed": st.booleans(),
    "rationale": texts,
    "given": optional_text,
    "given_outcome": optional_text,
    "ratio": optional_text,
    "title": texts,
    "criteria": texts,
    "tags": texts,
    "resolve_by": picked_day,
    "review_every_days": st.one_of(st.none(), st.integers(), texts),
    "url": texts,
    "outcome": texts,
    "when": optional_text,
    "note": texts,
    "probability": texts,
}


def _form_kwargs(fn: Any, data: st.DataObject) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for name in inspect.signature(fn).parameters:
        if name == "evidence":
            if fn is forms.forecast_from_text:
                kwargs[name] = data.draw(st.one_of(st.none(), st.lists(texts, max_size=3)))
            elif fn is forms.ratio_input:
                kwargs[name] = data.draw(optional_text)
            else:
                kwargs[name] = data.draw(st.lists(st.tuples(texts, st.one_of(st.none(), texts)), max_size=3))
        elif fn is forms.forecast_from_text and name == "as_of":
            kwargs[name] = data.draw(optional_text)
        else:
            kwargs[name] = data.draw(FORM_VALUES[name], label=name)
    return kwargs


FORMS = [
    forms.forecast_input,
    forms.forecast_from_text,
    forms.resolution_from_text,
    forms.question_input,
    forms.evidence_input,
    forms.ratio_input,
]


@pytest.mark.parametrize("fn", FORMS, ids=lambda fn: fn.__name__)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_form_accepts_or_refuses_in_words(fn: Any, data: st.DataObject) -> None:
    try:
        fn(**_form_kwargs(fn, data))
    except InputError as err:
        assert_in_words(err.problems)


#: What each edit form's widgets hold (a number input, a date picker, text, a checkbox, the
#: evidence picker's (title, direction) pairs).
FORECAST_WIDGETS = st.fixed_dictionaries(
    {},
    optional={
        "probability": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        "as_of": picked_day,
        "capability": texts,
        "rationale": texts,
        "reconstructed": st.booleans(),
        "evidence": st.lists(st.tuples(texts, st.one_of(st.none(), texts)), max_size=3).map(tuple),
    },
)
QUESTION_WIDGETS = st.fixed_dictionaries(
    {}, optional={"title": texts, "criteria": texts, "tags": texts, "resolve_by": texts}
)


@settings(max_examples=150, deadline=None)
@given(
    forecast=st.tuples(FORECAST_WIDGETS, FORECAST_WIDGETS),
    question=st.tuples(QUESTION_WIDGETS, QUESTION_WIDGETS),
)
def test_edit_forms_accept_or_refuse_in_words(
    forecast: tuple[dict[str, Any], dict[str, Any]], question: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    for fn, (initial, typed) in ((forms.forecast_edit, forecast), (forms.question_edit, question)):
        try:
            fn(initial, typed)
        except (InputError, ValidationError) as err:
            problems = err.problems if isinstance(err, InputError) else Problem.from_validation_error(err)
            assert_in_words(problems)


# --- CSV readers ---------------------------------------------------------------------------------------

cells = st.one_of(texts, st.sampled_from(["0.5", "37%", "2024-01-01", "yes", "no", "raised", "true"]))


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n\r') else value


@st.composite
def csv_files(draw: st.DrawFn, columns: list[str]) -> bytes:
    header = draw(st.lists(st.sampled_from([*columns, "extra", ""]), min_size=1, max_size=len(columns) + 2))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=len(header) + 1), max_size=4))
    lines = [",".join(_csv_cell(c) for c in header)] + [",".join(_csv_cell(c) for c in row) for row in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return (
        text.encode(encoding, errors="surrogatepass")
        if encoding != "latin-1"
        else text.encode("latin-1", "replace")
    )


FATEBOOK_COLUMNS = ["Question title", "Forecast", "Forecast created by", "Forecast created at", "Outcome",
                    "Resolved at", "questionTitle", "forecast", "forecastCreatedAt", "notes"]  # fmt: skip


@pytest.mark.parametrize("kind", [*interchange.SPECS, "fatebook"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_csv_reader_accepts_or_refuses_in_words(kind: str, data: st.DataObject) -> None:
    columns = FATEBOOK_COLUMNS if kind == "fatebook" else list(interchange.SPECS[kind].columns)
    raw = data.draw(st.one_of(csv_files(columns), st.binary(max_size=200)))
    try:
        if kind == "fatebook":
            fatebook.parse_fatebook(raw, data.draw(st.one_of(st.none(), texts)))
        else:
            interchange.parse(raw, kind)
            interchange.parse_rows(raw, kind)
    except InputError as err:
        assert_in_words(err.problems)


# --- storage: a refused file or forecast writes nothing (both backends) ---------------------------------


def _counts(engine: sa.Engine) -> tuple[int, int, int, int]:
    return (
        data_version(engine),
        len(forecasts_frame(engine)),
        len(questions_frame(engine)),
        len(researchers_frame(engine)),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_refused_import_writes_nothing(stocked: sa.Engine, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(list(interchange.SPECS)))
    raw = data.draw(csv_files(list(interchange.SPECS[kind].columns)))
    before = _counts(stocked)
    try:
        actions.import_file(stocked, raw, kind, by="fuzz")
    except CredenceError as err:
        assert_in_words(err.problems if isinstance(err, InputError) else [str(err)])
        assert _counts(stocked) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_refused_forecast_writes_nothing(stocked: sa.Engine, data: st.DataObject) -> None:
    known = forecasts_frame(stocked)
    names = st.one_of(st.sampled_from(sorted(set(known["researcher"]))), texts)
    titles = st.one_of(st.sampled_from(sorted(set(known["question"]))), texts)
    values = {
        "researcher": data.draw(names),
        "question": data.draw(titles),
        "probability": data.draw(st.one_of(st.floats(0, 1), texts)),
        "as_of": data.draw(
            st.one_of(st.sampled_from(["2024-01-01", "2023-06-30T12:00:00+05:00"]), texts, times)
        ),
        "capability": data.draw(st.one_of(st.none(), texts)),
        "rationale": data.draw(texts),
        "evidence": data.draw(st.one_of(texts, st.lists(texts, max_size=2))),
        "given": data.draw(st.one_of(st.none(), titles)),
    }
    before = _counts(stocked)
    try:
        forecast = schemas.ForecastIn.model_validate(values)
    except ValidationError as err:
        assert_in_words(Problem.from_validation_error(err))
        return
    try:
        actions.save_forecast(stocked, forecast, by="fuzz")
    except CredenceError as err:
        assert_in_words(err.problems if isinstance(err, InputError) else [str(err)])
        assert _counts(stocked) == before


def test_printable_handles_are_not_a_special_case() -> None:
    # Keeps the alphabet import honest: the fuzzers above use every printable character.
    assert set(string.printable) - set(string.whitespace)
