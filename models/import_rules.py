"""The rules every import path applies to a validated batch before writing it.

Pure functions over a batch (``researchers``, ``levels``, ``evidence``, ``questions``,
``forecasts``, ``resolutions`` lists of validated inputs) and plain facts read from the
database, so the CSV, Fatebook and any faster bulk path share one rule set:

* **One row per thing in a file.** Rows that describe the same researcher, capability
  level, evidence item, question or resolution are collapsed when identical and refused
  when they differ, naming both lines (:func:`one_row_per_thing`).  Which row would win
  is never left to chance.
* **Conflicts with stored data update, keeping a revision**: a row describing a stored
  thing with different values replaces them and keeps the earlier ones in the revision
  history (the writer does this; :func:`described` gives the values to compare).
* **Deleted things are not written to.** A row that names or describes a soft-deleted
  question, researcher, capability level or evidence item is refused with
  ``… is deleted; restore it first`` (:func:`refuse_deleted`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import pandas as pd

from models.batch import evidence_titles
from models.errors import InputError

#: batch field → (label used in messages, the attribute naming the thing)
KINDS: dict[str, tuple[str, str]] = {
    "researchers": ("researcher", "handle"),
    "levels": ("capability level", "name"),
    "evidence": ("evidence", "title"),
    "questions": ("question", "title"),
    "resolutions": ("resolution of question", "question"),
}


def _where(line: int | None) -> str:
    return f"line {line}: " if line else ""


def described(item: Any) -> tuple[Any, ...]:
    """The values a row sets (everything but its line), for comparing two rows."""
    return tuple(sorted((k, v) for k, v in item.model_dump().items() if k != "line"))


def one_row_per_thing(batch: Any) -> None:
    """Collapse identical rows describing one thing; refuse differing ones (both lines named).

    Raises :class:`InputError` listing every conflict; otherwise removes the repeated
    identical rows from ``batch`` in place, keeping the first.
    """
    problems: list[str] = []
    for field, (label, key) in KINDS.items():
        rows = getattr(batch, field)
        first: dict[str, Any] = {}
        kept = []
        for item in rows:
            name = getattr(item, key)
            seen = first.get(name)
            if seen is None:
                first[name] = item
                kept.append(item)
            elif described(seen) != described(item):
                problems.append(
                    f"{_where(item.line)}{label} {name!r} is described differently on line {seen.line}; "
                    "keep one row for it"
                )
        rows[:] = kept
    if problems:
        ordered: list[str] = sorted(problems, key=_line_of)
        raise InputError(ordered)


def _line_of(problem: str) -> int:
    head = problem.split(":", 1)[0]
    return int(head[5:]) if head.startswith("line ") and head[5:].isdigit() else 0


def _forecast_frame(batch: Any) -> pd.DataFrame | None:
    """The batch's forecasts as columns, when it holds them that way (a large file) or can."""
    return batch.forecast_rows() if hasattr(batch, "forecast_rows") else None


def mentions(batch: Any) -> dict[str, list[tuple[str, int | None]]]:
    """Every (name, line) the batch names or describes, per kind of thing."""
    out: dict[str, list[tuple[str, int | None]]] = {
        "researchers": [], "levels": [], "evidence": [], "questions": [],
    }  # fmt: skip
    for r in batch.researchers:
        out["researchers"].append((r.handle, r.line))
    for lv in batch.levels:
        out["levels"].append((lv.name, lv.line))
    for e in batch.evidence:
        out["evidence"].append((e.title, e.line))
    for q in batch.questions:
        out["questions"].append((q.title, q.line))
    # Forecasts may come as validated rows or as columns (a large file): read the columns.
    frame = _forecast_frame(batch)
    rows = (
        zip(
            frame["researcher"],
            frame["question"],
            frame["capability"],
            frame["evidence"],
            frame["line"],
            strict=True,
        )
        if frame is not None
        else ((f.researcher, f.question, f.capability, f.evidence, f.line) for f in batch.forecasts)
    )
    for researcher, question, capability, refs, raw_line in rows:
        line = None if raw_line is None or raw_line != raw_line else int(raw_line)
        out["researchers"].append((researcher, line))
        out["questions"].append((question, line))
        if capability:
            out["levels"].append((capability, line))
        out["evidence"].extend((ref.title, line) for ref in refs)
    for res in batch.resolutions:
        out["questions"].append((res.question, res.line))
        if res.capability:
            out["levels"].append((res.capability, res.line))
    for ratio in getattr(batch, "ratios", []):
        out["researchers"].append((ratio.researcher, ratio.line))
        out["questions"].append((ratio.question, ratio.line))
        out["evidence"].append((ratio.evidence, ratio.line))
        if ratio.capability:
            out["levels"].append((ratio.capability, ratio.line))
    return out


LABELS = {
    "researchers": "researcher",
    "levels": "capability level",
    "evidence": "evidence",
    "questions": "question",
}


def refuse_deleted(batch: Any, deleted: Mapping[str, Iterable[str]]) -> None:
    """Refuse every row that names a soft-deleted thing (``deleted``: kind → names).

    ``deleted`` holds, per kind (``researchers``, ``levels``, ``evidence``, ``questions``),
    the names of the batch's things that are stored and soft-deleted.
    """
    if not any(deleted.values()):
        return  # the usual case: nothing named is deleted, so no line needs naming
    problems: list[str] = []
    for kind, named in mentions(batch).items():
        gone = set(deleted.get(kind, ()))
        if not gone:
            continue
        reported: set[tuple[str, int | None]] = set()
        for name, line in named:
            if name in gone and (name, line) not in reported:
                reported.add((name, line))
                problems.append(f"{_where(line)}{LABELS[kind]} {name!r} is deleted; restore it first")
    if problems:
        ordered: list[str] = sorted(problems, key=_line_of)
        raise InputError(ordered)


def names(batch: Any) -> dict[str, set[str]]:
    """Per kind, the set of names the batch mentions (for reading their deleted state).

    The same names as :func:`mentions` gives, read from the forecasts' columns at once.
    """
    frame = _forecast_frame(batch)
    if frame is None:
        return {kind: {n for n, _ in named} for kind, named in mentions(batch).items()}
    rest = mentions(replace(batch, forecasts=[], forecast_table=frame.iloc[:0]))
    out = {kind: {n for n, _ in named} for kind, named in rest.items()}
    out["researchers"].update(frame["researcher"].unique())
    out["questions"].update(frame["question"].unique())
    out["levels"].update(c for c in frame["capability"].dropna().unique() if c)
    out["evidence"].update(evidence_titles(frame))
    return out


def is_empty(batch: Any) -> bool:
    """Whether the batch holds no row of any kind (a header-only file): nothing to write."""
    table = getattr(batch, "forecast_table", None)
    if table is not None and len(table):
        return False
    return not any(rows for rows in vars(batch).values() if isinstance(rows, list))
