"""Values of the wrong type from code (not only from a form or a file) are refused in words.

The examples the fuzz test (tests/test_fuzz_inputs.py, marked slow) found: tags and evidence
that are neither text nor a list raised Python's ``TypeError``; a partition row without a
researcher raised one from pydantic's length constraint.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from models.errors import Problem
from models.schemas import ForecastEdit, ForecastIn, PartitionMemberIn, QuestionEdit, QuestionIn

FORECAST = {"researcher": "r", "question": "q", "probability": 0.5, "as_of": "2024-01-01"}


def _messages(err: ValidationError) -> list[str]:
    return [str(p) for p in Problem.from_validation_error(err)]


@pytest.mark.parametrize("tags", [True, 5, 1.5, {"a": 1}, [1, 2], ["a", ["b"]], b"a;b"])
def test_tags_of_the_wrong_type_are_refused_in_words(tags: Any) -> None:
    for schema, base in ((QuestionIn, {"title": "Q"}), (QuestionEdit, {})):
        with pytest.raises(ValidationError) as err:
            schema.model_validate({**base, "tags": tags})
        assert _messages(err.value) == ["tags must be text: tags separated by ;"]


@pytest.mark.parametrize("tags", ["a; b", ["a", "b"], ("b", "a"), {"a", "b"}, None, ["a", None]])
def test_tags_as_text_or_a_list_of_texts_are_read(tags: Any) -> None:
    assert set(QuestionIn(title="Q", tags=tags).tags) <= {"a", "b"}


@pytest.mark.parametrize("evidence", [True, 5, 2.5, {"title": "x"}, b"x"])
def test_evidence_of_the_wrong_type_is_refused_in_words(evidence: Any) -> None:
    for schema, base in ((ForecastIn, FORECAST), (ForecastEdit, {})):
        with pytest.raises(ValidationError) as err:
            schema.model_validate({**base, "evidence": evidence})
        assert _messages(err.value) == ["evidence must be evidence titles separated by ;"]


def test_a_partition_row_without_a_researcher_is_read() -> None:
    assert PartitionMemberIn(partition="P", question="Q", researcher=None).researcher is None
    with pytest.raises(ValidationError) as err:
        PartitionMemberIn(partition="P", question="Q", researcher="x" * 81)
    assert [m.split(":")[0] for m in _messages(err.value)] == ["researcher is too long"]
