"""The interchange CSV formats: reading files into a validated batch, writing exports.

Files are UTF-8 (a BOM and CRLF line ends are accepted) with a header row.  Any bad row,
a missing required column, an unknown column, a row with too many fields, or bytes that
are not UTF-8 refuse the whole file with messages that name the line (the header is
line 1) and the field: ``line 3: probability 140% is above 100%``.

Text cells that a spreadsheet would run as a formula are neutralized on export: a cell
starting with ``=``, ``+``, ``-``, ``@`` or ``'`` gets a ``'`` in front; import removes exactly
one leading ``'`` from a cell that starts with ``'`` followed by one of those characters.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from pydantic import BaseModel, ValidationError

from models.batch import FORECAST_FILE_COLUMNS, ImportBatch, Progress
from models.errors import InputError, Problem
from models.files.columnar import parse_forecasts
from models.format import format_time
from models.limits import LONG_TEXT_MAX
from models.schemas import (
    EvidenceIn,
    ForecastIn,
    LevelIn,
    PartitionMemberIn,
    QuestionIn,
    RatioIn,
    ResearcherIn,
    ResolutionIn,
    format_evidence_refs,
    handle_problem,
)

FORMULA_START = ("=", "+", "-", "@", "'")


@dataclass(frozen=True)
class FileSpec:
    """One CSV format: its columns, which are required, and the schema each row becomes."""

    kind: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    model: type[BaseModel]
    batch_field: str
    #: CSV column → schema field, where they differ.
    rename: tuple[tuple[str, str], ...] = ()
    #: Columns holding free text (formula-neutralized); the others are numbers, times, flags.
    text: tuple[str, ...] = ()
    #: Columns naming a researcher by handle: they must follow the handle rule
    #: (:data:`models.schemas.HANDLE`), as a handle typed into a form does.
    handles: tuple[str, ...] = ()


FORECASTS = FileSpec(
    kind="forecasts",
    columns=FORECAST_FILE_COLUMNS,
    required=("researcher", "question", "probability", "as_of"),
    model=ForecastIn,
    batch_field="forecasts",
    text=("researcher", "question", "capability", "rationale", "evidence", "given"),
    handles=("researcher",),
)
QUESTIONS = FileSpec(
    kind="questions",
    columns=("question", "criteria", "tags", "resolve_by", "review_every_days"),
    required=("question",),
    model=QuestionIn,
    batch_field="questions",
    rename=(("question", "title"),),
    text=("question", "criteria", "tags"),
)
RESOLUTIONS = FileSpec(
    kind="resolutions",
    columns=("question", "outcome", "resolved_at", "capability", "note"),
    required=("question", "outcome", "resolved_at"),
    model=ResolutionIn,
    batch_field="resolutions",
    text=("question", "capability", "note"),
)
RESEARCHERS = FileSpec(
    kind="researchers",
    columns=("handle", "name"),
    required=("handle",),
    model=ResearcherIn,
    batch_field="researchers",
    text=("handle", "name"),
    handles=("handle",),
)
LEVELS = FileSpec(
    kind="levels",
    columns=("name", "position", "description"),
    required=("name",),
    model=LevelIn,
    batch_field="levels",
    text=("name", "description"),
)
EVIDENCE = FileSpec(
    kind="evidence",
    columns=("title", "url", "date", "summary", "kind", "status", "observed"),
    required=("title",),
    model=EvidenceIn,
    batch_field="evidence",
    text=("title", "url", "summary"),
)
RATIOS = FileSpec(
    kind="ratios",
    columns=(
        "researcher",
        "question",
        "capability",
        "evidence",
        "ratio",
        "as_of",
        "rationale",
        "recorded_at",
    ),
    required=("researcher", "question", "evidence", "ratio", "as_of"),
    model=RatioIn,
    batch_field="ratios",
    text=("researcher", "question", "capability", "evidence", "rationale"),
    handles=("researcher",),
)
PARTITIONS = FileSpec(
    kind="partitions",
    columns=("partition", "question", "researcher"),
    required=("partition", "question"),
    model=PartitionMemberIn,
    batch_field="partitions",
    text=("partition", "question", "researcher"),
    handles=("researcher",),
)
SPECS: dict[str, FileSpec] = {
    s.kind: s for s in (FORECASTS, QUESTIONS, RESOLUTIONS, RESEARCHERS, LEVELS, EVIDENCE, RATIOS, PARTITIONS)
}

#: The columns ``credence export csv`` writes, in order.
EXPORT_COLUMNS = ("id", *(c for c in FORECAST_FILE_COLUMNS if c != "id"))


def decode(data: bytes) -> str:
    """UTF-8 text without a BOM, or an error naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(
            [f"line {line}: byte 0x{data[err.start]:02x} is not UTF-8; save the file as UTF-8"]
        ) from None


