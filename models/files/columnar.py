"""Reading a large forecasts file column by column: same rules and messages, a hundred times fewer checks.

:func:`models.interchange.parse` validates each row with :class:`models.schemas.ForecastIn`,
which on a million rows means a million model validations and a million Python objects.
Columns repeat themselves (50 researchers, 2,000 questions, 1,000 distinct probabilities),
so :func:`parse_forecasts` reads the file with pyarrow's streaming CSV reader, validates each
*distinct* cell of a column once, with the schema's own field (the same validators, so the
same rules and the same messages), and spreads the results back to the rows:

* columns whose values are mostly distinct (``as_of``, ``recorded_at``, ``id``) take a vectorized
  path for the plain ISO 8601 and integer forms the exports write; their smallest and largest
  values go through the schema too (its rules on times and ids are ranges), and any value
  outside that path, or any refusal, is checked one by one by the schema;
* a refused cell gives ``line N: field message`` for every line holding it, in line order,
  exactly as the row-by-row parser would.

When the file is not the regular shape this path expects (a quoted line break, a blank
line, a short or long row, bytes that are not UTF-8, a schema with cross-field rules) it
returns None and the caller uses the row-by-row parser, whose messages are the contract.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from pydantic import TypeAdapter, ValidationError

from models.batch import FORECAST_FILE_COLUMNS, Progress
from models.errors import InputError, Problem
from models.schemas import ForecastIn, handle_problem

REQUIRED = ("researcher", "question", "probability", "as_of")
#: Fields of a forecast given another question's outcome; a file that has their columns is read
#: row by row (the "another question" rule spans two columns), one without them is unconditional.
CONDITION = ("given", "given_outcome")
#: The columns this reader checks, in the order the row-by-row parser reports problems.
COLUMNS = tuple(c for c in FORECAST_FILE_COLUMNS if c not in CONDITION)
TEXT = ("researcher", "question", "capability", "rationale", "evidence")
FORMULA_START = ("=", "+", "-", "@", "'")
#: A row every field of which is valid, to validate one cell at a time inside a whole model.
_TEMPLATE = {"researcher": "r", "question": "q", "probability": "0.5", "as_of": "2000-01-01"}
_BLOCK = 1 << 24  # bytes per streamed batch (about 200,000 rows of a typical file)

_PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)?(?:Z|\+00:00)?$")
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n|\n[ \t\r]+\Z")
_PLAIN_INT = re.compile(r"^[1-9]\d{0,17}$")


class _Irregular(Exception):
    """A value this reader does not hold; the row-by-row reader takes the file."""


@dataclass
class ForecastTable:
    """Validated forecast rows as columns (what a list of ``ForecastIn`` holds, one array per field).

    ``line``: the file line (header = 1); ``researcher``, ``question``: text; ``capability``:
    text or None; ``probability``: float64 in [0, 1]; ``as_of``, ``recorded_at``: UTC times
    (NaT when absent); ``rationale``: text; ``evidence``: a list of :class:`EvidenceRef` per row;
    ``reconstructed``: bool; ``id``: Int64 (NA when absent).
    """

    frame: pd.DataFrame

    def __len__(self) -> int:
        return len(self.frame)


def _field(name: str) -> TypeAdapter[list[Any]]:
    info = ForecastIn.model_fields[name]
    return TypeAdapter(list[Annotated[info.annotation, info]])  # type: ignore[name-defined]


def _check_one(name: str, value: str) -> list[Problem] | Any:
    """The model's verdict on one cell: its value, or its problems."""
    try:
        return getattr(ForecastIn.model_validate({**_TEMPLATE, name: value}), name)
    except ValidationError as err:
        found = [p for p in Problem.from_validation_error(err) if p.field == name]
        return found or [Problem("is not valid", name)]


