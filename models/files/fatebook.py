"""Importing from Fatebook: its forecast export, or its spreadsheet-import layout.

Two layouts, told apart by the header (columns are matched by name, case-insensitively;
unknown columns, Fatebook's own score columns among them, are ignored since Credence
computes scores itself):

* **Export** (Fatebook's "Export all your forecasts"): one row per forecast, with
  ``Question title``, ``Multiple choice option``, ``Forecast created by``,
  ``Forecast (scale = 0-1)``, ``Forecast created at``, ``Question created at``,
  ``Question resolve by``, ``Resolution`` (YES, NO, AMBIGUOUS or empty), ``Resolved at``,
  ``Question notes`` and ``Question tags`` (joined by ``;``).  ``Forecast created by`` is
  a person's name: it is kept as the researcher's display name, and their handle is made
  from it by :func:`models.schemas.handle_from_name` (``Ada Lovelace`` → ``ada-lovelace``;
  the import's preview lists every name so changed).  Two names that would make the same
  handle refuse the file.  ``Question created by`` is not used.
* **Spreadsheet** (what Fatebook's "import from a spreadsheet" reads): ``questionTitle``,
  ``forecast`` in percent (``70`` or ``70%``), ``qCreatedAt``, ``resolution``,
  ``resolvedAt``, ``resolveBy``, ``fCreatedAt`` (else ``qCreatedAt``), ``tags`` (comma- or
  semicolon-separated), ``notes``, ``notesExtra``.  The file does not say whose forecasts
  they are: the caller names the researcher.

Times look like ``2025-03-04 09:05:7`` (Fatebook does not pad seconds) and carry no zone:
they are read as UTC.  ISO 8601 with an offset is accepted too.

Mapping: a multiple-choice option becomes its own binary question titled
``QUESTION — OPTION``, resolved by that option's own YES/NO.  AMBIGUOUS becomes annulled.
Notes become the resolution criteria.  Fatebook titles need not be unique: when one title
was asked more than once (different ``Question created at``), the earliest keeps the title
and each later one becomes ``TITLE (asked 2025-03-11)``, so importing a newer export
later maps to the same questions.  A question's criteria, tags, resolve-by and resolution
come from its rows; two rows of one question that disagree refuse the file.

As with the interchange files, the whole file is validated first and any problem refuses
all of it, with ``line N: column message`` (the header is line 1).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from models.batch import ImportBatch, Progress
from models.errors import InputError, Problem, sort_by_line
from models.files.interchange import FileSpec, csv_problem, decode, records
from models.format import parse_time, split_percent
from models.limits import check_time
from models.schemas import (
    ForecastIn,
    QuestionIn,
    ResearcherIn,
    ResolutionIn,
    handle_from_name,
    handle_problem,
)

EXPORT = "export"
SPREADSHEET = "spreadsheet"

#: Separator between a multiple-choice question's title and the option's text.
OPTION_SEPARATOR = " — "

OUTCOMES = {"yes": "yes", "no": "no", "ambiguous": "annulled"}


@dataclass(frozen=True)
class Layout:
    """One of Fatebook's CSV layouts: our name for each column → its header as Fatebook writes it."""

    name: str
    columns: dict[str, str]
    required: tuple[str, ...]
    #: ``forecast`` is in percent (70 means 70%) rather than on a 0-1 scale.
    percent: bool
    tag_separators: str


LAYOUTS = {
    EXPORT: Layout(
        name=EXPORT,
        columns={
            "title": "Question title",
            "option": "Multiple choice option",
            "researcher": "Forecast created by",
            "forecast": "Forecast (scale = 0-1)",
            "forecast_at": "Forecast created at",
            "question_at": "Question created at",
            "resolve_by": "Question resolve by",
            "resolution": "Resolution",
            "resolved_at": "Resolved at",
            "notes": "Question notes",
            "tags": "Question tags",
        },
        required=("title", "researcher", "forecast", "forecast_at"),
        percent=False,
        tag_separators=";",
    ),
    SPREADSHEET: Layout(
        name=SPREADSHEET,
        columns={
            "title": "questionTitle",
            "forecast": "forecast",
            "question_at": "qCreatedAt",
            "resolution": "resolution",
            "resolved_at": "resolvedAt",
            "resolve_by": "resolveBy",
            "forecast_at": "fCreatedAt",
            "tags": "tags",
            "notes": "notes",
            "notes_extra": "notesExtra",
        },
        required=("title", "forecast"),
        percent=True,
        tag_separators=",;",
    ),
}

