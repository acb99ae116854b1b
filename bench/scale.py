"""Issue 16's table in one run: imports, scores and pages at scale, each beside its reference.

    .venv/bin/python bench/scale.py [--rows 1000000] [--page-rows 100000] [--pg URL] [--pg-rows N]
                                    [--skip sqlite,postgresql,pages]

Every figure is measured in this run, next to its reference measured the same way (fresh
processes, wall-clock; peak memory of the child from ``os.wait4``):

* ``credence import forecasts`` of ``--rows`` synthetic forecasts (50 researchers, 2,000
  questions) into a new database, against the stdlib ``csv`` + ``sqlite3.executemany`` of
  the same file into one table (SQLite) or ``psql \\copy`` (PostgreSQL);
* ``credence scores --json`` right after one ``credence add`` and with unchanged data,
  against pandas ``read_csv`` + final-forecast Brier (median of 3 each);
* every page in AppTest on ``--page-rows`` forecasts: the median of 3 warm reruns, and the
  first run after another process logged a forecast.

``--pg-rows 10000000`` builds the PostgreSQL database at 10M forecasts (500 researchers,
20,000 questions; generated in 1M-row files) and reports the same figures at that size,
plus ``EXPLAIN ANALYZE`` of the slowest page query.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

import importlib.util  # noqa: E402

import sqlalchemy as sa  # noqa: E402

# bench/ stays off sys.path: bench/pages.py would shadow the app's pages/ package.
_spec = importlib.util.spec_from_file_location("bench_measure", ROOT / "bench" / "measure.py")
assert _spec and _spec.loader
measure = importlib.util.module_from_spec(_spec)
sys.modules["bench_measure"] = measure
_spec.loader.exec_module(measure)
OUT, credence, run, verdict = measure.OUT, measure.credence, measure.run, measure.verdict
pandas_reference, psql_floor, psql_reference, sqlite_reference = (
    measure.pandas_reference,
    measure.psql_floor,
    measure.psql_reference,
    measure.sqlite_reference,
)

from models.files.synthetic import write_synthetic  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/credence_bench"
#: A resolved synthetic question (even positions resolve) and a time before its resolution.
ADD = ["add", "r001", "Synthetic question 0001", "0.42", "--as-of", "2025-06-01"]


def fresh_sqlite(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", ".migrate-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def fresh_pg(url: str) -> str:
    """Drop and create the database of ``url`` (never the server's default databases)."""
    target = sa.make_url(url)
    if target.database in (None, "postgres", "test", "template0", "template1"):
        sys.exit(f"refusing to recreate database {target.database!r}: pass --pg with a bench database")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    return url


def import_figures(
    db: str, files_dir: Path, label: str, reference: str, memory_goal: bool = False
) -> dict[str, float]:
    """Import questions, forecasts (timed, peak memory) and resolutions; the reference beside it.

    ``memory_goal``: whether issue 16's ≤ 500 MB applies (the SQLite import of a million rows).
    """
    run(credence("--db", db, "import", "questions", str(files_dir / "questions.csv")))
    ours = run(credence("--db", db, "import", "forecasts", str(files_dir / "forecasts.csv")))
    run(credence("--db", db, "import", "resolutions", str(files_dir / "resolutions.csv")))
    if reference == "sqlite":
        ref = sqlite_reference(files_dir / "forecasts.csv", files_dir / "reference.db")
        ref_name = "stdlib csv + sqlite3.executemany, one table"
    else:
        ref = psql_reference(files_dir / "forecasts.csv", db)
        ref_name = "psql \\copy, one table"
    print(f"  {label}: credence import forecasts   {ours.seconds:7.2f} s, peak {ours.peak_mb:6.0f} MB"
          f"   | {ref_name}: {ref.seconds:6.2f} s, peak {ref.peak_mb:5.0f} MB"
          f"   | {verdict(ours.seconds, ref.seconds, 3)}"
          + (f"; memory goal ≤ 500 MB: {'met' if ours.peak_mb <= 500 else 'NOT met'}" if memory_goal else ""),
          flush=True)  # fmt: skip
    figures = {"import_s": ours.seconds, "import_mb": ours.peak_mb, "reference_s": ref.seconds}
    if reference != "sqlite":
        floor = psql_floor(db, files_dir)
        figures["floor_s"] = floor.seconds
        print(f"  {label}: the floor: psql \\copy of the rows as stored into a table shaped like ours"
              f" (types, primary key, indexes) {floor.seconds:6.2f} s = {floor.seconds / ref.seconds:.1f}×"
              " the reference, before any parsing, checking, foreign keys or ANALYZE", flush=True)  # fmt: skip
    return figures


def score_figures(db: str, files_dir: Path, label: str, repeat: int = 3) -> dict[str, float]:
    """``credence scores --json`` after one ``credence add`` and unchanged, beside pandas (medians)."""
    scores = credence("--db", db, "scores", "--json")
    run(scores)  # the first read after the import builds the copy; not what the table measures
    after, unchanged, pandas = [], [], []
    for _ in range(repeat):
        run(credence("--db", db, *ADD))
        after.append(run(scores).seconds)
        unchanged.append(run(scores).seconds)
        pandas.append(pandas_reference(files_dir).seconds)
    a, u, p = (statistics.median(x) for x in (after, unchanged, pandas))
    print(f"  {label}: credence scores --json after one add {a:6.2f} s | unchanged {u:6.2f} s"
          f" | pandas read_csv + Brier {p:6.2f} s | after add {verdict(a, p, 1)}, unchanged {verdict(u, p, 1)}",
          flush=True)  # fmt: skip
    return {"after_add_s": a, "unchanged_s": u, "pandas_s": p}


def page_figures(db: str, label: str, reruns: int = 3) -> dict[str, tuple[float, float]]:
    """Per page: (median warm rerun, first run after another process logged a forecast)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    logging.disable(logging.WARNING)
    os.environ["CREDENCE_DATABASE_URL"] = db
    pages = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
    out: dict[str, tuple[float, float]] = {}
    for page in pages:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(page), default_timeout=600)
        at.run()
        warm = []
        for _ in range(reruns):
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        run(credence("--db", db, *ADD))
        start = time.perf_counter()
        at.run()
        after = time.perf_counter() - start
        problem = at.exception[0].value.splitlines()[0] if at.exception else ""
        out[page.stem] = (statistics.median(warm), after)
        print(f"  {label}: {page.stem:<18} warm {out[page.stem][0]:6.3f} s (goal ≤ 0.1)"
              f"   after a write {after:6.3f} s (goal ≤ 0.5){'   ! ' + problem if problem else ''}",
              flush=True)  # fmt: skip
    return out


def explain_slowest(db: str) -> None:
    """EXPLAIN ANALYZE of the forecasts read every page's frames start from (the slowest page query)."""
    from models.store import reads

    sql = reads._FORECAST_SQL.format(rationale=", f.rationale", where="")
    eng = sa.create_engine(db)
    with eng.connect() as conn:
        plan = conn.execute(sa.text("EXPLAIN ANALYZE " + sql)).scalars().all()
    eng.dispose()
    print("  EXPLAIN ANALYZE of the pages' forecasts read:\n    " + "\n    ".join(plan))


def build_files(rows: int, researchers: int, questions: int) -> Path:
    directory = OUT / f"scale-{rows}"
    if not (directory / "forecasts.csv").exists():
        print(
            f"generating {rows:,} forecasts ({researchers} researchers, {questions:,} questions)…", flush=True
        )
        write_synthetic(directory, rows, n_researchers=researchers, n_questions=questions)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--page-rows", type=int, default=100_000)
    parser.add_argument("--pg", default=PG_DEFAULT, help="a PostgreSQL database this bench may recreate")
    parser.add_argument(
        "--pg-rows", type=int, default=0, help="also build PostgreSQL at this size (500 researchers)"
    )
    parser.add_argument("--skip", default="", help="comma-separated: sqlite, postgresql, pages")
    opts = parser.parse_args()
    skip = set(filter(None, opts.skip.split(",")))
    results: dict[str, object] = {}

    files = build_files(opts.rows, 50, 2000)
    print(f"\n{opts.rows:,} forecasts, 50 researchers, 2,000 questions:")
    if "sqlite" not in skip:
        db = fresh_sqlite(files / "scale.db")
        results["sqlite"] = {
            **import_figures(db, files, "SQLite", "sqlite", memory_goal=opts.rows == 1_000_000),
            **score_figures(db, files, "SQLite"),
        }
    if "postgresql" not in skip:
        db = fresh_pg(opts.pg)
        results["postgresql"] = {
            **import_figures(db, files, "PostgreSQL", "postgresql"),
            **score_figures(db, files, "PostgreSQL"),
        }
        explain_slowest(db)
    if "pages" not in skip:
        small = build_files(opts.page_rows, 50, 2000)
        print(f"\npages on {opts.page_rows:,} forecasts (SQLite):")
        db = fresh_sqlite(small / "pages.db")
        for kind in ("questions", "forecasts", "resolutions"):
            run(credence("--db", db, "import", kind, str(small / f"{kind}.csv")))
        results["pages"] = page_figures(db, "SQLite")
    if opts.pg_rows:
        big = build_files(opts.pg_rows, 500, 20_000)
        print(f"\nPostgreSQL at {opts.pg_rows:,} forecasts, 500 researchers, 20,000 questions:")
        db = fresh_pg(opts.pg)
        results["postgresql_large"] = {
            **import_figures(db, big, "PostgreSQL", "postgresql"),
            **score_figures(db, big, "PostgreSQL"),
            "pages": page_figures(db, "PostgreSQL"),
        }
        explain_slowest(db)
    (OUT / "scale.json").write_text(json.dumps(results, indent=1))
    print(f"\nfigures kept in {OUT / 'scale.json'}")


if __name__ == "__main__":
    main()
