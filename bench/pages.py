"""Time every page in AppTest: a cold first run and warm reruns, on three databases.

    .venv/bin/python bench/pages.py [--rows 100000] [--reruns 5] [--pages log_forecast,questions]

Databases: empty, the demo data, and ``--rows`` synthetic forecasts (built once under
bench/out/pages-N/ through the real importer, reused afterwards).  *Cold* is a page's first
run after Streamlit's caches are cleared (engine, frames and page caches are rebuilt);
*warm* is the median of ``--reruns`` reruns of the same session with nothing changed,
which is what a person waits for after each click.  Target: warm < 0.5 s on 100,000.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's own name would shadow the app's ``pages`` package: drop bench/ from the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
# AppTest outside a server logs "No runtime found" and "missing ScriptRunContext" for each page.
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from models import actions  # noqa: E402
from models.actions import load_demo  # noqa: E402
from models.files.synthetic import write_synthetic  # noqa: E402
from models.store.db import open_engine  # noqa: E402

OUT = ROOT / "bench" / "out"
# AppTest re-reads Streamlit's config on each run, which resets its log level; warnings
# from bare mode say nothing about the timings, so this script shows errors only.
logging.disable(logging.WARNING)


def _fresh(path: Path) -> str:
    for suffix in ("", "-wal", "-shm", ".migrate-lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def empty_db() -> str:
    url = _fresh(OUT / "pages-empty" / "empty.db")
    open_engine(url).dispose()
    return url


def demo_db() -> str:
    url = _fresh(OUT / "pages-demo" / "demo.db")
    eng = open_engine(url)
    load_demo(eng)
    eng.dispose()
    return url


def large_db(rows: int) -> str:
    directory = OUT / f"pages-{rows}"
    path = directory / "large.db"
    done = directory / "complete"
    if done.exists():
        return f"sqlite:///{path}"
    print(f"building a {rows:,}-forecast database in {directory} (once)…", flush=True)
    files = write_synthetic(directory, rows)
    url = _fresh(path)
    eng = open_engine(url)
    for kind, file in (
        ("questions", files.questions),
        ("forecasts", files.forecasts),
        ("resolutions", files.resolutions),
    ):
        actions.import_file(eng, file.read_bytes(), kind)
    eng.dispose()
    done.touch()
    return url


def time_page(page: Path, reruns: int) -> tuple[float, float, str]:
    """(cold seconds, median warm seconds, problem or "") for one page on the configured database."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(page), default_timeout=300)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        return cold, float("nan"), at.exception[0].value.splitlines()[0]
    warm = []
    for _ in range(reruns):
        start = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - start)
    return cold, statistics.median(warm), at.exception[0].value.splitlines()[0] if at.exception else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reruns", type=int, default=5)
    parser.add_argument("--pages", default="", help="comma-separated page names (default: every page)")
    opts = parser.parse_args()

    pages = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_"))
    if opts.pages:
        pages = [p for p in pages if p.stem in opts.pages.split(",")]
    databases = {"empty": empty_db(), "demo": demo_db(), f"{opts.rows // 1000}k": large_db(opts.rows)}

    results: dict[tuple[str, str], tuple[float, float, str]] = {}
    for name, url in databases.items():
        os.environ["CREDENCE_DATABASE_URL"] = url
        for page in pages:
            print(f"  {name:>6} {page.stem} …", end="\r", flush=True)
            results[(page.stem, name)] = time_page(page, opts.reruns)

    print(" " * 60, end="\r")  # clear the last progress line
    print(f"AppTest run times in seconds: cold first run / median of {opts.reruns} warm reruns\n")
    head = f"{'page':<20}" + "".join(f"{name:>18}" for name in databases)
    print(head)
    print("-" * len(head))
    problems = []
    for page in pages:
        cells = []
        for name in databases:
            cold, warm, problem = results[(page.stem, name)]
            cells.append(f"{cold:7.2f} / {warm:5.2f}{'!' if problem else ' '}")
            if problem:
                problems.append(f"{page.stem} on {name}: {problem}")
        print(f"{page.stem:<20}" + "".join(f"{c:>18}" for c in cells))
    slow = [k for k, (_, warm, _) in results.items() if k[1] != "empty" and warm >= 0.5]
    print()
    print(
        "warm reruns at or above 0.5 s: " + (", ".join(f"{p} ({db})" for p, db in slow) if slow else "none")
    )
    for problem in problems:
        print(f"! {problem}")


if __name__ == "__main__":
    main()
