"""`credence scores --json` against pandas reading the same forecasts from CSV.

    .venv/bin/python bench/scores.py [--rows N] [--repeat K]

Issue 5's yardstick: on 1,000,000 forecasts (50 researchers, 2,000 questions, half of them
resolved) `credence scores --json` should take no longer than pandas takes to read the same
forecasts from CSV and compute a final-forecast Brier.  Both are timed the same way, as
fresh processes (interpreter start and imports included), side by side, K times each;
the medians are printed.  The database is built once under bench/out/ and reused.

`credence scores` reads the scorable forecasts from the columnar copy that
models/frame_cache.py keeps while the data is unchanged.  The first run after a change
has to read them from SQLite and store that copy; it is timed separately ("after a
change"), with the copy removed first, and every later run must print the same JSON.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from measure import PANDAS_REFERENCE, run  # noqa: E402  (bench/ is this script's directory)

from models.files.synthetic import write_synthetic  # noqa: E402


def timed(cmd: list[str]) -> tuple[float, str]:
    """Wall time of ``cmd`` as a fresh process, and what it printed."""
    done = run(cmd)
    return done.seconds, done.stdout


def forget_cache(db_path: Path) -> None:
    """Drop the columnar copy, as any write would make it stale."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM frame_cache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()

    out = ROOT / "bench" / "out" / f"scores-{opts.rows}"
    db_path = out / "scores.db"
    db = f"sqlite:///{db_path}"
    exe = str(Path(sys.executable).with_name("credence"))
    if not db_path.exists():
        print(f"generating and importing {opts.rows:,} forecasts (once; reused on later runs)…", flush=True)
        files = write_synthetic(out, opts.rows)
        start = time.perf_counter()
        for kind, path in (
            ("questions", files.questions),
            ("forecasts", files.forecasts),
            ("resolutions", files.resolutions),
        ):
            subprocess.run([exe, "--db", db, "import", kind, str(path)], check=True, capture_output=True)
        print(f"  built {db_path} in {time.perf_counter() - start:.0f} s")

    scores = [exe, "--db", db, "scores", "--json"]
    forget_cache(db_path)
    cold, expected = timed(scores)
    ours, theirs = [], []
    for _ in range(opts.repeat):
        elapsed, printed = timed(scores)
        if printed != expected:
            sys.exit("credence scores printed a different report from the columnar copy")
        ours.append(elapsed)
        theirs.append(timed([sys.executable, "-c", PANDAS_REFERENCE, str(out)])[0])
    a, b = statistics.median(ours), statistics.median(theirs)
    runs = ", ".join
    print(
        f"{opts.rows:,} forecasts, 50 researchers, 2,000 questions; median of {opts.repeat} fresh processes each:"
    )
    print(
        f"  credence scores --json                       {a:6.2f} s   (runs: {runs(f'{t:.2f}' for t in ours)})"
    )
    print(
        f"  pandas read_csv + final-forecast Brier       {b:6.2f} s   (runs: {runs(f'{t:.2f}' for t in theirs)})"
    )
    print(
        f"  ratio credence / pandas                      {a / b:6.2f}   ({'within' if a <= b else 'OVER'} the yardstick)"
    )
    print(
        f"  credence scores --json after a change        {cold:6.2f} s   (once: reads SQLite, stores the copy)"
    )


if __name__ == "__main__":
    main()
