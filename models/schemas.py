"""Input schemas: the one validation path for pages, the CLI and file imports.

Every value from outside passes through these pydantic models before anything is written.
They accept both typed values (from a form) and the text of a CSV cell, so a probability
can arrive as ``0.37``, ``"0.37"`` or ``"37%"``, and a time as a ``datetime``, a ``date`` or
ISO 8601 text.  Messages name the field and read as a sentence after it:
``probability 140% is above 100%``.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from models.analysis.likelihood import parse_likelihood_ratio
from models.format import format_percent, format_time, parse_time, split_percent
from models.limits import ID_MAX, LONG_TEXT_MAX, POSITION_MAX, check_text, check_url
from models.vocab import Direction, EvidenceKind, EvidenceStatus, Outcome


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("credence", message)


# --- probabilities ----------------------------------------------------------------------------


def parse_probability(value: Any) -> float:
    """A probability in [0, 1] from a fraction (``0.37``) or a percentage with its sign (``"37%"``).

    A bare number above 1 (``"35"``) is refused as ambiguous, with a hint.  Percentages are
    divided exactly (decimal arithmetic), so ``"0.1%"`` gives the same float as ``"0.001"``.
    """
    if isinstance(value, bool):
        raise _fail("must be a number, not true/false")
    if isinstance(value, int | float):
        p = float(value)
        if math.isnan(p) or math.isinf(p):
            raise _fail("must be a finite number")
    else:
        text = str(value).strip()
        if not text:
            raise _fail("is required")
        number, percent = split_percent(text)
        if number is None:
            raise _fail(f"{text!r} is not a probability: write a fraction like 0.37 or a percentage like 37%")
        if not percent and number > 1:
            raise _fail(f"{text} is ambiguous: write {text}% or {float(number / 100):g}")
        p = float(number / 100) if percent else float(number)
    if p > 1:
        raise _fail(f"{format_percent(p)} is above 100%")
    if p < 0:
        raise _fail(f"{format_percent(p)} is below 0%")
    return p


def parse_odds(text: str) -> float:
    """Odds ``"1:20"`` (for : against) as a probability: 1 / (1 + 20) ≈ 4.76%.

    Odds with a zero side (``"1:0"``, ``"0:1"``) mean certainty and are refused: a person who
    means 100 % or 0 % types that.
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*", text or "")
    if not m:
        raise ValueError(f"{text!r} is not odds: write them as for:against, like 1:20")
    for_, against = float(m.group(1)), float(m.group(2))
    if for_ + against == 0:
        raise ValueError("odds 0:0 say nothing: write them as for:against, like 1:20")
    if for_ == 0 or against == 0:
        # Odds of n:0 or 0:n are certainty, almost always a slip; someone who means it says so.
        raise ValueError(
            f"{text.strip()} means certainty: to mean it, enter {'100%' if against == 0 else '0%'} instead"
        )
    return for_ / (for_ + against)


# --- times ------------------------------------------------------------------------------------


def _optional_time(value: Any) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_time(value)


def _not_future(dt: datetime | None) -> datetime | None:
    if dt is not None and dt > datetime.now(UTC):
        raise _fail(f"{format_time(dt)} is in the future")
    return dt


# --- small field types ------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Text without surrounding whitespace; CR LF and lone CR become LF (a lone CR would end a CSV row)."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("", "false"):
        return False
    if text == "true":
        return True
    raise _fail(f"{value!r} is not true or false")


def _tags(value: Any) -> tuple[str, ...]:
    """Tags from ``"a; b"`` (a form, a file) or a list of texts (code); anything else is refused
    in words, not with Python's ``TypeError``."""
    if isinstance(value, str):
        items = value.split(";")
    elif value is None:
        items = []
    elif isinstance(value, list | tuple | set | frozenset) and all(isinstance(t, str | None) for t in value):
        items = [_text(t) for t in value]
    else:
        raise _fail("must be text: tags separated by ;")
    if not isinstance(value, str) and any(";" in t for t in items):
        raise _fail("must not contain ';' inside a tag (it separates tags)")
    tags = tuple(sorted({str(t).strip() for t in items if t and str(t).strip()}))
    for tag in tags:
        try:
            check_text(tag, 200)
        except ValueError as err:
            raise _fail(f"{tag[:40]!r} {err}") from None
    return tags


def _choice(
    enum: type[Outcome] | type[Direction] | type[EvidenceKind] | type[EvidenceStatus], label: str
) -> Any:
    def check(value: Any) -> str:
        text = _text(value).lower().replace(" ", "_")
        if not text:
            options = ", ".join(m.replace("_", " ") for m in enum.__members__)
            raise _fail(f"is required: choose {options}")
        if text not in enum.__members__:
            options = ", ".join(m.replace("_", " ") for m in enum.__members__)
            raise _fail(f"{_text(value)!r} is not {label}: use one of {options}")
        return text

    return check