class _Column:
    """Distinct cells of one column, each validated once (results kept across batches)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.adapter = _field(name)
        self.known: dict[str, Any] = {}
        self.refused: dict[str, list[Problem]] = {}

    def check(self, values: list[str]) -> None:
        fresh = [v for v in values if v not in self.known and v not in self.refused]
        checked = list(fresh)
        while fresh:
            try:
                parsed = self.adapter.validate_python(fresh)
            except ValidationError as err:
                bad = {int(e["loc"][0]) for e in err.errors() if e["loc"]}
                for i in sorted(bad):
                    verdict = _check_one(self.name, fresh[i])
                    if isinstance(verdict, list):
                        self.refused[fresh[i]] = verdict
                    else:
                        self.known[fresh[i]] = verdict
                fresh = [v for i, v in enumerate(fresh) if i not in bad]
                if not bad:  # an error without a position: check every value alone
                    for v in fresh:
                        verdict = _check_one(self.name, v)
                        (self.refused if isinstance(verdict, list) else self.known)[v] = verdict
                    fresh = []
                continue
            self.known.update(zip(fresh, parsed, strict=True))
            fresh = []
        if self.name == "researcher":  # the handle rule, with the form's message
            for cell in checked:
                if cell in self.known and (message := handle_problem(self.known[cell])) is not None:
                    del self.known[cell]
                    self.refused[cell] = [Problem(message, "researcher")]


def _unescape(values: list[str]) -> list[str]:
    return [v[1:] if len(v) > 1 and v[0] == "'" and v[1] in FORMULA_START else v for v in values]


def _header(data: bytes) -> list[str] | None:
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    if b'"' in first:
        return None
    try:
        line = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        header = next(csv.reader(io.StringIO(line)), [])
    except csv.Error:
        return None  # (a stray carriage return, say): the row-by-row parser words it
    names = [h.strip().lower() for h in header]
    if not names or any(n not in COLUMNS for n in names) or len(set(names)) < len(names):
        return None  # the row-by-row parser words what is wrong with the header
    if any(c not in names for c in REQUIRED):
        return None
    return names


def _supported(columns: tuple[str, ...], required: tuple[str, ...]) -> bool:
    """This reader knows every column and field, and the schema has no cross-field rules
    (with those, checking cells one column at a time would not be exact)."""
    return (
        columns == FORECAST_FILE_COLUMNS
        and FORECAST_FILE_COLUMNS == COLUMNS + CONDITION
        and required == REQUIRED
        and not ForecastIn.__pydantic_decorators__.model_validators
    )


def parse_forecasts(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...], progress: Progress | None = None
) -> ForecastTable | None:
    """A validated :class:`ForecastTable` from a forecasts file, or None to use the row-by-row parser.

    ``columns`` and ``required``: the file format's (``models.files.interchange.FORECASTS``).

    Raises :class:`InputError` with every problem (``line N: field message``, in line order,
    fields in column order) when a cell is refused; nothing is returned partly.
    """
    if not _supported(columns, required):
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    names = _header(data)
    if names is None or _BLANK_LINE.search(data):
        return None  # the row reader words header problems and skips blank lines
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    expected = lines - 1
    checkers = {name: _Column(name) for name in COLUMNS if name in names}
    parts: list[pd.DataFrame] = []
    problems: list[tuple[int, int, Problem]] = []
    done = 0
    try:
        reader = pa_csv.open_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(
                block_size=_BLOCK, column_names=names, skip_rows=1, use_threads=False
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            part, found = _batch(batch, checkers, done)
            parts.append(part)
            problems.extend(found)
            done += batch.num_rows
            if progress:
                progress("checking rows", done, expected)
    except (pa.ArrowInvalid, UnicodeDecodeError, _Irregular):
        return None  # irregular rows: the row-by-row parser words the problem
    if done != expected:
        return None  # blank lines or line breaks inside cells: line numbers need the row parser
    if problems:
        problems.sort()
        raise InputError([problem for _, _, problem in problems])
    frame = _concat(parts) if parts else _empty()
    del parts, reader
    # pyarrow's allocator keeps what the reader freed (about 90 MB for a million rows) for
    # reuse; the import that follows needs the memory more.
    pa.default_memory_pool().release_unused()
    for name in CONDITION:  # every forecast of such a file is unconditional
        frame[name] = pd.Series([None] * len(frame), dtype="object")
    return ForecastTable(frame)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(parts)``, a column at a time, letting each part's column go once copied.

    The parts' columns are separate arrays (see :func:`_batch`), so a large file never needs
    twice its columns in memory at once.
    """
    columns: dict[str, pd.Series] = {}
    for name in list(parts[0].columns):
        columns[name] = pd.concat([part[name] for part in parts], ignore_index=True)
        for part in parts:
            del part[name]
    return pd.DataFrame(columns, copy=False)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line": pd.Series(dtype="int64"),
            "researcher": pd.Series(dtype="object"),
            "question": pd.Series(dtype="object"),
            "probability": pd.Series(dtype="float64"),
            "as_of": pd.Series(dtype="datetime64[ns, UTC]"),
            "capability": pd.Series(dtype="object"),
            "rationale": pd.Series(dtype="object"),
            "evidence": pd.Series(dtype="object"),
            "reconstructed": pd.Series(dtype="bool"),
            "id": pd.Series(dtype="Int64"),
            "recorded_at": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )


