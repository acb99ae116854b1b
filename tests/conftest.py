"""Shared fixtures: real temporary databases (SQLite, and PostgreSQL when reachable).

Storage tests take ``db_url``/``engine``, which run each test twice: on a SQLite file in
``tmp_path`` and on a new database of the PostgreSQL server at 127.0.0.1:5432 (reached through
its database ``test``, whose own schemas are never written).  Both are empty and migrated: a
copy of a SQLite file migrated once per test session, and a PostgreSQL database created from a
template database migrated once per session and worker (``CREATE DATABASE … TEMPLATE``, about
50 ms, where migrating takes a second or more).  Migration tests take ``blank_db_url``: a SQLite
file that does not exist yet, or a new, empty schema.  When the server does not answer, the
PostgreSQL runs are skipped with a message saying how to start it; under CI (``CI=true``) they
fail instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
import streamlit.components.v2.manifest_scanner as _manifests

from models import actions
from models.store.db import open_engine

PG_SERVER = os.environ.get("CREDENCE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_HINT = (
    "PostgreSQL is unreachable at 127.0.0.1:5432 (database 'test'), so the PostgreSQL runs of the "
    "storage tests did not run. Start it with: "
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
_pg_state: dict[str, str | None] = {}

# Every AppTest run scans all installed distributions for Streamlit components (0.4 s each,
# a third of a page test); `streamlit run` scans once per server.  The installed packages do
# not change during a test session, so one scan per test process gives the same answer.
_manifests.scan_component_manifests = functools.cache(_manifests.scan_component_manifests)  # type: ignore[assignment]


def _pg_error() -> str | None:
    if "error" not in _pg_state:
        try:
            eng = sa.create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
            with eng.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            eng.dispose()
            _pg_state["error"] = None
        except Exception as err:  # any failure to connect means: unreachable
            _pg_state["error"] = str(err).splitlines()[0]
    return _pg_state["error"]


def pytest_report_header(config: pytest.Config) -> str:
    err = _pg_error()
    return (
        "postgresql: reachable at 127.0.0.1:5432"
        if err is None
        else f"postgresql: UNREACHABLE ({err})\n{PG_HINT}"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if _pg_state.get("error"):
        terminalreporter.write_sep("!", "PostgreSQL unreachable", red=True)
        terminalreporter.write_line(PG_HINT)


def _require_pg() -> None:
    if _pg_error() is not None:
        if os.environ.get("CI"):
            pytest.fail(PG_HINT)
        pytest.skip(PG_HINT)


def _database_url(name: str) -> str:
    return sa.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(sql))
    admin.dispose()


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A database migrated to the newest schema, to create each test's database from."""
    _require_pg()
    name = f"credence_template_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    open_engine(_database_url(name)).dispose()  # no connection may stay open on a template
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_migrated_url(_pg_template: str) -> Iterator[str]:
    """The URL of a new database on the PostgreSQL server, empty and migrated (dropped afterwards)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_template}"')
    yield _database_url(name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema on the PostgreSQL server (dropped afterwards)."""
    _require_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'credence.db'}"


def _sqlite_copy(url: str, kind: str) -> str:
    """Put a copy of the session's migrated ``kind`` database (empty or demo) at ``url``'s file.

    Migrating a new SQLite file takes about 0.6 s and loading the demo another 0.5 s; copying a
    file migrated once per test session takes about 10 ms and gives the same database.
    """
    from tests.factories import sqlite_template

    path = sa.make_url(url).database
    assert path is not None
    if not os.path.exists(path):
        shutil.copyfile(sqlite_template(kind), path)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty, migrated database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return _sqlite_copy(request.getfixturevalue("sqlite_url"), "empty")
    return request.getfixturevalue("pg_migrated_url")  # type: ignore[no-any-return]


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_db_url(request: pytest.FixtureRequest) -> str:
    """The URL of a database with no tables at all: a SQLite file, then a PostgreSQL schema."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")  # type: ignore[no-any-return]


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty, migrated database (both backends)."""
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    eng = open_engine(_sqlite_copy(sqlite_url, "empty"))
    yield eng
    eng.dispose()


@pytest.fixture
def demo_engine(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """A SQLite file holding the demo data, named by CREDENCE_DATABASE_URL (as pages read it)."""
    monkeypatch.setenv("CREDENCE_DATABASE_URL", sqlite_url)
    eng = open_engine(_sqlite_copy(sqlite_url, "demo"))
    yield eng
    eng.dispose()


@pytest.fixture
def empty_engine(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """An empty, migrated SQLite file named by CREDENCE_DATABASE_URL."""
    monkeypatch.setenv("CREDENCE_DATABASE_URL", sqlite_url)
    eng = open_engine(_sqlite_copy(sqlite_url, "empty"))
    yield eng
    eng.dispose()


@pytest.fixture
def stocked(engine: sa.Engine) -> sa.Engine:
    """``engine`` (both backends) holding the small forecasts file of ``factories.good_csv``."""
    from tests.factories import good_csv

    actions.import_file(engine, good_csv(), "forecasts")
    return engine
