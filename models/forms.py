"""Forms: what people type in a page or a command, turned into validated input.

Logging a forecast (:func:`forecast_input` from the Log forecast page, :func:`forecast_from_text`
from ``credence add``), resolving, new questions and evidence, and the edit forms.

Conventions
-----------
* Probabilities are fractions in [0, 1]; the form's percentage becomes one here, divided
  exactly (``"12.3%"`` through :func:`models.schemas.parse_probability`, so 12.3 gives 0.123).
* A date picked in the form means midnight UTC of that day, except the form's *today*,
  which means now: a forecast logged today sorts after the earlier ones of the same day,
  and a server whose local date runs ahead of UTC does not produce a time in the future.

Edit forms: the values a form starts with, and the edit its typed values amount to.

A page shows :func:`forecast_form` or :func:`question_form`, then turns what the person
typed into a validated :class:`~models.schemas.ForecastEdit` or
:class:`~models.schemas.QuestionEdit` with :func:`forecast_edit` / :func:`question_edit`
(None when nothing changed).  :func:`form_problems` maps an error to the fields it names,
so a page can show each message next to its input.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from pydantic import ValidationError

from models.errors import CredenceError, InputError, Problem
from models.format import format_time
from models.schemas import (
    EvidenceIn,
    ForecastEdit,
    ForecastIn,
    QuestionEdit,
    QuestionIn,
    RatioIn,
    ResolutionIn,
    parse_evidence_refs,
    parse_odds,
)

#: How a direction reads in the forms' radio buttons, by stored value.
DIRECTION_LABELS = {"raised": "raised", "lowered": "lowered", "no_change": "no change"}


def forecast_form(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values an edit form starts with for a forecast (a :func:`question_history` row),
    as the Log forecast form's inputs hold them: ``probability`` in percent (a number),
    ``as_of`` as a day (for a date picker), ``evidence`` as ``((title, direction label or
    None), …)`` in link order."""
    refs = [
        (
            ref["title"].strip(),
            DIRECTION_LABELS.get((ref.get("direction") or "").strip().lower().replace(" ", "_")),
        )
        for ref in parse_evidence_refs(row["evidence_refs"] or "")
    ]
    return {
        "probability": round(float(row["probability"]) * 100.0, 10),
        "as_of": pd.Timestamp(row["as_of"]).tz_convert("UTC").date(),
        "capability": row["level"] or "",
        "rationale": row["rationale"] or "",
        "reconstructed": bool(row["reconstructed"]),
        "evidence": tuple(refs),
    }


def _changed(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in typed.items() if k in initial and v != initial[k]}


def forecast_edit(initial: Mapping[str, Any], typed: Mapping[str, Any]) -> ForecastEdit | None:
    """A :class:`ForecastEdit` of the fields whose value differs from the form's start
    (:func:`forecast_form`), or None when nothing changed.  A percentage ``p`` becomes exactly
    ``p / 100``; a changed day means 00:00 UTC that day (an unchanged day keeps the stored
    time); clearing the capability makes the forecast unconditional.  Raises
    :class:`pydantic.ValidationError` on bad values."""
    changes = _changed(initial, typed)
    if not changes:
        return None
    if "probability" in changes:
        p = changes["probability"]
        changes["probability"] = "" if p is None else f"{p!r}%"
    if "evidence" in changes:
        changes["evidence"] = [{"title": t, "direction": d} for t, d in changes["evidence"]]
    if "capability" in changes and not str(changes["capability"]).strip():
        changes.pop("capability")
        changes["clear_capability"] = True
    return ForecastEdit.model_validate(changes)