_DEFAULTS: dict[str, Any] = {"capability": None, "rationale": "", "evidence": [], "reconstructed": False,
                             "id": None, "recorded_at": None}  # fmt: skip


def _distinct(array: pa.Array) -> tuple[list[str], np.ndarray]:
    encoded = (
        pc.dictionary_encode(array).combine_chunks()
        if isinstance(array, pa.ChunkedArray)
        else pc.dictionary_encode(array)
    )
    return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)


def _batch(
    batch: pa.RecordBatch, columns: dict[str, _Column], offset: int
) -> tuple[pd.DataFrame, list[tuple[int, int, Problem]]]:
    n = batch.num_rows
    line = np.arange(offset + 2, offset + 2 + n, dtype="int64")
    out: dict[str, Any] = {"line": line}
    problems: list[tuple[int, int, Problem]] = []
    for position, name in enumerate(COLUMNS):
        if name not in columns:
            out[name] = (
                [_DEFAULTS[name]] * n if name == "evidence" else np.full(n, _DEFAULTS[name], dtype="object")
            )
            continue
        raw = batch.column(name)
        if name in ("as_of", "recorded_at", "id"):
            values, refused = _wide(columns[name], raw, name)
        else:
            values, refused = _narrow(columns[name], raw, name)
        out[name] = values
        for row, found in refused:
            problems.extend((int(line[row]), position, p.at_line(int(line[row]))) for p in found)
    frame = pd.DataFrame(
        {
            "line": out["line"],
            "researcher": pd.Series(out["researcher"], dtype="object"),
            "question": pd.Series(out["question"], dtype="object"),
            "probability": pd.to_numeric(pd.Series(out["probability"], dtype="object"), errors="coerce"),
            "as_of": _times(out["as_of"]),
            "capability": pd.Series(out["capability"], dtype="object"),
            "rationale": pd.Series(out["rationale"], dtype="object"),
            "evidence": pd.Series(out["evidence"], dtype="object"),
            "reconstructed": pd.Series(out["reconstructed"], dtype="object").fillna(False).astype("bool"),
            "id": pd.array(pd.Series(out["id"], dtype="object"), dtype="Int64"),
            "recorded_at": _times(out["recorded_at"]),
        },
        copy=False,  # one array per column: :func:`_concat` frees them one by one
    )
    return frame, problems


def _times(values: Any) -> pd.Series:
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.reset_index(drop=True).astype("datetime64[ns, UTC]")
    return pd.Series(pd.to_datetime(pd.Series(values, dtype="object"), utc=True), dtype="datetime64[ns, UTC]")


