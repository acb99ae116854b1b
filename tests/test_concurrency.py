"""Several processes writing to one SQLite file at once."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.store.db import create_engine, current_revision, head_revision, open_engine
from models.store.reads import forecasts_frame
from tests.factories import forecasts_csv

#: Several processes at once: slow, and run by `make test`, not `make test-fast`.
pytestmark = pytest.mark.slow


def test_four_processes_importing_into_one_new_sqlite_file_all_succeed(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"  # not created yet: the four also race to migrate it
    files = []
    for p in range(4):
        rows = [
            f"proc{p},Question {i % 7},{(i % 99 + 1) / 100},2024-01-{i % 28 + 1:02d},,row {i} of {p},Shared paper [raised],"
            for i in range(2000)
        ]
        path = tmp_path / f"f{p}.csv"
        path.write_bytes(forecasts_csv(*rows))
        files.append(path)
    exe = str(Path(sys.executable).with_name("credence"))
    procs = [
        subprocess.Popen(
            [exe, "--db", url, "import", "forecasts", str(f)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [r[0] for r in results] == [0, 0, 0, 0], results
    df = forecasts_frame(open_engine(url))
    assert len(df) == 8000
    assert df.groupby("researcher").size().to_dict() == {f"proc{p}": 2000 for p in range(4)}


#: Opens each URL at ``start + k * step`` seconds (epoch), so that every process opens
#: the same new file at the same moment.
OPEN_TOGETHER = """
import sys, time
from models.store.db import open_engine
start, step, urls = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
for k, url in enumerate(urls):
    time.sleep(max(0.0, start + k * step - time.time()))
    open_engine(url).dispose()
"""


def test_processes_opening_a_new_sqlite_file_at_the_same_moment_all_succeed(tmp_path: Path):
    """The first opening of a file switches it to WAL, a step SQLite does not wait for."""
    urls = [f"sqlite:///{tmp_path / f'new{k}.db'}" for k in range(8)]
    start = time.time() + 3.0  # once every interpreter has started
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPEN_TOGETHER, str(start), "0.3", *urls],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert [code for code, _ in results] == [0] * 6, [err for _, err in results if err][:1]
    assert {current_revision(create_engine(url)) for url in urls} == {head_revision()}
