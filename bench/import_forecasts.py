"""Time `credence import forecasts` on a synthetic file (default 1,000,000 rows).

    .venv/bin/python bench/import_forecasts.py [--rows N] [--db URL]

Generates the file under bench/out/, imports it into an empty database with the real
CLI (a subprocess, progress on standard error), and prints the figures.  A second import
of the same file (everything already present) is timed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.files.synthetic import write_synthetic  # noqa: E402


def run(args: list[str]) -> float:
    exe = str(Path(sys.executable).with_name("credence"))
    start = time.perf_counter()
    done = subprocess.run([exe, *args], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"credence {' '.join(args)} failed:\n{done.stderr}")
    print("   ", done.stdout.strip().replace("\n", "\n    "))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--db", default=None, help="database URL (default: a new SQLite file under bench/out/)"
    )
    opts = parser.parse_args()

    out = ROOT / "bench" / "out" / f"import-{opts.rows}"
    print(f"generating {opts.rows:,} forecasts (50 researchers, 2,000 questions)…", flush=True)
    files = write_synthetic(out, opts.rows)
    db = opts.db
    if db is None:
        path = out / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = f"sqlite:///{path}"
    size_mb = os.path.getsize(files.forecasts) / 1e6
    print(f"file: {files.forecasts} ({size_mb:.0f} MB)")
    print("importing into an empty database…", flush=True)
    first = run(["--db", db, "import", "forecasts", str(files.forecasts)])
    print("importing the same file again (all rows already present)…", flush=True)
    second = run(["--db", db, "import", "forecasts", str(files.forecasts)])
    print()
    print(f"credence import forecasts, {opts.rows:,} rows, {db.split(':')[0]}:")
    print(f"  first import:  {first:7.1f} s  ({opts.rows / first:,.0f} rows/s)")
    print(f"  second import: {second:7.1f} s  (adds nothing)")


if __name__ == "__main__":
    main()