def _limited(max_chars: int | None) -> Any:
    """An after-validator: no NUL, valid UTF-8, at most ``max_chars`` characters (:mod:`models.limits`)."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return check_text(value, max_chars)
        except ValueError as err:
            raise _fail(str(err)) from None

    return AfterValidator(check)


def _no_separator(value: str | None) -> str | None:
    # The forecasts CSV separates evidence titles with ";": a title holding one could not
    # survive an export and import, so it is refused here rather than split later.
    if value is not None and ";" in value:
        raise _fail(
            f"{value[:60]!r} must not contain ';' (it separates evidence titles in the forecasts CSV)"
        )
    return value


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_url(value)
    except ValueError as err:
        raise _fail(str(err)) from None


def _id(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= ID_MAX:
        raise _fail(f"{value} is out of range: ids run from 1 to {ID_MAX}")
    return value


def _position(value: float | None) -> float | None:
    if value is not None and abs(value) > POSITION_MAX:
        raise _fail(f"{value:g} is out of range: positions run from -{POSITION_MAX:g} to {POSITION_MAX:g}")
    return value


def _or_none(value: Any) -> str | None:
    return _text(value) or None


#: Lengths match the columns they are stored in.
Handle = Annotated[str, BeforeValidator(_text), Field(min_length=1), _limited(80)]
Name = Annotated[str, BeforeValidator(_text), Field(min_length=1), _limited(500)]
LevelName = Annotated[str, BeforeValidator(_text), Field(min_length=1), _limited(200)]
OptionalName = Annotated[str | None, BeforeValidator(_or_none), _limited(500)]
OptionalLevel = Annotated[str | None, BeforeValidator(_or_none), _limited(200)]
Url = Annotated[str | None, BeforeValidator(lambda v: _text(v) or None), _limited(2000), AfterValidator(_url)]
EvidenceTitle = Annotated[
    str, BeforeValidator(_text), Field(min_length=1), _limited(500), AfterValidator(_no_separator)
]
Text = Annotated[str, BeforeValidator(_text), _limited(LONG_TEXT_MAX)]
ShortText = Annotated[str, BeforeValidator(_text), _limited(200)]
OptionalText = Annotated[
    str | None, BeforeValidator(lambda v: None if v is None else _text(v)), _limited(LONG_TEXT_MAX)
]
Id = Annotated[int | None, AfterValidator(_id)]
Position = Annotated[float | None, AfterValidator(_position)]
Probability = Annotated[float, BeforeValidator(parse_probability)]
PastTime = Annotated[datetime, BeforeValidator(parse_time), AfterValidator(_not_future)]
OptionalPastTime = Annotated[datetime | None, BeforeValidator(_optional_time), AfterValidator(_not_future)]
OptionalTime = Annotated[datetime | None, BeforeValidator(_optional_time)]
Flag = Annotated[bool, BeforeValidator(_bool)]
Tags = Annotated[tuple[str, ...], BeforeValidator(_tags)]


class Input(BaseModel):
    """Base of every input: strict about unknown fields, remembers the file line it came from."""

    #: inf and nan are refused wherever a number is read (pydantic's float would take them).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: The line of the source file (header = line 1), for messages; None for form input.
    line: int | None = Field(default=None, exclude=True)


#: A researcher's handle: what files, links and the CLI name them by.
HANDLE = re.compile(r"[a-z0-9_-]+")
HANDLE_RULE = "lowercase letters, digits, _ and - only, like teal_heron"


def handle_problem(value: str) -> str | None:
    """The message for text that is not a handle (``"'Ada L' is not a handle: use …"``), else None:
    the one wording the form, the CLI and every import use."""
    if value and not HANDLE.fullmatch(value):
        return f"{value!r} is not a handle: use {HANDLE_RULE}"
    return None


def _handle(value: str) -> str:
    if (message := handle_problem(value)) is not None:
        raise _fail(message)
    return value


def handle_from_name(name: str) -> str:
    """A valid handle derived from a person's name, deterministically: ``"Ada Lovelace"`` →
    ``"ada-lovelace"``, ``"José Núñez"`` → ``"jose-nunez"``, ``"o'Brien, Pat"`` → ``"o-brien-pat"``.

    Accents are dropped (Unicode NFKD), letters lower-cased, and every run of other characters
    becomes one ``-`` (none at either end); ``_`` and ``-`` are kept.  A name already a handle is
    itself.  A name with no Latin letters or digits left (``"李雷"``) becomes ``researcher-`` and
    the first 8 hex digits of the SHA-256 of its UTF-8 text.  At most 80 characters.
    """
    text = name.strip()
    if HANDLE.fullmatch(text) and len(text) <= 80:
        return text
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", ascii_text).strip("-")[:80].strip("-")
    if not slug:
        slug = "researcher-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return slug


def _email(value: Any) -> str | None:
    """An e-mail address, trimmed and lower-cased; empty means none."""
    text = _text(value).lower()
    if not text:
        return None
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text) or len(text) > 320:
        raise _fail(f"{text!r} is not an e-mail address")
    return text


Email = Annotated[str | None, BeforeValidator(_email)]


class ResearcherIn(Input):
    handle: Handle
    name: ShortText = ""
    #: The e-mail a signed-in member is bound by (team mode); None in laptop mode.
    email: Email = None


class JoinIn(Input):
    """A newcomer's first sign-in: the handle they choose, their name, their signed-in e-mail."""

    handle: Annotated[str, BeforeValidator(_text), Field(min_length=1), _limited(80), AfterValidator(_handle)]
    name: ShortText = ""
    email: Annotated[str, BeforeValidator(_email)]