def csv_problem(err: csv.Error) -> str:
    """Python's CSV reader's error in words a person can act on."""
    text = str(err)
    if "field larger than field limit" in text:
        limit = re.search(r"\((\d+)\)", text)
        most = f"{int(limit.group(1)):,}" if limit else "the limit"
        return f"a cell is longer than {most} characters (long text is at most {LONG_TEXT_MAX:,})"
    if "line contains NUL" in text or "NUL" in text:
        return "contains a NUL character; save the file as text"
    if "unexpected end of data" in text:
        return 'a quoted cell is not closed (a " without its closing ")'
    if "expected after" in text:
        return 'a quote inside a quoted cell must be doubled ("")'
    if "new-line character seen in unquoted field" in text:
        return "a line break inside a cell needs the cell in quotes"
    return f"is not readable CSV ({text})"


def records(text: str, spec: FileSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, {column: cell})`` for each data row; structural problems raise :class:`InputError`."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(["line 1: the file is empty; it needs a header row"]) from None
    except csv.Error as err:
        raise InputError([f"line 1: {csv_problem(err)}"]) from None
    header = [h.strip().lower() for h in header]
    problems = [f"line 1: missing required column {c!r}" for c in spec.required if c not in header]
    problems += [
        f"line 1: unknown column {h!r} (expected {', '.join(spec.columns)})"
        for h in header
        if h not in spec.columns
    ]
    problems += [
        f"line 1: column {h!r} appears twice" for h in sorted({h for h in header if header.count(h) > 1})
    ]
    if problems:
        raise InputError(problems)
    end = 1
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise InputError([f"line {start}: {csv_problem(err)}"]) from None
        end = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) > len(header):
            raise InputError([f"line {start}: has {len(row)} fields but the header has {len(header)}"])
        yield start, dict(zip(header, row, strict=False))


def unescape(cell: str) -> str:
    """Undo export's formula neutralization: ``'=1+1`` → ``=1+1``; other cells unchanged."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def escape(cell: str) -> str:
    """Neutralize a text cell a spreadsheet would run as a formula: ``=1+1`` → ``'=1+1``."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def validate_rows(
    rows: Iterator[tuple[int, dict[str, Any]]],
    model: type[BaseModel],
    progress: Progress | None = None,
    total: int = 0,
    on_row: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None,
    handles: tuple[str, ...] = (),
) -> list[Any]:
    """Each row validated by ``model``; all problems at once as ``line N: field message``.

    ``handles``: fields that name a researcher, refused (with the form's message) unless they
    follow the handle rule."""
    items: list[Any] = []
    problems: list[Problem] = []
    order = {name: i for i, name in enumerate(model.model_fields)}
    for n, (line, row) in enumerate(rows, start=1):
        found: list[Problem] = []
        item = None
        fields: dict[str, Any] = row
        try:
            fields = on_row(line, row) if on_row else row
            item = model.model_validate({**fields, "line": line})
        except ValidationError as err:
            found.extend(Problem.from_validation_error(err, line))
        except InputError as err:
            problems.extend(err.items)
            continue
        found += [
            Problem(message, name, line)
            for name in handles
            if (message := handle_problem(str(fields.get(name) or "").strip())) is not None
        ]
        if found:  # in field order, as the column-by-column reader reports them
            problems.extend(sorted(found, key=lambda p: order.get(p.field, len(order))))
        elif item is not None:
            items.append(item)
        if progress and n % 10000 == 0:
            progress("checking rows", n, total)
    if problems:
        raise InputError(problems)
    return items


#: From this many lines on, a forecasts file is read column by column.  Below, checking each row
#: is faster than that reader's fixed cost (pyarrow's reader, a frame per column): 3 ms against
#: 30 ms for 50 rows, even at about 500.
COLUMNAR_FROM_LINES = 500


def parse(data: bytes, kind: str, progress: Progress | None = None) -> ImportBatch:
    """A validated :class:`ImportBatch` from the bytes of a ``kind`` file (see :data:`SPECS`).

    Forecasts files of :data:`COLUMNAR_FROM_LINES` lines or more are read column by column
    (:mod:`models.files.columnar`) when they have the regular shape that reader handles, with
    the same rules and messages as :func:`parse_rows`; anything else goes row by row.
    """
    spec = SPECS[kind]
    if kind == "forecasts" and data.count(b"\n") >= COLUMNAR_FROM_LINES:
        table = parse_forecasts(data, spec.columns, spec.required, progress)
        if table is not None:
            return ImportBatch(forecast_table=table.frame, rows=len(table.frame))
    return parse_rows(data, kind, progress)


