"""Logging one forecast by hand: turning form values into input, saving it, saying what changed.

The Log forecast page reads its widgets and calls these; nothing here imports streamlit.

Conventions
-----------
* Probabilities are fractions in [0, 1]; the form's percentage becomes one here, divided
  exactly (``"12.3%"`` through :func:`models.schemas.parse_probability`, so 12.3 gives 0.123).
* A date picked in the form means midnight UTC of that day, except the form's *today*,
  which means now: a forecast logged today sorts after the earlier ones of the same day,
  and a server whose local date runs ahead of UTC does not produce a time in the future.
* Changes are reported in percentage points and in natural log-odds ``ln(p / (1 − p))``
  with ``p`` clipped to [0.001, 0.999] (:func:`models.trajectory.logit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from models import store
from models.db import write_session
from models.errors import InputError
from models.importer import ImportBatch, apply_batch
from models.schemas import (
    EvidenceIn,
    ForecastIn,
    QuestionIn,
    ResolutionIn,
    format_percent,
    format_time,
    messages,
    parse_odds,
)
from models.trajectory import logit

#: How old a date must be before the form suggests ticking "Reconstructed estimate".
RECONSTRUCTED_AFTER_DAYS = 30
MINUS = "\u2212"


# --- describing a change ----------------------------------------------------------------------


def _signed(x: float, unit: str) -> str:
    """``-5.0`` → ``"−5 points"``; one decimal from 1 up, two significant digits below."""
    text = f"{abs(x):.1f}".removesuffix(".0") if abs(x) >= 1 else f"{abs(x):.2g}"
    return f"{MINUS if x < 0 else '+'}{text}{unit}"


def describe_change(prev_p: float, new_p: float) -> str:
    """``0.12, 0.07`` → ``"12% → 7%, −5 points, −0.6 in log-odds"``.

    Points are ``100 · (new − prev)``; log-odds change is ``logit(new) − logit(prev)``
    (natural log, probabilities clipped to [0.001, 0.999], one decimal).  An unchanged
    probability reads ``"12% → 12%, no change"``.
    """
    head = f"{format_percent(prev_p)} \u2192 {format_percent(new_p)}"
    points = (new_p - prev_p) * 100
    if abs(points) < 1e-9:
        return f"{head}, no change"
    log_odds = float(logit(new_p) - logit(prev_p))
    lo = f"{abs(log_odds):.1f}" if abs(log_odds) >= 0.05 else f"{abs(log_odds):.2g}"
    return f"{head}, {_signed(points, ' points')}, {MINUS if log_odds < 0 else '+'}{lo} in log-odds"


def suggest_reconstructed(as_of: date | datetime, today: date) -> bool:
    """Whether ``as_of`` lies more than :data:`RECONSTRUCTED_AFTER_DAYS` days before ``today``.

    An estimate dated well in the past is usually written down later from memory, and
    scoring can leave such *reconstructed* estimates out.
    """
    day = as_of.astimezone(UTC).date() if isinstance(as_of, datetime) else as_of
    return (today - day).days > RECONSTRUCTED_AFTER_DAYS


def progress_step(stage: str, done: int, total: int) -> tuple[float, str]:
    """``(fraction in [0, 1], text)`` for a progress bar, e.g. ``(0.5, "checking rows: 5,000 of 10,000")``."""
    fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
    return fraction, f"{stage}: {done:,} of {total:,}"


# --- form values to input ---------------------------------------------------------------------


def _problems(err: ValidationError) -> list[str]:
    return [f"{field} {msg}".strip() for field, msg in messages(err)]


def as_of_time(picked: date | None, today: date, now: datetime | None = None) -> date | datetime | None:
    """The moment a picked date stands for: now if it is the form's ``today``, else the date itself."""
    if picked == today:
        return now or datetime.now(UTC)
    return picked


def forecast_input(
    *,
    researcher: str | None,
    question: str | None,
    capability: str | None = None,
    percent: float | None = None,
    odds: str | None = None,
    as_of: date | None,
    today: date,
    reconstructed: bool = False,
    rationale: str = "",
    evidence: list[tuple[str, str | None]] | None = None,
) -> ForecastIn:
    """A validated :class:`ForecastIn` from the form, or :class:`InputError` naming each bad field.

    ``odds`` (``"1:20"``), when given, is used instead of ``percent``; a problem with it is
    reported on the field ``odds``.  Problems read ``probability 140% is above 100%``.
    """
    problems: list[str] = []
    probability: Any = ""
    if odds is not None:
        try:
            probability = parse_odds(odds)
        except ValueError as err:
            problems.append(f"odds {err}")
    elif percent is not None:
        probability = f"{percent!r}%"
    values = {
        "researcher": researcher or "",
        "question": question or "",
        "capability": capability,
        "probability": probability,
        "as_of": as_of_time(as_of, today) if as_of is not None else "",
        "reconstructed": reconstructed,
        "rationale": rationale,
        "evidence": [{"title": t, "direction": d} for t, d in evidence or []],
    }
    try:
        data = ForecastIn.model_validate(values)
    except ValidationError as err:
        found = _problems(err)
        if odds is not None:
            found = [p for p in found if not p.startswith("probability ")]
        raise InputError(problems + found) from None
    if problems:
        raise InputError(problems)
    return data


