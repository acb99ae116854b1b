"""Class 2: concurrent imports give the same result as serial ones, on both backends.

SQLite serialises writers with its write lock; PostgreSQL imports take a
transaction-scoped advisory lock, so two imports of the same file never both insert, and
two imports creating the same new researcher never collide on the unique handle.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import actions
from models.store.backup import backup
from models.store.db import open_engine
from models.store.reads import forecasts_frame
from tests.factories import forecasts_csv

pytestmark = pytest.mark.slow

#: Imports one file at ``start`` seconds (epoch), so that the processes really overlap.
IMPORT_AT = """
import sys, time
from pathlib import Path
from models.store.db import open_engine
from models import actions
from models.files import interchange
url, path, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
engine = open_engine(url)
data = Path(path).read_bytes()
time.sleep(max(0.0, start - time.time()))
print(actions.import_file(engine, data, "forecasts").lines())
"""


def _together(url: str, paths: list[Path]) -> list[tuple[int, str, str]]:
    start = time.time() + 4.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", IMPORT_AT, url, str(p), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for p in paths
    ]
    return [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]


def _rows(who: str, n: int, tag: str = "") -> list[str]:
    return [
        f"{who},Question {i % 11}{tag},{(i % 98 + 1) / 100},2024-0{i % 9 + 1}-{i % 27 + 1:02d},,r{i},Paper {i % 4} [raised],"
        for i in range(n)
    ]


def test_two_concurrent_imports_of_the_same_file_equal_one_import(db_url, tmp_path):
    path = tmp_path / "same.csv"
    path.write_bytes(forecasts_csv(*_rows("new_heron", 3000)))
    results = _together(db_url, [path, path, path])
    assert [r[0] for r in results] == [0, 0, 0], [r[2][-800:] for r in results]
    engine = open_engine(db_url)
    assert len(forecasts_frame(engine)) == 3000
    concurrent = backup(engine)

    serial_url = f"sqlite:///{tmp_path / 'serial.db'}"
    serial = open_engine(serial_url)
    actions.import_file(serial, path.read_bytes(), "forecasts")
    actions.import_file(serial, path.read_bytes(), "forecasts")
    assert len(forecasts_frame(serial)) == len(forecasts_frame(engine))
    assert sorted(forecasts_frame(serial)["rationale"]) == sorted(forecasts_frame(engine)["rationale"])
    assert concurrent.count('"handle": "new_heron"') == 1


def test_two_concurrent_imports_creating_the_same_researcher_both_succeed(db_url, tmp_path):
    paths = []
    for k in range(3):
        path = tmp_path / f"f{k}.csv"
        path.write_bytes(forecasts_csv(*_rows("shared_new_owl", 500, tag=f" from file {k}")))
        paths.append(path)
    results = _together(db_url, paths)
    assert [r[0] for r in results] == [0, 0, 0], [r[2][-800:] for r in results]
    assert not any("UniqueViolation" in r[2] or "IntegrityError" in r[2] for r in results)
    df = forecasts_frame(open_engine(db_url))
    assert len(df) == 1500
    assert set(df["researcher"]) == {"shared_new_owl"}