def _narrow(column: _Column, raw: pa.Array, name: str) -> tuple[Any, list[tuple[int, list[Problem]]]]:
    """Validate each distinct cell once; spread values (and refusals) back to the rows."""
    uniques, index = _distinct(raw)
    cells = _unescape(uniques) if name in TEXT else uniques
    required = name in REQUIRED
    checked = [c for c in cells if required or c.strip()]
    column.check(checked)
    results = np.empty(len(cells), dtype="object")
    bad: dict[int, list[Problem]] = {}
    for i, cell in enumerate(cells):
        if not required and not cell.strip():
            results[i] = [] if name == "evidence" else _DEFAULTS[name]
        elif cell in column.refused:
            bad[i] = column.refused[cell]
            results[i] = None
        else:
            results[i] = column.known[cell]
    refused: list[tuple[int, list[Problem]]] = []
    if bad:
        for row in np.flatnonzero(np.isin(index, list(bad))):
            refused.append((int(row), bad[int(index[row])]))
    return results[index], refused


_NAT = np.iinfo("int64").min


def _plain_times(raw: pa.Array, plain: np.ndarray) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of the plain ISO 8601 cells; NaT elsewhere."""
    ns = np.full(len(raw), _NAT, dtype="int64")
    if not plain.any():
        return ns
    subset = pc.filter(raw, pa.array(plain))
    naive = pc.replace_substring_regex(subset, r"(Z|\+00:00)$", "")  # the pattern allows no other offset
    try:
        ns[plain] = pc.cast(naive, pa.timestamp("ns")).to_numpy(zero_copy_only=False).view("int64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. 2025-02-30: the schema words it
        parsed = pd.to_datetime(pd.Series(subset.to_pylist()), utc=True, format="ISO8601", errors="coerce")
        ns[plain] = parsed.array.asi8
    return ns


def _wide(column: _Column, raw: pa.Array, name: str) -> tuple[Any, list[tuple[int, list[Problem]]]]:
    """Mostly distinct cells: vectorized for the plain forms, the schema for the rest and the extremes."""
    n = len(raw)
    empty = pc.equal(pc.utf8_trim_whitespace(raw), "").to_numpy(zero_copy_only=False)
    pattern = _PLAIN_INT if name == "id" else _PLAIN_TIME
    plain = pc.match_substring_regex(raw, pattern.pattern).to_numpy(zero_copy_only=False) & ~empty
    if name == "id":
        numbers = np.zeros(n, dtype="int64")
        if plain.any():
            numbers[plain] = pc.cast(pc.filter(raw, pa.array(plain)), pa.int64()).to_numpy()
        ok = plain.copy()
    else:
        numbers = _plain_times(raw, plain)
        ok = plain & (numbers != _NAT)
    check = ~ok if name == "as_of" else ~ok & ~empty  # an empty as_of is refused as required
    # The schema's rules on these columns are ranges: the extremes stand for the rest.
    if ok.any():
        rows = np.flatnonzero(ok)
        extremes = [int(rows[int(np.argmin(numbers[ok]))]), int(rows[int(np.argmax(numbers[ok]))])]
        column.check([raw[r].as_py() for r in extremes])
        if any(raw[r].as_py() in column.refused for r in extremes):
            check = np.ones(n, dtype="bool") if name == "as_of" else ~empty
    missing = ~ok & ~check  # empty optional cells
    refused: list[tuple[int, list[Problem]]] = []
    others = np.flatnonzero(check)
    if len(others):
        cells = pc.take(raw, pa.array(others)).to_pylist()
        column.check(list(dict.fromkeys(cells)))
        for row, cell in zip(others.tolist(), cells, strict=True):
            if cell in column.refused:
                refused.append((row, column.refused[cell]))
                missing[row] = True
            elif name == "id":
                if not -(2**63) <= column.known[cell] < 2**63:
                    raise _Irregular  # beyond 64 bits: the row reader's path decides
                numbers[row] = column.known[cell]
            else:
                try:
                    numbers[row] = pd.Timestamp(column.known[cell]).as_unit("ns").value
                except (OverflowError, pd.errors.OutOfBoundsDatetime):
                    raise _Irregular from None  # outside what a frame holds: the row reader's path decides
    if name == "id":
        values = pd.array(numbers, dtype="Int64")
        values[missing] = pd.NA
        return values, refused
    numbers[missing] = _NAT
    return pd.Series(numbers.view("datetime64[ns]")).dt.tz_localize("UTC"), refused