def forecast_from_text(
    *,
    researcher: str,
    question: str,
    probability: str,
    as_of: str | None = None,
    capability: str | None = None,
    rationale: str = "",
    evidence: list[str] | None = None,
    reconstructed: bool = False,
) -> ForecastIn:
    """A validated :class:`ForecastIn` from typed text (``credence add``), or :class:`InputError`.

    ``probability`` is read as in a CSV file (``"4%"``, ``"0.04"``) or as odds for:against
    (``"1:24"``); ``as_of`` is a date or ISO 8601 time, now when omitted; each ``evidence``
    entry is ``"Title"`` or ``"Title [raised|lowered|no_change]"``.  Problems name their
    field: ``probability 140% is above 100%``.
    """
    problems: list[str] = []
    value: Any = probability
    if ":" in probability:
        try:
            value = parse_odds(probability)
        except ValueError as err:
            problems.append(f"probability {err}")
            value = 0.5  # checked already; keeps the other fields' problems coming
    values = {
        "researcher": researcher,
        "question": question,
        "capability": capability,
        "probability": value,
        "as_of": as_of if as_of is not None else datetime.now(UTC),
        "reconstructed": reconstructed,
        "rationale": rationale,
        "evidence": "; ".join(evidence or []),
    }
    try:
        data = ForecastIn.model_validate(values)
    except ValidationError as err:
        raise InputError(problems + _problems(err)) from None
    if problems:
        raise InputError(problems)
    return data


def resolution_from_text(
    *, question: str, outcome: str, when: str | None = None, capability: str | None = None, note: str = ""
) -> ResolutionIn:
    """A validated :class:`ResolutionIn` from typed text (``credence resolve``), or :class:`InputError`.

    ``outcome`` is yes, no or annulled; ``when`` a date or ISO 8601 time, now when omitted.
    """
    values = {
        "question": question,
        "outcome": outcome,
        "resolved_at": when if when is not None else datetime.now(UTC),
        "capability": capability,
        "note": note,
    }
    try:
        return ResolutionIn.model_validate(values)
    except ValidationError as err:
        raise InputError(_problems(err)) from None


def question_input(
    title: str, criteria: str = "", tags: str = "", resolve_by: date | None = None
) -> QuestionIn:
    """A validated :class:`QuestionIn` (tags separated by ``;`` or ``,``), or :class:`InputError`."""
    try:
        return QuestionIn.model_validate(
            {"title": title, "criteria": criteria, "tags": tags.replace(",", ";"), "resolve_by": resolve_by}
        )
    except ValidationError as err:
        raise InputError(_problems(err)) from None


def evidence_input(title: str, url: str = "") -> EvidenceIn:
    """A validated :class:`EvidenceIn`, or :class:`InputError`."""
    try:
        return EvidenceIn.model_validate({"title": title, "url": url})
    except ValidationError as err:
        raise InputError(_problems(err)) from None


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """What :func:`save_forecast` stored, and the estimate it follows (None for a first forecast)."""

    forecast_id: int
    researcher: str
    question: str
    capability: str | None
    probability: float
    as_of: datetime
    previous: float | None
    previous_as_of: datetime | None

    def message(self) -> str:
        """``Saved ada's forecast on "Q" (unconditional): 12% → 7%, −5 points, −0.6 in log-odds …``."""
        level = self.capability or "unconditional"
        head = f"Saved {self.researcher}'s forecast on \u201c{self.question}\u201d ({level})"
        if self.previous is None or self.previous_as_of is None:
            return (
                f"{head}: {format_percent(self.probability)}. "
                f"This is {self.researcher}'s first forecast on this question at this level."
            )
        return (
            f"{head}: {describe_change(self.previous, self.probability)} "
            f"(previous estimate as of {format_time(self.previous_as_of)})."
        )


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def save_forecast(engine: sa.Engine, data: ForecastIn, by: str = "") -> Saved:
    """Store one forecast (:func:`models.store.create_forecast`) and find the estimate it follows.

    One transaction: a refused forecast (unknown researcher, question or level) writes nothing.
    """
    with write_session(engine) as session:
        forecast = store.create_forecast(session, data, by=by)
        prev = store.previous_forecast(session, forecast)
        assert forecast.id is not None
        return Saved(
            forecast_id=forecast.id,
            researcher=data.researcher,
            question=data.question,
            capability=data.capability,
            probability=forecast.probability,
            as_of=_utc(forecast.as_of),
            previous=prev.probability if prev else None,
            previous_as_of=_utc(prev.as_of) if prev else None,
        )


def add_question(engine: sa.Engine, data: QuestionIn, by: str = "") -> int:
    """Create a question (:func:`models.store.create_question`); returns its id."""
    with write_session(engine) as session:
        question = store.create_question(session, data, by=by)
        assert question.id is not None
        return question.id


def add_evidence(engine: sa.Engine, data: EvidenceIn, by: str = "") -> bool:
    """Create an evidence item with its URL; False when an item of that title already exists."""
    summary = apply_batch(engine, ImportBatch(evidence=[data]), by=by)
    return summary.created["evidence items"] > 0
