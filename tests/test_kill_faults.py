"""SIGKILL at several points of an import and of a restore leaves the database as before.

A child process opens the database, then runs the import (or restore) with a hook that
kills the process with SIGKILL at its N-th SQL statement, or at the commit if the work
ends sooner.  Afterwards the database must back up to exactly the same file as before,
and still accept writes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from models import actions
from models.store.backup import backup
from models.store.db import open_engine
from tests.factories import forecasts_csv

pytestmark = pytest.mark.slow

CHILD = r"""
import os, signal, sys
import sqlalchemy as sa
from pathlib import Path
from models.store.db import open_engine

url, op, path, kill_at = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
engine = open_engine(url)
data = Path(path).read_bytes()
count = 0

def die(where):
    sys.stderr.write(f"killed at {where}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)

@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _statement(conn, cursor, statement, parameters, context, executemany):
    global count
    count += 1
    if kill_at != "commit" and count == int(kill_at):
        die(f"statement {count}")

@sa.event.listens_for(sa.engine.Engine, "commit")
def _commit(conn):
    die("commit")

if op == "import":
    from models import actions
    actions.import_file(engine, data, "forecasts")
else:
    from models.store.backup import restore
    restore(engine, data.decode("utf-8"), replace=True)
print("finished without being killed")
"""

POINTS = ["1", "3", "6", "12", "commit"]


def _rows(n: int, who: str) -> list[str]:
    return [
        f"{who},Question {i % 13},{(i % 97 + 1) / 100},2024-0{i % 9 + 1}-{i % 27 + 1:02d},,row {i},Paper {i % 5} [raised],"
        for i in range(n)
    ]


def _run(url: str, op: str, path: Path, kill_at: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, url, op, str(path), kill_at],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    return proc.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("op", ["import", "restore"])
def test_sigkill_during_import_or_restore_leaves_the_database_as_before(db_url, tmp_path, op):
    engine = open_engine(db_url)
    actions.import_file(engine, forecasts_csv(*_rows(300, "teal_heron")), "forecasts")
    before = backup(engine)
    if op == "import":
        path = tmp_path / "big.csv"
        path.write_bytes(forecasts_csv(*_rows(12000, "pale_finch")))
    else:
        other = open_engine(f"sqlite:///{tmp_path / 'other.db'}")
        actions.import_file(other, forecasts_csv(*_rows(3000, "pale_finch")), "forecasts")
        path = tmp_path / "other.json"
        path.write_text(backup(other), encoding="utf-8")
        other.dispose()
    reached = []
    for point in POINTS:
        reached.append(_run(db_url, op, path, point))
        assert backup(engine) == before, f"changed after being {reached[-1]}"
    assert len(set(reached)) >= 4, reached  # really several different moments
    # The database still takes writes afterwards.
    summary = actions.import_file(engine, forecasts_csv(*_rows(5, "quiet_owl")), "forecasts")
    assert summary.created["forecasts"] == 5
    engine.dispose()