def question_form(row: Mapping[str, Any]) -> dict[str, Any]:
    """The values a question's edit form starts with (a ``frames.questions`` row)."""
    resolve_by = row["resolve_by"]
    every = row.get("review_every_days")
    return {
        "title": row["question"],
        "criteria": row["criteria"] or "",
        "tags": "; ".join(row["tags"] or ()),
        "resolve_by": "" if pd.isna(resolve_by) else format_time(resolve_by),
        "review_every_days": "" if every is None or pd.isna(every) else str(int(every)),
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
    if "review_every_days" in changes and not str(changes["review_every_days"]).strip():
        changes.pop("review_every_days")
        changes["clear_review_every"] = True
    return QuestionEdit.model_validate(changes)


def form_problems(error: ValidationError | CredenceError) -> dict[str, str]:
    """``{field: message}`` for showing an error next to its input; ``""`` holds the rest.

    Messages read as a sentence after the field name (``"140% is above 100%"``).
    """
    if isinstance(error, ValidationError):
        out: dict[str, str] = {}
        for problem in Problem.from_validation_error(error):
            out.setdefault(problem.field, problem.message)
        return out
    if isinstance(error, InputError):
        return error.fields
    return {"": str(error)}


#: How old a date must be before the form suggests ticking "Reconstructed estimate".
RECONSTRUCTED_AFTER_DAYS = 30
# --- describing a change ----------------------------------------------------------------------


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


def _problems(err: ValidationError) -> list[Problem]:
    return Problem.from_validation_error(err)


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
    given: str | None = None,
    given_outcome: str | None = None,
) -> ForecastIn:
    """A validated :class:`ForecastIn` from the form, or :class:`InputError` naming each bad field.

    ``odds`` (``"1:20"``), when given, is used instead of ``percent``; a problem with it is
    reported on the field ``odds``.  Problems read ``probability 140% is above 100%``.
    """
    problems: list[Problem] = []
    probability: Any = ""
    if odds is not None:
        try:
            probability = parse_odds(odds)
        except ValueError as err:
            problems.append(Problem(str(err), "odds"))
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
        "given": given,
        "given_outcome": given_outcome if given else None,
    }
    try:
        data = ForecastIn.model_validate(values)
    except ValidationError as err:
        found = _problems(err)
        if odds is not None:
            found = [p for p in found if p.field != "probability"]
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
    given: str | None = None,
    given_outcome: str | None = None,
) -> ForecastIn:
    """A validated :class:`ForecastIn` from typed text (``credence add``), or :class:`InputError`.

    ``probability`` is read as in a CSV file (``"4%"``, ``"0.04"``) or as odds for:against
    (``"1:24"``); ``as_of`` is a date or ISO 8601 time, now when omitted; each ``evidence``
    entry is ``"Title"`` or ``"Title [raised|lowered|no_change]"``.  Problems name their
    field: ``probability 140% is above 100%``.
    """
    problems: list[Problem] = []
    value: Any = probability
    if ":" in probability:
        try:
            value = parse_odds(probability)
        except ValueError as err:
            problems.append(Problem(str(err), "probability"))
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
        "given": given,
        "given_outcome": given_outcome,
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
    title: str,
    criteria: str = "",
    tags: str = "",
    resolve_by: date | str | None = None,
    review_every_days: int | str | None = None,
) -> QuestionIn:
    """A validated :class:`QuestionIn` (tags separated by ``;`` or ``,``; an empty review interval
    means the default), or :class:`InputError`."""
    try:
        return QuestionIn.model_validate(
            {
                "title": title,
                "criteria": criteria,
                "tags": tags.replace(",", ";"),
                "resolve_by": resolve_by,
                "review_every_days": review_every_days,
            }
        )
    except ValidationError as err:
        raise InputError(_problems(err)) from None


def review_every_edit(days: str | int | None) -> QuestionEdit:
    """A :class:`QuestionEdit` setting the review interval; ``"default"`` or empty clears it."""
    if days is None or str(days).strip().lower() in ("", "default", "none"):
        return QuestionEdit(clear_review_every=True)
    try:
        return QuestionEdit.model_validate({"review_every_days": days})
    except ValidationError as err:
        raise InputError(_problems(err)) from None