class NewResearcherIn(ResearcherIn):
    """A researcher a person adds by typing a handle: the handle must follow :data:`HANDLE`.

    Imports keep the handles their files use (Fatebook's are people's names as written), so
    they go through :class:`ResearcherIn`.
    """

    handle: Annotated[str, BeforeValidator(_text), Field(min_length=1), _limited(80), AfterValidator(_handle)]


class LevelIn(Input):
    name: LevelName
    position: Position = None
    description: Text = ""


class EvidenceIn(Input):
    title: EvidenceTitle
    url: Url = None
    date: OptionalTime = None
    summary: Text = ""
    kind: Annotated[
        str, BeforeValidator(lambda v: _choice(EvidenceKind, "a kind of evidence")(v or "other"))
    ] = "other"
    #: ``anticipated`` (a possible observation) or ``observed`` (blank: observed).
    status: Annotated[
        str, BeforeValidator(lambda v: _choice(EvidenceStatus, "a status")(v or "observed"))
    ] = "observed"
    #: When it was observed; blank for an observed item means its ``date``, if any.
    observed: OptionalPastTime = None

    @field_validator("observed")
    @classmethod
    def _observed_only_when_observed(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is not None and info.data.get("status") == EvidenceStatus.anticipated:
            raise _fail("must be empty while the evidence is anticipated")
        return value

    @property
    def observed_at(self) -> datetime | None:
        """When it was observed: ``observed``, else its ``date``; None while anticipated."""
        if self.status == EvidenceStatus.anticipated:
            return None
        return self.observed or self.date


class EvidenceRef(Input):
    """An evidence item named by a forecast, and how it moved the forecast (None: not stated)."""

    title: EvidenceTitle
    direction: Annotated[
        str | None, BeforeValidator(lambda v: _choice(Direction, "a direction")(v) if _text(v) else None)
    ] = None
    note: Text = ""


_REF = re.compile(r"^(?P<title>.*?)\s*\[(?P<direction>[^\[\]]*)\]\s*$", re.DOTALL)


def parse_evidence_refs(value: Any) -> list[Any]:
    """``"Paper A [lowered]; Result B"`` → refs; a list (of refs or dicts) passes through.

    Anything else (a number, true/false, a mapping) is refused in words, not with ``TypeError``.
    """
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if not isinstance(value, str):
        raise _fail("must be evidence titles separated by ;")
    refs: list[dict[str, str]] = []
    for part in value.split(";"):
        if not part.strip():
            continue
        m = _REF.match(part.strip())
        refs.append({"title": m["title"], "direction": m["direction"]} if m else {"title": part})
    return refs


def format_evidence_refs(refs: list[tuple[str, str | None]]) -> str:
    """The inverse of :func:`parse_evidence_refs`: ``"Paper A [lowered];Result B"``.

    A title that itself ends in brackets (``Results [2024]``) and has no direction is
    written with empty brackets after it (``Results [2024] []``), which read back as "no
    direction", so the title is never taken for a direction.  Titles never hold ``;``
    (:class:`EvidenceRef` refuses it), so the separator is unambiguous.
    """

    def one(title: str, direction: str | None) -> str:
        if direction:
            return f"{title} [{direction.replace('_', ' ')}]"
        return f"{title} []" if _REF.match(title) else title

    return ";".join(one(t, d) for t, d in refs)


#: The longest review interval a question can have, in days (ten years).
REVIEW_EVERY_MAX = 3650


def parse_review_days(value: Any) -> int | None:
    """A question's review interval in whole days from ``30``, ``"30"`` or ``"30 days"``; empty
    (``None``, ``""``) means the default.  It must be a whole number from 1 to
    :data:`REVIEW_EVERY_MAX`."""
    rule = f"use a whole number of days from 1 to {REVIEW_EVERY_MAX}, or leave it empty for the default"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise _fail(f"must be a number of days: {rule}")
    if isinstance(value, int | float):
        number: float = value
        shown = f"{value:g}"
    else:
        shown = _text(value)
        digits = re.sub(r"\s*(days?|d)$", "", shown.lower())
        try:
            number = float(digits)
        except ValueError:
            raise _fail(f"{shown!r} is not a number of days: {rule}") from None
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= REVIEW_EVERY_MAX:
        raise _fail(f"{shown} is not a number of days: {rule}")
    return int(number)


ReviewEvery = Annotated[int | None, BeforeValidator(parse_review_days)]


class QuestionIn(Input):
    title: Name
    criteria: Text = ""
    tags: Tags = ()
    resolve_by: OptionalTime = None
    #: Days after which its estimates are due for review; None: the default (90).
    review_every_days: ReviewEvery = None


class ResolutionIn(Input):
    question: Name
    outcome: Annotated[str, BeforeValidator(_choice(Outcome, "an outcome"))]
    resolved_at: PastTime
    capability: OptionalLevel = None
    note: Text = ""


class PartitionMemberIn(Input):
    """One member of a declared partition (a file row ``partition,question[,researcher]``)."""

    partition: Annotated[str, BeforeValidator(_text), Field(min_length=1), _limited(200)]
    question: Name
    #: Who declares it (None: not said).
    researcher: Annotated[
        Annotated[str, Field(max_length=80)] | None, BeforeValidator(lambda v: _text(v) or None)
    ] = None


def _given_outcome(value: Any) -> str | None:
    text = _text(value).lower()
    if not text:
        return None
    if text not in ("yes", "no"):
        raise _fail(f"{_text(value)!r} is not an outcome of the condition: use yes or no")
    return text


class ForecastIn(Input):
    researcher: Handle
    question: Name
    probability: Probability
    as_of: PastTime
    capability: OptionalLevel = None
    rationale: Text = ""
    evidence: Annotated[list[EvidenceRef], BeforeValidator(parse_evidence_refs)] = []
    reconstructed: Flag = False
    #: Kept when importing an export of Credence, so a round trip changes nothing.
    id: Id = None
    recorded_at: OptionalPastTime = None
    #: The condition ``P(question | given = given_outcome)``: another question's title.
    given: OptionalName = None
    #: ``"yes"`` (the default when ``given`` is set) or ``"no"``; None without ``given``.
    given_outcome: Annotated[str | None, BeforeValidator(_given_outcome)] = Field(
        default=None, validate_default=True
    )

    @field_validator("given")
    @classmethod
    def _not_itself(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("question"):
            raise _fail("is the forecast's own question; a condition must be on another question")
        return value

    @field_validator("given_outcome")
    @classmethod
    def _needs_given(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "given" not in info.data:  # given itself was refused: one message is enough
            return value
        if info.data["given"] is None:
            if value is not None:
                raise _fail("needs a question it is given on (given)")
            return None
        return value or "yes"


def _likelihood_ratio(value: Any) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _fail("is required")
    try:
        return parse_likelihood_ratio(value)
    except ValueError as err:
        raise _fail(str(err)) from None


class RatioIn(Input):
    """An expected likelihood ratio P(E | yes) / P(E | no) for an evidence item on a target.

    ``ratio`` accepts ``3``, ``1/3``, ``0.25``, ``×3``, ``x3`` or ``÷4``
    (:func:`models.analysis.likelihood.parse_likelihood_ratio`); it must be finite and above 0.
    """

    researcher: Handle
    question: Name
    capability: OptionalLevel = None
    evidence: Name
    ratio: Annotated[float, BeforeValidator(_likelihood_ratio)]
    as_of: PastTime
    rationale: Text = ""
    #: Kept when importing an export of Credence; otherwise the time it is stored.
    recorded_at: OptionalPastTime = None


class ForecastEdit(Input):
    """A correction of a stored forecast; fields left None keep their value."""

    probability: Annotated[
        float | None, BeforeValidator(lambda v: None if v is None else parse_probability(v))
    ] = None
    as_of: OptionalPastTime = None
    capability: OptionalLevel = None
    clear_capability: bool = False
    rationale: OptionalText = None
    reconstructed: bool | None = None
    evidence: Annotated[
        list[EvidenceRef] | None, BeforeValidator(lambda v: None if v is None else parse_evidence_refs(v))
    ] = None


class QuestionEdit(Input):
    title: OptionalName = None
    criteria: OptionalText = None
    tags: Annotated[tuple[str, ...] | None, BeforeValidator(lambda v: None if v is None else _tags(v))] = None
    resolve_by: OptionalTime = None
    clear_resolve_by: bool = False
    review_every_days: ReviewEvery = None
    #: Back to the default review interval.
    clear_review_every: bool = False