#: Schema field → our column name, for messages that name the file's column.
_FIELDS = {
    "researcher": "researcher",
    "question": "title",
    "title": "title",
    "probability": "forecast",
    "as_of": "forecast_at",
    "criteria": "notes",
    "tags": "tags",
    "resolve_by": "resolve_by",
    "outcome": "resolution",
    "resolved_at": "resolved_at",
}

NO_RESEARCHER = "Fatebook's spreadsheet layout does not say whose forecasts these are: name the researcher"


def _header(text: str) -> list[str]:
    try:
        return [h.strip().lower() for h in next(csv.reader(io.StringIO(text, newline="")))]
    except StopIteration:
        raise InputError(["line 1: the file is empty; it needs a header row"]) from None
    except csv.Error as err:
        raise InputError([f"line 1: {csv_problem(err)}"]) from None


def _detect(header: list[str]) -> Layout:
    if "question title" in header:
        return LAYOUTS[EXPORT]
    if "questiontitle" in header:
        return LAYOUTS[SPREADSHEET]
    raise InputError(
        [
            "line 1: not a Fatebook file: expected its forecast export (Question title, Forecast created by, "
            "Forecast (scale = 0-1), Forecast created at, ...) or its spreadsheet layout "
            "(questionTitle, forecast, qCreatedAt, ...)"
        ]
    )


def layout(data: bytes) -> str:
    """Which Fatebook layout a file is in: :data:`EXPORT` or :data:`SPREADSHEET` (from its header)."""
    return _detect(_header(decode(data))).name


# --- cells --------------------------------------------------------------------------------------

#: Fatebook's time layouts (parts may be unpadded: ``2025-03-04 9:05:7``); no zone means UTC.
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


class _Bad(Exception):
    """A cell that cannot be read; ``str`` is the message that follows the column name."""


def parse_fatebook_time(text: str) -> datetime:
    """A UTC datetime from Fatebook's ``2025-03-04 9:05:7`` (parts unpadded, no zone) or ISO 8601,
    within the supported time range (:mod:`models.limits`)."""
    text = text.strip()
    dt: datetime | None = None
    for layout in _TIME_FORMATS:
        try:
            dt = datetime.strptime(text.replace("T", " ", 1), layout).replace(tzinfo=UTC)
            break
        except ValueError:
            continue
    if dt is None:
        try:
            dt = parse_time(text)
        except (ValueError, TypeError) as err:
            if "supported range" in str(err):
                raise _Bad(str(err)) from None
            raise _Bad(f"{text!r} is not a date: write 2025-03-04 or 2025-03-04 09:05:07") from None
    try:
        return check_time(dt)
    except ValueError as err:
        raise _Bad(str(err)) from None


def _probability(text: str, percent: bool) -> Any:
    """The forecast cell as the schema's probability input (range problems worded for the layout)."""
    text = text.strip()
    if not text:
        return text  # the schema says "is required"
    number, has_sign = split_percent(text)
    if number is None or (has_sign and not percent):
        raise _Bad(
            f"{text!r} is not a percentage: write 70 for 70%"
            if percent
            else f"{text!r} is not a number from 0 to 1"
        )
    if percent:
        return f"{number}%"
    if number > 1:
        raise _Bad(f"{text} is above 1 (this column is on a 0-1 scale)")
    if number < 0:
        raise _Bad(f"{text} is below 0")
    return float(number)


def _tags(text: str, separators: str) -> list[str]:
    return [t.strip() for t in re.split(f"[{re.escape(separators)}]", text) if t.strip()]


# --- rows ----------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    title: str
    option: str
    asked: datetime | None
    forecast: dict[str, Any]
    question: dict[str, Any]
    resolution: dict[str, Any] | None


