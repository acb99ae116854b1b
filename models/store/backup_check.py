"""Checking a backup file before restore writes any of it.

A backup is trusted no more than any other input.  :func:`check_tables` validates every
row of every table and returns the rows ready to insert, or raises
:class:`~models.errors.InputError` naming the table and row of each problem
(``table forecast, row 3 (id 17): probability 750% is above 100%``), so a tampered or
truncated file is refused whole and restore never fails half-way with a database error.

Checks, in order:

* shape: ``tables`` maps known table names to lists of objects, each with known columns
  and every required column;
* each value against its column: type, nullability, length, no NUL, finite numbers,
  times in the supported range (:mod:`models.limits`);
* each row of user data through the same input schemas as every other path (probability,
  outcome, direction, evidence kind, URL, text limits);
* across rows: primary keys and unique columns are unique, and every foreign key names a
  row of the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from models.errors import InputError
from models.format import parse_time
from models.limits import ID_MAX, check_finite, check_text, check_time
from models.schemas import (
    EvidenceIn,
    ForecastIn,
    LevelIn,
    QuestionIn,
    ResearcherIn,
    ResolutionIn,
)
from models.vocab import Direction

MAX_PROBLEMS = 50


def _value(column: sa.Column[Any], value: Any) -> Any:
    """``value`` converted for ``column``, or ValueError saying why it does not fit."""
    if value is None:
        if not column.nullable:
            raise ValueError("must not be empty (null)")
        return None
    kind = column.type
    if isinstance(kind, sa.types.TypeDecorator) and isinstance(kind.impl, sa.DateTime):
        if not isinstance(value, str):
            raise ValueError("must be a time in ISO 8601 text")
        try:
            dt = parse_time(value)
        except Exception as err:  # pydantic's custom error or ValueError: both are messages
            raise ValueError(str(err)) from None
        return check_time(dt)
    if isinstance(kind, sa.Boolean):
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if isinstance(kind, sa.Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not -ID_MAX - 1 <= value <= ID_MAX:
            raise ValueError(f"{value} is out of range")
        return value
    if isinstance(kind, sa.Float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        return check_finite(float(value))
    if isinstance(kind, sa.String):  # String, Text, AutoString
        if not isinstance(value, str):
            raise ValueError("must be text")
        return check_text(value, kind.length)
    if isinstance(kind, sa.LargeBinary):
        raise ValueError("binary columns are not restored")
    return value


def _row_schema_checks() -> dict[str, Callable[[dict[str, Any], dict[str, dict[int, dict[str, Any]]]], None]]:
    """Per table: validate a converted row with the input schema of its kind."""

    def researcher(r: dict[str, Any], _: Any) -> None:
        ResearcherIn(handle=r["handle"], name=r.get("name", ""))

    def level(r: dict[str, Any], _: Any) -> None:
        LevelIn(name=r["name"], position=r["position"], description=r.get("description", ""))

    def question(r: dict[str, Any], _: Any) -> None:
        QuestionIn(title=r["title"], criteria=r.get("criteria", ""), tags=r.get("tags", ""),
                   resolve_by=r.get("resolve_by"), review_every_days=r.get("review_every_days"))  # fmt: skip
        if r.get("outcome") is not None or r.get("resolved_at") is not None:
            if r.get("outcome") is None or r.get("resolved_at") is None:
                raise ValueError("outcome and resolved at must be set together")
            ResolutionIn(question=r["title"], outcome=r["outcome"], resolved_at=r["resolved_at"],
                         note=r.get("resolution_note", ""))  # fmt: skip

    def evidence(r: dict[str, Any], _: Any) -> None:
        EvidenceIn(title=r["title"], url=r.get("url"), date=r.get("published"), summary=r.get("summary", ""),
                   kind=r.get("kind") or "other")  # fmt: skip

    def forecast(r: dict[str, Any], rows: dict[str, dict[int, dict[str, Any]]]) -> None:
        who = rows.get("researcher", {}).get(r["researcher_id"], {}).get("handle", "x")
        what = rows.get("question", {}).get(r["question_id"], {}).get("title", "x")
        ForecastIn(researcher=who, question=what, probability=r["probability"], as_of=r["as_of"],
                   rationale=r.get("rationale", ""), reconstructed=r.get("reconstructed", False),
                   id=r.get("id"), recorded_at=r.get("recorded_at"))  # fmt: skip

    def link(r: dict[str, Any], _: Any) -> None:
        if r.get("direction") is not None and r["direction"] not in Direction.__members__:
            raise ValueError(f"direction {r['direction']!r} is not one of raised, lowered, no change")
        check_text(r.get("note", ""))

    def revision(r: dict[str, Any], _: Any) -> None:
        try:
            data = json.loads(r["data"])
        except (TypeError, ValueError):
            raise ValueError("data is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("data is not a JSON object")

    return {
        "researcher": researcher,
        "capability_level": level,
        "question": question,
        "evidence": evidence,
        "forecast": forecast,
        "forecast_evidence": link,
        "revision": revision,
    }


def _label(table: str, n: int, row: Any) -> str:
    ident = f" (id {row['id']})" if isinstance(row, dict) and isinstance(row.get("id"), int) else ""
    return f"table {table}, row {n}{ident}"


def check_tables(doc_tables: Any, tables: list[sa.Table]) -> dict[str, list[dict[str, Any]]]:
    """Every row of a backup's ``tables`` object validated and converted, parents first.

    Raises :class:`InputError` with one line per problem (at most :data:`MAX_PROBLEMS`),
    each naming the table and row (1-based, in file order).
    """
    if not isinstance(doc_tables, dict):
        raise InputError(['the backup has no "tables" object'])
    known = {t.name: t for t in tables}
    problems = [f"table {name!r} is not a Credence table" for name in doc_tables if name not in known]
    checks = _row_schema_checks()
    out: dict[str, list[dict[str, Any]]] = {}
    by_id: dict[str, dict[int, dict[str, Any]]] = {}
    keys: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = {}
    for table in tables:
        raw = doc_tables.get(table.name, [])
        if not isinstance(raw, list):
            problems.append(f"table {table.name}: is not a list of rows")
            continue
        required = {
            c.name
            for c in table.columns
            if not c.nullable and c.server_default is None and c.default is None and not _autoincrement(c)
        }
        uniques = _unique_sets(table)
        rows: list[dict[str, Any]] = []
        for n, row in enumerate(raw, start=1):
            where = _label(table.name, n, row)
            if not isinstance(row, dict):
                problems.append(f"{where}: is not an object")
                continue
            row_problems = [f"{where}: unknown column {k!r}" for k in row if k not in table.columns]
            row_problems += [f"{where}: missing column {k!r}" for k in sorted(required - row.keys())]
            converted: dict[str, Any] = {}
            for name, value in row.items():
                if name not in table.columns:
                    continue
                try:
                    converted[name] = _value(table.columns[name], value)
                except ValueError as err:
                    row_problems.append(f"{where}: {name.replace('_', ' ')} {err}")
            if not row_problems and table.name in checks:
                try:
                    checks[table.name](converted, by_id)
                except ValidationError as err:
                    row_problems += [f"{where}: {p}" for p in InputError.from_validation_error(err).problems]
                except ValueError as err:
                    row_problems.append(f"{where}: {err}")
            if not row_problems:
                row_problems += _integrity(table, converted, where, uniques, keys, by_id)
            problems += row_problems
            if len(problems) >= MAX_PROBLEMS:
                raise InputError(problems)
            if not row_problems:
                rows.append(converted)
                if isinstance(converted.get("id"), int):
                    by_id.setdefault(table.name, {})[converted["id"]] = converted
        out[table.name] = rows
    if problems:
        raise InputError(problems)
    return out


def _autoincrement(column: sa.Column[Any]) -> bool:
    return bool(
        column.primary_key and isinstance(column.type, sa.Integer) and len(column.table.primary_key) == 1
    )


def _unique_sets(table: sa.Table) -> list[tuple[str, ...]]:
    sets = [tuple(c.name for c in table.primary_key.columns)]
    sets += [(c.name,) for c in table.columns if c.unique]
    sets += [
        tuple(c.name for c in con.columns)
        for con in table.constraints
        if isinstance(con, sa.UniqueConstraint) and not isinstance(con, sa.PrimaryKeyConstraint)
    ]
    sets += [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
    return [s for s in dict.fromkeys(sets) if s]


def _integrity(
    table: sa.Table,
    row: dict[str, Any],
    where: str,
    uniques: list[tuple[str, ...]],
    keys: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]],
    by_id: dict[str, dict[int, dict[str, Any]]],
) -> list[str]:
    problems: list[str] = []
    for cols in uniques:
        value = tuple(row.get(c) for c in cols)
        if any(v is None for v in value):
            continue
        seen = keys.setdefault((table.name, cols), set())
        if value in seen:
            shown = ", ".join(f"{c} {v!r}" for c, v in zip(cols, value, strict=True))
            problems.append(f"{where}: {shown} appears in an earlier row; it must be unique")
        seen.add(value)
    for fk in table.foreign_keys:
        ref = row.get(fk.parent.name)
        target = fk.column.table.name
        if ref is None or fk.column.name != "id":
            continue
        if ref not in by_id.get(target, {}):
            problems.append(
                f"{where}: {fk.parent.name.replace('_', ' ')} {ref} names no row of table {target}"
            )
    return problems


def is_datetime_column(column: sa.Column[Any]) -> bool:
    kind = column.type
    return isinstance(kind, sa.DateTime) or (
        isinstance(kind, sa.types.TypeDecorator) and isinstance(kind.impl, sa.DateTime)
    )