def evidence_input(title: str, url: str = "") -> EvidenceIn:
    """A validated :class:`EvidenceIn`, or :class:`InputError`."""
    try:
        return EvidenceIn.model_validate({"title": title, "url": url})
    except ValidationError as err:
        raise InputError(_problems(err)) from None


def ratio_input(
    *,
    researcher: str | None,
    question: str | None,
    capability: str | None,
    evidence: str | None,
    ratio: str | None,
    as_of: date | None,
    today: date,
    rationale: str = "",
) -> RatioIn:
    """A validated :class:`RatioIn` from the "weigh evidence in advance" form, or :class:`InputError`
    naming each bad field (``ratio must be greater than 0: …``)."""
    values = {
        "researcher": researcher or "",
        "question": question or "",
        "capability": capability,
        "evidence": evidence or "",
        "ratio": ratio or "",
        "as_of": as_of_time(as_of, today) if as_of is not None else "",
        "rationale": rationale,
    }
    try:
        return RatioIn.model_validate(values)
    except ValidationError as err:
        raise InputError.from_validation_error(err) from None


def evidence_after(
    as_of: date | None, published: Mapping[str, date], chosen: Iterable[str]
) -> list[tuple[str, date]]:
    """The chosen evidence items published after ``as_of`` (by calendar day), with their day.

    An estimate as of a day cannot rest on evidence that appeared later; the form warns before
    saving (a reconstruction may cite it by mistake).  Items without a known day never warn.
    """
    if as_of is None:
        return []
    return [(t, published[t]) for t in chosen if t in published and published[t] > as_of]


# --- a double click on Save -------------------------------------------------------------------

#: A second save of the same estimate within this many seconds of the first is a double click.
DOUBLE_CLICK_SECONDS = 3.0
#: A browser session's last save is forgotten this long after it (it only matters for a double click).
FORGET_AFTER_SECONDS = 600.0


@dataclass
class LastSave:
    values: dict[str, Any]
    message: str
    at: float


@dataclass
class _Turns:
    """One session's lock, and how many script threads are using it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


@dataclass
class SavedForms:
    """Each browser session's last save, and the turns its saves take (``{session token: …}``),
    shared by the server's script threads, so that a second click on Save stores nothing.

    ``compared``: the form fields that make an estimate; a save repeating the last one's within
    :data:`DOUBLE_CLICK_SECONDS` is the same click twice, whatever else the form then held.
    A session is forgotten once its last save is :data:`FORGET_AFTER_SECONDS` old and no
    thread is using it, so a server that runs for months holds only its recent sessions.
    """

    compared: tuple[str, ...]
    guard: threading.Lock = field(default_factory=threading.Lock)  # held only briefly, never while saving
    turns: dict[str, _Turns] = field(default_factory=dict)
    by_session: dict[str, LastSave] = field(default_factory=dict)

    @contextmanager
    def turn(self, token: str, now: float) -> Iterator[None]:
        """Hold ``token``'s turn: its saves run one at a time (other sessions never wait)."""
        with self.guard:
            self._forget(now)
            turns = self.turns.setdefault(token, _Turns())
            turns.users += 1
        try:
            with turns.lock:
                yield
        finally:
            with self.guard:
                turns.users -= 1

    def _forget(self, now: float) -> None:
        for token, turns in list(self.turns.items()):
            last = self.by_session.get(token)
            if turns.users == 0 and (last is None or now - last.at > FORGET_AFTER_SECONDS):
                del self.turns[token]
                self.by_session.pop(token, None)

    def remember(self, token: str, values: dict[str, Any], message: str, now: float) -> LastSave:
        """Record ``token``'s save (call it holding the session's :meth:`turn`)."""
        last = self.by_session[token] = LastSave(values, message, now)
        return last

    def repeats_last(self, token: str, values: dict[str, Any], now: float) -> bool:
        last = self.by_session.get(token)
        return (
            last is not None
            and now - last.at < DOUBLE_CLICK_SECONDS
            and all(values[k] == last.values[k] for k in self.compared)
        )