@dataclass
class _Parse:
    layout: Layout
    researcher: str | None
    problems: list[Problem] = field(default_factory=list)

    def say(self, line: int, column: str, message: str) -> None:
        self.problems.append(Problem(message, self.layout.columns.get(column, column), line))

    def row(self, line: int, cells: dict[str, str]) -> _Row | None:
        cols = self.layout.columns
        get = {key: cells.get(header.lower(), "").strip() for key, header in cols.items()}
        before = len(self.problems)

        def time(key: str) -> datetime | None:
            if not get.get(key):
                return None
            try:
                return parse_fatebook_time(get[key])
            except _Bad as err:
                self.say(line, key, str(err))
                return None

        probability: Any = None
        try:
            probability = _probability(get["forecast"], self.layout.percent)
        except _Bad as err:
            self.say(line, "forecast", str(err))
        asked = time("question_at")
        as_of = time("forecast_at")
        if not get.get("forecast_at"):
            # Fatebook's spreadsheet import dates a forecast by its question when fCreatedAt is empty.
            if self.layout.name == SPREADSHEET and get.get("question_at"):
                as_of = asked
            else:
                self.say(line, "forecast_at", "is required")
        resolve_by = time("resolve_by")
        resolved_at = time("resolved_at")
        resolution: dict[str, Any] | None = None
        if get.get("resolution"):
            outcome = OUTCOMES.get(get["resolution"].lower())
            if outcome is None:
                self.say(
                    line, "resolution", f"{get['resolution']!r} is not a resolution: use YES, NO or AMBIGUOUS"
                )
            elif resolved_at is None and not get.get("resolved_at"):
                self.say(
                    line,
                    "resolved_at",
                    f"is empty but {cols['resolution']} is {get['resolution']}: give the time it resolved",
                )
            resolution = {"outcome": outcome, "resolved_at": resolved_at}
        if len(self.problems) > before:
            return None
        notes = "\n\n".join(n for n in (get.get("notes", ""), get.get("notes_extra", "")) if n)
        return _Row(
            line=line,
            title=get["title"],
            option=get.get("option", ""),
            asked=asked,
            forecast={
                "researcher": get["researcher"] if "researcher" in cols else self.researcher,
                "probability": probability,
                "as_of": as_of,
            },
            question={
                "criteria": notes,
                "tags": _tags(get.get("tags", ""), self.layout.tag_separators),
                "resolve_by": resolve_by,
            },
            resolution=resolution,
        )

    def validate(self, model: type[BaseModel], line: int, values: dict[str, Any]) -> Any:
        try:
            return model.model_validate({**values, "line": line})
        except ValidationError as err:
            for problem in Problem.from_validation_error(err):
                self.say(line, _FIELDS.get(problem.field, problem.field), problem.message)
            return None


def _titles(rows: list[_Row]) -> dict[int, str]:
    """Each row's question title: repeated Fatebook titles told apart by when they were asked."""
    asked: dict[str, set[datetime | None]] = {}
    for r in rows:
        asked.setdefault(r.title, set()).add(r.asked)
    names: dict[tuple[str, datetime | None], str] = {}
    for title, times in asked.items():
        ordered = sorted(times, key=lambda t: (t is not None, t or datetime.min.replace(tzinfo=UTC)))
        days = [t.date() for t in ordered if t is not None]
        for i, t in enumerate(ordered):
            if i == 0 or t is None:
                names[title, t] = title
            else:
                when = t.date().isoformat() if days.count(t.date()) == 1 else t.strftime("%Y-%m-%d %H:%M:%S")
                names[title, t] = f"{title} (asked {when})"
    out: dict[int, str] = {}
    for r in rows:
        base = names[r.title, r.asked]
        out[r.line] = f"{base}{OPTION_SEPARATOR}{r.option}" if r.option else base
    return out


_LABELS = {
    "criteria": "notes",
    "tags": "tags",
    "resolve_by": "resolve_by",
    "outcome": "resolution",
    "resolved_at": "resolved_at",
}


