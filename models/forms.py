"""Edit forms: the values a form starts with, and the edit its typed values amount to.

A page shows :func:`forecast_form` or :func:`question_form`, then turns what the person
typed into a validated :class:`~models.schemas.ForecastEdit` or
:class:`~models.schemas.QuestionEdit` with :func:`forecast_edit` / :func:`question_edit`
(None when nothing changed).  :func:`form_problems` maps an error to the fields it names,
so a page can show each message next to its input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import ValidationError

from models.errors import CredenceError, InputError
from models.schemas import ForecastEdit, QuestionEdit, format_percent, format_time, messages


def forecast_form(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values an edit form starts with for a forecast (a :func:`question_history` row):
    probability as a percentage, ``as_of`` as ISO 8601 text, evidence as ``"Title [direction]"``."""
    return {
        "probability": format_percent(float(row["probability"])),
        "as_of": format_time(row["as_of"]),
        "capability": row["level"] or "",
        "rationale": row["rationale"] or "",
        "reconstructed": bool(row["reconstructed"]),
        "evidence": row["evidence_refs"] or "",
    }


def _changed(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in typed.items() if k in initial and v != initial[k]}


def forecast_edit(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> ForecastEdit | None:
    """A :class:`ForecastEdit` of the fields whose typed value differs from the form's start
    (:func:`forecast_form`), or None when nothing changed.  Clearing the capability makes the
    forecast unconditional.  Raises :class:`pydantic.ValidationError` on bad values."""
    changes = _changed(initial, typed)
    if not changes:
        return None
    if "capability" in changes and not str(changes["capability"]).strip():
        changes.pop("capability")
        changes["clear_capability"] = True
    return ForecastEdit.model_validate(changes)


def question_form(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values a question's edit form starts with (a ``frames.questions`` row)."""
    resolve_by = row["resolve_by"]
    return {
        "title": row["question"],
        "criteria": row["criteria"] or "",
        "tags": "; ".join(row["tags"] or ()),
        "resolve_by": "" if pd.isna(resolve_by) else format_time(resolve_by),
    }


def question_edit(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> QuestionEdit | None:
    """A :class:`QuestionEdit` of the changed fields (see :func:`forecast_edit`); an emptied
    resolve-by date clears it.  Tags are compared as sets, so re-spacing them changes nothing."""
    changes = _changed(initial, typed)
    if "tags" in changes and set(QuestionEdit(tags=changes["tags"]).tags or ()) == set(
        QuestionEdit(tags=initial["tags"]).tags or ()
    ):
        changes.pop("tags")
    if not changes:
        return None
    if "resolve_by" in changes and not str(changes["resolve_by"]).strip():
        changes.pop("resolve_by")
        changes["clear_resolve_by"] = True
    return QuestionEdit.model_validate(changes)


def form_problems(error: ValidationError | CredenceError) -> dict[str, str]:
    """``{field: message}`` for showing an error next to its input; ``""`` holds the rest.

    Messages read as a sentence after the field name (``"140% is above 100%"``).
    """
    if isinstance(error, ValidationError):
        out: dict[str, str] = {}
        for field, msg in messages(error):
            out.setdefault(field, msg)
        return out
    if isinstance(error, InputError):
        return error.fields
    return {"": str(error)}
