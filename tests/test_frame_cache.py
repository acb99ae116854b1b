"""The frame cache: columnar copies of query results that are used only while current."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pandas as pd
import pytest
import sqlalchemy as sa

from models.actions import import_file, load_demo
from models.analysis.scoring import score_report
from models.frames import FORECASTS
from models.store import frame_cache
from models.store.backup import backup
from models.store.db import open_engine
from models.store.reads import load_frames, questions_frame, scoring_frames
from tests.factories import cli, forecasts_csv, good_csv


def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "forecast_id": pd.Series([3, 1, 2], dtype="int64"),
            "level_id": [1.0, float("nan"), 2.0],
            "probability": [0.0, 0.5, 1.0],
            "reconstructed": [True, False, True],
            "as_of": pd.to_datetime(
                ["2024-06-15T12:00:00.123456Z", "2025-01-01T00:00:00Z", "1999-12-31T23:59:59Z"],
                utc=True,
                format="ISO8601",
            ).as_unit("ns"),
        }
    )


def test_encoding_keeps_every_value_and_type():
    frame = _mixed_frame()
    pd.testing.assert_frame_equal(frame_cache.decode(frame_cache.encode(frame)), frame)
    empty = frame.iloc[:0]
    pd.testing.assert_frame_equal(frame_cache.decode(frame_cache.encode(empty)), empty.reset_index(drop=True))


def test_text_columns_are_refused_rather_than_pickled():
    with pytest.raises(TypeError, match="'handle'"):
        frame_cache.encode(pd.DataFrame({"handle": ["teal_heron"]}))


def _counting(engine: sa.Engine) -> tuple[Callable[[], pd.DataFrame], list[int]]:
    """A read of the forecast count that records each time it really runs."""
    calls: list[int] = []

    def read() -> pd.DataFrame:
        with engine.connect() as conn:
            n = conn.execute(sa.text("SELECT COUNT(*) FROM forecast")).scalar()
        calls.append(1)
        return pd.DataFrame({"n": [n]})

    return read, calls


def test_a_repeated_read_comes_from_the_cache_until_the_data_changes(engine):
    read, calls = _counting(engine)
    first = frame_cache.cached_frame(engine, "count", "SELECT COUNT(*)", read)
    again = frame_cache.cached_frame(engine, "count", "SELECT COUNT(*)", read)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(again, first)

    import_file(engine, good_csv(), "forecasts")
    after = frame_cache.cached_frame(engine, "count", "SELECT COUNT(*)", read)
    assert len(calls) == 2
    assert after["n"].tolist() == [first["n"].iloc[0] + 4]


def test_a_different_query_never_reads_another_querys_entry(engine):
    read, calls = _counting(engine)
    frame_cache.cached_frame(engine, "count", "SELECT COUNT(*)", read)
    frame_cache.cached_frame(engine, "count", "SELECT COUNT(*) -- changed", read)
    assert len(calls) == 2


def test_a_write_that_lands_during_the_read_is_not_cached(engine):
    read, calls = _counting(engine)

    def read_while_someone_writes() -> pd.DataFrame:
        result = read()
        import_file(engine, good_csv(), "forecasts")
        return result

    stale = frame_cache.cached_frame(engine, "count", "q", read_while_someone_writes)
    fresh = frame_cache.cached_frame(engine, "count", "q", read)
    assert len(calls) == 2
    assert fresh["n"].iloc[0] == stale["n"].iloc[0] + 4


def test_storing_gives_up_at_once_when_another_process_holds_the_write_lock(sqlite_url, sqlite_engine):
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert not frame_cache.store(sqlite_engine, "count", "q", 0, pd.DataFrame({"n": [1]}))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert frame_cache.store(sqlite_engine, "count", "q", 0, pd.DataFrame({"n": [1]}))


def test_a_read_only_database_is_scored_without_a_cache(tmp_path):
    path = tmp_path / "credence.db"
    url = f"sqlite:///{path}"
    writable = open_engine(url)
    load_demo(writable)
    expected = score_report(load_frames(writable))
    writable.dispose()

    result = cli(f"sqlite:///file:{path}?mode=ro&uri=true", "scores", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM frame_cache").fetchone() == (0,)


@pytest.fixture
def demo_url(db_url: str) -> str:
    load_demo(open_engine(db_url))
    return db_url


@pytest.mark.parametrize("include_reconstructed", [False, True])
def test_cached_scoring_forecasts_equal_a_fresh_read(demo_url, include_reconstructed):
    engine = open_engine(demo_url)
    cold = scoring_frames(engine, include_reconstructed).forecasts
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM frame_cache")).scalar() == 1
    warm = scoring_frames(engine, include_reconstructed).forecasts
    pd.testing.assert_frame_equal(warm, cold)
    assert len(warm) > 0
    assert cold.dtypes.astype(str).to_dict() == FORECASTS


def test_scores_follow_new_data_after_they_were_cached(demo_url):
    engine = open_engine(demo_url)
    before = json.loads(cli(demo_url, "scores", "--json").stdout)
    assert json.loads(cli(demo_url, "scores", "--json").stdout) == before

    resolved = questions_frame(engine).query("outcome == 'no'").iloc[0]
    day_before = (resolved["resolved_at"] - pd.Timedelta(days=1)).date()
    import_file(
        engine, forecasts_csv(f'teal_heron,"{resolved["question"]}",0.97,{day_before},,,,'), "forecasts"
    )

    after = json.loads(cli(demo_url, "scores", "--json").stdout)
    assert after["overall"]["n_forecasts"] == before["overall"]["n_forecasts"] + 1
    assert after == json.loads(json.dumps(score_report(load_frames(engine))))


def test_the_cache_is_not_backed_up(demo_url):
    engine = open_engine(demo_url)
    cli(demo_url, "scores", "--json")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM frame_cache")).scalar() == 1
    assert "frame_cache" not in json.loads(backup(engine))["tables"]