def _merge(p: _Parse, title: str, rows: list[_Row]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """One question's attributes and resolution from its rows; disagreeing rows are problems."""
    seen: dict[str, tuple[Any, int]] = {}
    for r in rows:
        values = {**r.question, **(r.resolution or {})}
        for key, value in values.items():
            if value in ("", [], None):
                continue
            if key == "tags":
                value = sorted(set(value))
            if key not in seen:
                seen[key] = (value, r.line)
            elif seen[key][0] != value:
                p.say(
                    r.line, _LABELS[key], f"differs from line {seen[key][1]} for the same question {title!r}"
                )
    question: dict[str, Any] = {
        "title": title,
        **{k: seen[k][0] for k in ("criteria", "tags", "resolve_by") if k in seen},
    }
    resolution = None
    if "outcome" in seen:
        resolution = {"question": title, "outcome": seen["outcome"][0], "resolved_at": seen["resolved_at"][0]}
    return question, resolution


def parse_fatebook(
    data: bytes, researcher: str | None = None, progress: Progress | None = None
) -> ImportBatch:
    """A validated :class:`ImportBatch` from a Fatebook CSV (either layout; see the module docstring).

    ``researcher`` is the handle the forecasts of a spreadsheet-layout file belong to
    (required for that layout); an export names each forecast's researcher itself, and
    ``researcher`` is then not used.  Raises :class:`InputError` listing every problem.
    """
    text = decode(data)
    header = _header(text)
    lay = _detect(header)
    if "researcher" not in lay.columns:
        if not (researcher or "").strip():
            raise InputError([NO_RESEARCHER])
        try:
            ResearcherIn.model_validate({"handle": researcher})
        except ValidationError as err:
            raise InputError(
                [Problem(p.message, "researcher") for p in Problem.from_validation_error(err)]
            ) from None
        if (message := handle_problem((researcher or "").strip())) is not None:
            raise InputError([Problem(message, "researcher")])
    spec = FileSpec(
        kind=f"fatebook {lay.name}",
        columns=tuple(header),
        required=tuple(lay.columns[c].lower() for c in lay.required),
        model=ForecastIn,
        batch_field="forecasts",
    )
    p = _Parse(lay, (researcher or "").strip() or None)
    rows: list[_Row] = []
    total = text.count("\n")
    for n, (line, cells) in enumerate(records(text, spec), start=1):
        row = p.row(line, cells)
        if row is not None:
            rows.append(row)
        if progress and n % 10000 == 0:
            progress("checking rows", n, total)

    titles = _titles(rows)
    batch = ImportBatch(rows=len(rows))
    by_title: dict[str, list[_Row]] = {}
    for r in rows:
        by_title.setdefault(titles[r.line], []).append(r)
    for title, group in by_title.items():
        question, resolution = _merge(p, title, group)
        line = group[0].line
        if (q := p.validate(QuestionIn, line, question)) is not None:
            batch.questions.append(q)
        if resolution and (res := p.validate(ResolutionIn, line, resolution)) is not None:
            batch.resolutions.append(res)
    named = "researcher" in lay.columns  # an export names people; a spreadsheet was given a handle
    handles: dict[str, tuple[str, int]] = {}  # handle -> (name as written, first line)
    for r in rows:
        name = str(r.forecast["researcher"] or "").strip()
        handle = handle_from_name(name) if named and name else name
        seen = handles.get(handle)
        if seen is not None and seen[0] != name:
            p.say(r.line, "researcher", f"{name!r} and {seen[0]!r} (line {seen[1]}) would both have the handle "
                  f"{handle!r}: write the name the same way in both")  # fmt: skip
            continue
        f = p.validate(ForecastIn, r.line, {**r.forecast, "researcher": handle, "question": titles[r.line]})
        if f is not None:
            batch.forecasts.append(f)
            handles.setdefault(f.researcher, (name, r.line))
    for handle, (name, line) in handles.items():
        fields = {"handle": handle, "name": name if named else ""}
        if (who := p.validate(ResearcherIn, line, fields)) is not None:
            batch.researchers.append(who)
    changed = [f"{name!r} → {handle}" for handle, (name, _) in handles.items() if named and name != handle]
    if changed:
        batch.notes.append(f"handles made from Fatebook names: {', '.join(changed)}")
    if p.problems:
        raise InputError(sort_by_line(p.problems))
    return batch
