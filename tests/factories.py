"""Deterministic test data, written as the files and inputs users give Credence."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner, Result

from models.actions import load_demo
from models.cli import app as cli_app
from models.frames import (
    EVIDENCE,
    EVIDENCE_LINKS,
    FORECASTS,
    LEVELS,
    LINKS,
    QUESTIONS,
    Frames,
    conform,
    empty,
)
from models.schemas import ForecastIn
from models.store.db import open_engine
from models.store.tables import Revision

HEADER = "researcher,question,probability,as_of,capability,rationale,evidence,reconstructed"


def forecasts_csv(*rows: str, header: str = HEADER) -> bytes:
    """A forecasts file from CSV lines (header added), as bytes."""
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


#: A small valid file: two researchers, two questions, a conditional forecast, evidence, a reconstruction.
GOOD_ROWS = (
    'teal_heron,Schemers at 3x,0.04,2024-06-15,3x AI R&D,"Mostly priors, some evals",Alignment-faking eval [raised],false',
    "teal_heron,Schemers at 3x,3%,2025-02-01,3x AI R&D,,Neuralese result [lowered],false",
    "orrery,Schemers at 3x,0.02,2024-06-01,,my view as of mid-2024,,true",
    "orrery,Eval published by 2025,0.7,2024-01-10T09:30:00Z,,,,",
)


def good_csv() -> bytes:
    return forecasts_csv(*GOOD_ROWS)


def resolved_targets(engine: sa.Engine, n: int) -> None:
    """``n`` resolved questions Q0000, Q0001, …, each with one forecast by teal_heron before it
    resolved (every third question no, the others yes): ``n`` scored targets."""
    from models import actions

    rows = [f"teal_heron,Q{i:04d},{(i % 100) / 100 + 0.005:.3f},2024-01-01,,,," for i in range(n)]
    actions.import_file(engine, forecasts_csv(*rows), "forecasts")
    outcomes = "\n".join(f"Q{i:04d},{'yes' if i % 3 else 'no'},2024-06-01" for i in range(n))
    actions.import_file(engine, f"question,outcome,resolved_at\n{outcomes}\n".encode(), "resolutions")


def forecast_in(**overrides: object) -> ForecastIn:
    values: dict[str, object] = {
        "researcher": "teal_heron",
        "question": "Schemers at 3x",
        "probability": 0.12,
        "as_of": "2025-01-01",
        "rationale": "",
    }
    values.update(overrides)
    return ForecastIn.model_validate(values)


# --- chart pages (trajectories, compare) ----------------------------------------------------------


_TEMPLATES: dict[str, Path] = {}


def sqlite_template(kind: str, fill: Callable[[sa.Engine], object] | None = None) -> Path:
    """A SQLite file migrated to head, built once per test process; tests copy it rather than
    migrate a new file (and fill it) each time.

    ``kind`` "empty" is just migrated, "demo" holds the demo data; any other kind is filled by
    ``fill`` (a test's own data, written through the real actions), the first time it is asked for.
    """
    if kind not in _TEMPLATES:
        directory = Path(tempfile.mkdtemp(prefix=f"credence-{kind}-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        path = directory / f"{kind}.db"
        if kind != "empty":  # filled from a copy of the migrated one: migrating costs 0.6 s a file
            shutil.copyfile(sqlite_template("empty"), path)
        engine = open_engine(f"sqlite:///{path}")
        if kind == "demo":
            load_demo(engine)
        elif fill is not None:
            fill(engine)
        with engine.connect() as conn:  # everything into the main file, so a copy is whole
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATES[kind] = path
    return _TEMPLATES[kind]


def copy_of(url: str, kind: str, fill: Callable[[sa.Engine], object] | None = None) -> str:
    """Put a copy of the ``kind`` template (see :func:`sqlite_template`) at the SQLite ``url``'s file."""
    path = sa.make_url(url).database
    assert path is not None
    shutil.copyfile(sqlite_template(kind, fill), path)
    return url


def empty_database(directory: Path, name: str = "empty.db") -> str:
    """The URL of a new SQLite database ``name`` in ``directory``: empty, at the newest schema."""
    path = directory / name
    shutil.copyfile(sqlite_template("empty"), path)
    return f"sqlite:///{path}"


def demo_database(directory: Path) -> str:
    """The URL of a new SQLite database in ``directory`` holding the demo data."""
    path = directory / "demo.db"
    shutil.copyfile(sqlite_template("demo"), path)
    return f"sqlite:///{path}"


def chart_spec(at: AppTest, index: int = 0) -> dict[str, Any]:
    """The Vega-Lite spec of the ``index``-th chart an AppTest run drew."""
    return json.loads(at.get("vega_lite_chart")[index].proto.spec)  # type: ignore[no-any-return]


def chart_data(at: AppTest, index: int = 0) -> dict[str, pd.DataFrame]:
    """The named datasets of the ``index``-th chart (Streamlit sends them as Arrow)."""
    return {
        d.name: pa.ipc.open_stream(d.data.data).read_pandas()
        for d in at.get("vega_lite_chart")[index].proto.datasets
    }


def spec_views(node: Any) -> list[dict[str, Any]]:
    """Every view (a dict with a ``mark``, as ``{"type": ...}``) of a spec, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "mark" in node:
            mark = node["mark"] if isinstance(node["mark"], dict) else {"type": node["mark"]}
            found.append({**node, "mark": mark})
        for value in node.values():
            found.extend(spec_views(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(spec_views(value))
    return found


# --- hand-built frames for domain tests ------------------------------------------------------------


def fc(forecast_id: int, probability: float, as_of: str, **kw: Any) -> dict[str, Any]:
    """One FORECASTS row: alice on question 1 ("Q1"), unconditional, recorded 2024-06-01."""
    row: dict[str, Any] = {
        "forecast_id": forecast_id,
        "researcher": "alice",
        "question_id": 1,
        "question": "Q1",
        "level": None,
        "level_position": float("nan"),
        "probability": probability,
        "as_of": as_of,
        "recorded_at": "2024-06-01",
        "reconstructed": False,
        "rationale": "",
    }
    row.update(kw)
    return row


def frames_of(
    forecasts: list[dict[str, Any]],
    links: tuple[dict[str, Any], ...] = (),
    questions: tuple[dict[str, Any], ...] = (),
    **parts: Any,
) -> Frames:
    """Frames from plain rows; ``parts`` may give ``evidence`` or ``levels`` frames."""
    return Frames(
        forecasts=conform(pd.DataFrame(forecasts), FORECASTS),
        questions=conform(pd.DataFrame(list(questions)), QUESTIONS) if questions else empty(QUESTIONS),
        evidence_links=conform(pd.DataFrame(list(links)), EVIDENCE_LINKS) if links else empty(EVIDENCE_LINKS),
        evidence=parts.get("evidence", empty(EVIDENCE)),
        levels=parts.get("levels", empty(LEVELS)),
        links=empty(LINKS),
    )


def cli(db_url: str, *args: str) -> Result:
    """``credence --db DB_URL ARGS…`` in-process (typer's CliRunner); stdout and stderr apart."""
    return CliRunner().invoke(cli_app, ["--db", db_url, *args])


def revisions(session: Session, entity: str, entity_id: int) -> list[Revision]:
    """Earlier versions of a question or forecast, oldest first (as stored)."""
    stmt = (
        select(Revision)
        .where(Revision.entity == entity, Revision.entity_id == entity_id)
        .order_by(Revision.number)  # type: ignore[arg-type]
    )
    return list(session.exec(stmt).all())