def parse_rows(data: bytes, kind: str, progress: Progress | None = None) -> ImportBatch:
    """:func:`parse`, one row at a time through the schema (the reference for every reader)."""
    spec = SPECS[kind]
    text = decode(data)
    rename = dict(spec.rename)

    def fields(_line: int, row: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for col, cell in row.items():
            if col in spec.text:
                cell = unescape(cell)
            if cell.strip() or col in spec.required:
                out[rename.get(col, col)] = cell
        return out

    total = text.count("\n")
    items = validate_rows(records(text, spec), spec.model, progress, total, fields, spec.handles)
    batch = ImportBatch(rows=len(items))
    getattr(batch, spec.batch_field).extend(items)
    return batch


def _forecast_rows(df: pd.DataFrame, refs: Mapping[int, list[tuple[str, str | None]]]) -> Iterator[list[str]]:
    for r in df.itertuples(index=False):
        yield [
            str(r.id),
            escape(r.researcher),
            escape(r.question),
            repr(float(r.probability)),
            format_time(r.as_of.to_pydatetime()),
            escape(r.level or ""),
            escape(r.rationale),
            escape(format_evidence_refs(refs.get(r.id, []))),
            "true" if r.reconstructed else "false",
            format_time(r.recorded_at.to_pydatetime()),
            escape(r.given or ""),
            r.given_outcome or "",
        ]


def write_forecasts(
    df: pd.DataFrame, refs: Mapping[int, list[tuple[str, str | None]]], out: io.TextIOBase | Any
) -> int:
    """Write forecasts (:func:`models.store.reads.current_forecasts`) as interchange CSV (plus ``id`` and
    ``recorded_at``); returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for row in _forecast_rows(df, refs):
        writer.writerow(row)
        n += 1
    return n


def _time_cell(value: Any) -> str:
    return "" if value is None or pd.isna(value) else format_time(pd.Timestamp(value).to_pydatetime())


def _write(out: io.TextIOBase | Any, columns: tuple[str, ...], rows: Iterator[list[str]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(row)
        n += 1
    return n


def write_ratios(df: pd.DataFrame, out: io.TextIOBase | Any) -> int:
    """Write likelihood ratios (:func:`models.store.reads.ratios_frame`) as a ratios file, with
    ``recorded_at`` so that importing it keeps each ratio pre-registered or post hoc; returns the
    row count.  Ratios are written as plain numbers (``×1/3`` becomes ``0.3333333333333333``)."""
    rows = (
        [
            escape(r.researcher), escape(r.question), escape(r.level or ""), escape(r.evidence),
            repr(float(r.ratio)), _time_cell(r.as_of), escape(r.rationale or ""), _time_cell(r.recorded_at),
        ]
        for r in df.itertuples(index=False)
    )  # fmt: skip
    return _write(out, RATIOS.columns, rows)


def write_evidence(df: pd.DataFrame, out: io.TextIOBase | Any) -> int:
    """Write the evidence library (:func:`models.store.reads.evidence_frame`) as an evidence file,
    with each item's ``status`` and ``observed`` date; returns the row count."""
    rows = (
        [
            escape(r.evidence), escape(r.url or ""), _time_cell(r.published), escape(r.summary or ""),
            r.kind or "other", r.status or "observed", _time_cell(r.observed_at),
        ]
        for r in df.itertuples(index=False)
    )  # fmt: skip
    return _write(out, EVIDENCE.columns, rows)


def write_questions(df: pd.DataFrame, out: io.TextIOBase | Any) -> int:
    """Write questions (:func:`models.store.reads.questions_frame`) as a questions file, with each
    one's ``resolve_by`` and ``review_every_days`` (empty: the default); returns the row count.
    Resolutions are not part of it (they have their own file)."""
    rows = (
        [
            escape(r.question), escape(r.criteria or ""), escape(";".join(r.tags or ())), _time_cell(r.resolve_by),
            "" if pd.isna(r.review_every_days) else str(int(r.review_every_days)),
        ]
        for r in df.itertuples(index=False)
    )  # fmt: skip
    return _write(out, QUESTIONS.columns, rows)
