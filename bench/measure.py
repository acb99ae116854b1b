"""What every benchmark shares: timing a fresh process, its peak memory, and the references.

A figure means little alone on a shared 2-core machine, so each is printed next to a
reference measured in the same run, the same way (a fresh process, wall-clock time, peak
resident memory of that child from ``os.wait4``, which is ``getrusage`` for one child,
taken by a small launcher: see :data:`_LAUNCHER`):

* import: the stdlib ``csv`` module and ``sqlite3.executemany`` writing the same rows into
  one table (SQLite), or ``psql \\copy`` of the same file into one table (PostgreSQL);
* scores: pandas ``read_csv`` of the same forecasts and resolutions plus a final-forecast
  Brier (the yardstick of issue 5).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    stdout: str


#: A small launcher that runs the command as its own child and reports that child's
#: ``os.wait4`` usage.  On Linux a process keeps the peak memory of the process it was
#: forked from (``exec`` records the old address space's high-water mark), so a command
#: started straight from this benchmark would report the benchmark's own peak (hundreds of
#: MB once it has built a database).  Started from this small launcher it reports its own.
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as fh:
    fh.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(cmd: list[str], env: dict[str, str] | None = None, check: bool = True) -> Run:
    """Run ``cmd`` as a fresh process: wall time, its own peak resident memory (MB), what it printed."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as peak,
    ):
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, peak.name]
        start = time.perf_counter()
        proc = subprocess.run([*launcher, *cmd], stdout=out, stderr=err, env=env, text=True, check=False)
        elapsed = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        peak_kb = float(peak.read() or 0)
    if check and proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:5])} … failed ({proc.returncode}):\n{stderr[-3000:]}")
    return Run(elapsed, peak_kb / 1024, stdout)  # ru_maxrss is in kB on Linux


def credence(*args: str) -> list[str]:
    """The command line of the installed ``credence`` next to this interpreter."""
    return [str(Path(sys.executable).with_name("credence")), *args]


#: The import reference: the same CSV rows into one table with the stdlib alone.
SQLITE_REFERENCE = r"""
import csv, sqlite3, sys
src, db = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA synchronous=NORMAL")
conn.execute("DROP TABLE IF EXISTS forecast_copy")
with open(src, newline="", encoding="utf-8") as fh:
    reader = csv.reader(fh)
    header = next(reader)
    conn.execute(f"CREATE TABLE forecast_copy ({', '.join(h + ' TEXT' for h in header)})")
    conn.execute("BEGIN")
    marks = ", ".join("?" * len(header))
    conn.executemany(f"INSERT INTO forecast_copy VALUES ({marks})", reader)
    conn.execute("COMMIT")
print(conn.execute("SELECT COUNT(*) FROM forecast_copy").fetchone()[0])
"""


def sqlite_reference(csv_path: Path, db_path: Path) -> Run:
    """stdlib ``csv`` + ``sqlite3.executemany`` of ``csv_path`` into one table of a new file."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return run([sys.executable, "-c", SQLITE_REFERENCE, str(csv_path), str(db_path)])


def psql_reference(csv_path: Path, url: str) -> Run:
    """``psql \\copy`` of ``csv_path`` into one (new) table of the PostgreSQL database ``url``."""
    import sqlalchemy as sa

    with open(csv_path, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    columns = ", ".join(f"{h} text" for h in header)
    script = (
        f"DROP TABLE IF EXISTS forecast_copy; CREATE TABLE forecast_copy ({columns});\n"
        f"\\copy forecast_copy FROM '{csv_path}' WITH (FORMAT csv, HEADER true)\n"
    )
    return run(["psql", "-q", "-v", "ON_ERROR_STOP=1", conninfo, "-c", script.splitlines()[0],
                "-c", script.splitlines()[1]])  # fmt: skip


def psql_floor(url: str, scratch: Path) -> Run:
    """``psql \\copy`` of the rows Credence stored into a bare table shaped like its own, then its
    primary key and indexes built, as Credence's bulk import does: what the server alone needs
    to store them, before any parsing or checking on our side, foreign keys or ``ANALYZE``.
    Run after an import into ``url``."""
    import sqlalchemy as sa

    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    rows = scratch / "stored-forecasts.csv"
    psql = ["psql", "-q", "-v", "ON_ERROR_STOP=1", conninfo]
    indexes = run(
        [*psql, "-At", "-c", "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
         " AND tablename = 'forecast' AND indexname <> 'forecast_pkey'"]
    ).stdout.split("\n")  # fmt: skip
    build = [
        "-c",
        "ALTER TABLE forecast_floor ADD PRIMARY KEY (id)",
        *(
            part
            for ddl in filter(None, indexes)
            for part in (
                "-c",
                ddl.replace("INDEX ix_", "INDEX floor_ix_").replace(".forecast ", ".forecast_floor "),
            )
        ),
    ]
    run([*psql, "-c", f"\\copy forecast TO '{rows}' WITH (FORMAT csv)"])
    run([*psql, "-c", "DROP TABLE IF EXISTS forecast_floor; CREATE TABLE forecast_floor (LIKE forecast)"])
    timed = run([*psql, "-c", f"\\copy forecast_floor FROM '{rows}' WITH (FORMAT csv)", *build])
    run([*psql, "-c", "DROP TABLE forecast_floor"])
    rows.unlink()
    return timed


#: The scores reference: read the CSVs, keep forecasts before resolution, each target's last, Brier.
PANDAS_REFERENCE = """
import sys, pandas as pd
d = sys.argv[1]
f = pd.read_csv(f"{d}/forecasts.csv", usecols=["researcher", "question", "probability", "as_of"])
r = pd.read_csv(f"{d}/resolutions.csv", usecols=["question", "outcome", "resolved_at"])
f["as_of"] = pd.to_datetime(f["as_of"], utc=True, format="ISO8601")
r["resolved_at"] = pd.to_datetime(r["resolved_at"], utc=True, format="ISO8601")
m = f.merge(r[r["outcome"].isin(["yes", "no"])], on="question")
m = m[m["as_of"] < m["resolved_at"]].sort_values("as_of", kind="stable")
final = m.groupby(["researcher", "question"], sort=False).tail(1)
y = (final["outcome"] == "yes").astype(float)
print(((final["probability"] - y) ** 2).groupby(final["researcher"]).mean().mean())
"""


def pandas_reference(directory: Path) -> Run:
    """pandas ``read_csv`` of ``directory``'s forecasts and resolutions + a final-forecast Brier."""
    return run([sys.executable, "-c", PANDAS_REFERENCE, str(directory)])


def verdict(ours: float, reference: float, goal: float) -> str:
    """``"0.8× (goal ≤ 1×: met)"``: the ratio to the reference and whether the goal holds."""
    ratio = ours / reference
    return f"{ratio:5.2f}× (goal ≤ {goal:g}×: {'met' if ratio <= goal else 'NOT met'})"
