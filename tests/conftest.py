"""Shared fixtures: real temporary databases (SQLite, and PostgreSQL when reachable).

Storage tests take ``db_url``/``engine``, which run each test twice: on a SQLite file in
``tmp_path`` and on a database of the PostgreSQL server at 127.0.0.1:5432 (reached through its
database ``test``, whose own schemas are never written).  Both are empty and migrated: a copy of
a SQLite file migrated once per test session, and a PostgreSQL database from a small pool per
test process, emptied between tests (see ``_PgPool``; its databases are created from a template
migrated once per session and process, and dropped when a test changed their schema).  Migration tests take ``blank_db_url``: a SQLite
file that does not exist yet, or a new, empty schema.  When the server does not answer, the
PostgreSQL runs are skipped with a message saying how to start it; under CI (``CI=true``) they
fail instead.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
import streamlit.components.v2.manifest_scanner as _manifests
import typer.testing
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import local_script_runner as _local_runner

from models import actions
from models.store.db import data_version, open_engine

PG_SERVER = os.environ.get("CREDENCE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_HINT = (
    "PostgreSQL is unreachable at 127.0.0.1:5432 (database 'test'), so the PostgreSQL runs of the "
    "storage tests did not run. Start it with: "
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
)
_pg_state: dict[str, str | None] = {}

# pytest rewrites the asserts of every test module and of its plugins' packages (all of
# hypothesis) when it imports them, and keeps the result beside the source unless Python may
# not write bytecode: with PYTHONDONTWRITEBYTECODE set (as on our machines) each test process
# rewrote and compiled them again, 5 s of the 9 s it takes to collect the tests.  The cached
# files (``*-pytest-*.pyc`` in ``__pycache__``, git-ignored) are checked against their source's
# modification time and size, so an edited test is rewritten afresh, as `make bytecode` does
# for our own modules.  Test modules and hypothesis are imported after this file.
sys.dont_write_bytecode = False

# Every AppTest run scans all installed distributions for Streamlit components (0.4 s each,
# a third of a page test); `streamlit run` scans once per server.  The installed packages do
# not change during a test session, so one scan per test process gives the same answer.
_manifests.scan_component_manifests = functools.cache(_manifests.scan_component_manifests)  # type: ignore[assignment]

# typer's CliRunner builds the click command from the app's functions on every invoke (about
# 60 ms for ours: signatures, annotations, help); the `credence` process builds it once.  The
# app's commands do not change during a test session, so one build per test process is the same.
typer.testing._get_command = functools.cache(typer.testing._get_command)  # type: ignore[attr-defined]

# AppTest gives every script run a new ScriptCache, so each run parses, rewrites ("magic") and
# compiles the page again (about 30 ms); `streamlit run` keeps one cache per server and compiles
# a page once until its file changes.  One cache per test process, keyed on the file's contents.
_compiled: dict[tuple[str, bytes], Any] = {}
_compile_script = ScriptCache.get_bytecode


def _cached_bytecode(self: ScriptCache, script_path: str) -> Any:
    path = os.path.abspath(script_path)
    with open(path, "rb") as fh:
        key = (path, fh.read())
    if key not in _compiled:
        _compiled[key] = _compile_script(self, path)
    return _compiled[key]


ScriptCache.get_bytecode = _cached_bytecode  # type: ignore[method-assign]

# AppTest waits for a script run by waking every millisecond to scan the run's events, taking
# the interpreter lock from the script it waits for, hundreds of times a run.  Joining the
# script's thread waits for the same moment (the thread ends once the run has shut down)
# without waking; the timeout and its error stay AppTest's own.
_poll_for_run = _local_runner.require_widgets_deltas


def _join_the_run(runner: _local_runner.LocalScriptRunner, timeout: float = 3) -> None:
    thread = runner._script_thread
    if thread is not None:
        thread.join(timeout)
    if not runner.script_stopped():
        _poll_for_run(runner, 0)  # stops the run and raises AppTest's "timed out" error


_local_runner.require_widgets_deltas = _join_the_run


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sqlite-only",
        action="store_true",
        help="leave out every test run on PostgreSQL (the [postgresql] runs of the storage tests, "
        "and the tests that need the server); `make test-fast` passes it, `make test` does not",
    )


def _on_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    fixtures = getattr(item, "fixturenames", ())
    return (
        "postgresql" in (params.get("db_url"), params.get("blank_db_url"))
        or "pg_url" in fixtures
        or "pg_migrated_url" in fixtures
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--sqlite-only"):
        return
    left_out = [item for item in items if _on_postgresql(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _on_postgresql(item)]


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("--sqlite-only"):
        return "postgresql: left out (--sqlite-only): storage tests run on SQLite alone"

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


#: Everything about a database's schema a test could change: schemas, tables and their columns,
#: defaults, indexes, constraints, triggers (and whether they are enabled), functions, views,
#: sequences, extensions, privileges and per-database settings.  One md5 over sorted lines.
_SCHEMA_FINGERPRINT = """
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
)
SELECT md5(string_agg(line, E'\\n' ORDER BY line)) FROM (
    SELECT 'schema ' || n.nspname || ' ' || coalesce(n.nspacl::text, '') AS line
    FROM ns JOIN pg_namespace n USING (oid)
    UNION ALL
    SELECT concat_ws(' ', 'rel', ns.nspname, c.relname, c.relkind, c.relacl::text, a.attnum,
                     a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                     pg_get_expr(d.adbin, d.adrelid))
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
    LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN ns ON ns.oid = c.relnamespace
    UNION ALL
    SELECT concat_ws(' ', 'constraint', conrelid::regclass, conname, pg_get_constraintdef(p.oid))
    FROM pg_constraint p JOIN ns ON ns.oid = p.connamespace
    UNION ALL
    SELECT concat_ws(' ', 'trigger', tgname, tgenabled, pg_get_triggerdef(t.oid))
    FROM pg_trigger t WHERE NOT tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'function', p.oid::regprocedure, md5(p.prosrc), p.proacl::text)
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL
    SELECT 'view ' || c.oid::regclass || ' ' || pg_get_viewdef(c.oid)
    FROM pg_class c JOIN ns ON ns.oid = c.relnamespace WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension
    UNION ALL
    SELECT 'setting ' || array_to_string(setconfig, ',') FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) lines
"""


class _PgPool:
    """Migrated PostgreSQL databases for one test process, lent to one test at a time.

    Creating a database per test (``CREATE DATABASE … TEMPLATE``, then ``DROP DATABASE``) cost
    a fifth of a second and half the run time of the fast tests.  A returned database is emptied
    instead (about a millisecond): its other connections are closed, every table is emptied with
    triggers and foreign keys off, and the rows and sequence positions the migrations left (the
    ``data_version`` row) are put back, so the next test starts from exactly the database a new
    copy of the template would be.  A test that changed the schema (a different fingerprint of
    it, see ``_SCHEMA_FINGERPRINT``, or a different ``alembic_version``) has its database dropped.
    """

    def __init__(self) -> None:
        self.admin = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT").connect()
        self.template = f"credence_template_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{self.template}"')
        open_engine(_database_url(self.template)).dispose()  # no connection may stay open on a template
        self.free: list[str] = []
        self.cleaners: dict[str, sa.Connection] = {}
        self.pristine: tuple[str, str] | None = None  # (fingerprint, alembic version) of a new copy
        self.reset_sql = ""

    def _admin(self, sql: str) -> None:
        self.admin.execute(sa.text(sql))

    def _state(self, conn: sa.Connection) -> tuple[str, str]:
        fingerprint = conn.execute(sa.text(_SCHEMA_FINGERPRINT)).scalar_one()
        version = ",".join(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())
        return fingerprint, version

    def _learn(self, conn: sa.Connection) -> None:
        """Record what a new copy holds: its schema, its rows (as JSON) and its sequence positions."""
        self.pristine = self._state(conn)
        tables = (
            conn.execute(
                sa.text(
                    "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') "
                    "AND tablename <> 'alembic_version' ORDER BY 1"
                )
            )
            .scalars()
            .all()
        )
        sql = ["BEGIN", "SET LOCAL session_replication_role = replica"]  # no triggers, no FK checks
        inserts = []
        for table in tables:
            sql.append(f"DELETE FROM {table}")
            rows = conn.execute(sa.text(f"SELECT json_agg(t) FROM {table} t")).scalar()
            if rows is not None:
                literal = conn.execute(sa.text("SELECT quote_literal(:j)"), {"j": json.dumps(rows)}).scalar()
                inserts.append(
                    f"INSERT INTO {table} SELECT * FROM json_populate_recordset(NULL::{table}, {literal})"
                )
        sql += inserts
        sequences = (
            conn.execute(
                sa.text(
                    "SELECT format('%I.%I', schemaname, sequencename) FROM pg_sequences "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            )
            .scalars()
            .all()
        )
        for seq in sequences:
            last, called = conn.execute(sa.text(f"SELECT last_value, is_called FROM {seq}")).one()
            sql.append(f"SELECT setval('{seq}', {last}, {str(called).lower()})")
        sql.append("COMMIT")
        self.reset_sql = ";\n".join(sql)

    def _cleaner(self, name: str) -> sa.Connection:
        if name not in self.cleaners:
            eng = sa.create_engine(
                _database_url(name), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
            )
            self.cleaners[name] = eng.connect()
        return self.cleaners[name]

    def lend(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"t_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        if self.pristine is None:
            self._learn(self._cleaner(name))
        return name

    @staticmethod
    def _close_other_connections(conn: sa.Connection) -> None:
        """End the connections a test left open (engines it did not dispose) and wait until they are gone.

        ``pg_terminate_backend(pid, timeout)`` would wait too, but polls every 100 ms per connection.
        """
        others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        conn.execute(sa.text(f"SELECT pg_terminate_backend(pid) {others}"))
        deadline = time.monotonic() + 10
        while conn.execute(sa.text(f"SELECT count(*) {others}")).scalar() and time.monotonic() < deadline:
            time.sleep(0.001)

    def give_back(self, name: str) -> None:
        """Empty ``name`` for the next test, or drop it if the test changed its schema."""
        conn = self._cleaner(name)
        try:
            self._close_other_connections(conn)
            if self._state(conn) == self.pristine:
                conn.connection.dbapi_connection.execute(self.reset_sql)  # type: ignore[union-attr]
                self.free.append(name)
                return
        except sa.exc.DBAPIError:  # e.g. alembic_version is gone: not a database to lend again
            pass
        self.cleaners.pop(name).close()
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for conn in self.cleaners.values():
            conn.close()
        for name in [*self.cleaners, self.template]:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture(scope="session")
def _pg_pool() -> Iterator[_PgPool]:
    _require_pg()
    pool = _PgPool()
    yield pool
    pool.close()


@pytest.fixture
def pg_migrated_url(_pg_pool: _PgPool) -> Iterator[str]:
    """The URL of a database on the PostgreSQL server, empty and migrated, for this test alone.

    The URL carries a name no other test's URL has (``application_name``), so nothing cached
    under a URL (a page's ``st.cache_data``, keyed on URL and data version) outlives the test.
    """
    name = _pg_pool.lend()
    yield (
        sa.make_url(_database_url(name))
        .update_query_dict({"application_name": f"credence-test-{uuid.uuid4().hex[:12]}"})
        .render_as_string(hide_password=False)
    )
    _pg_pool.give_back(name)


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
    from tests.factories import copy_of

    path = sa.make_url(url).database
    assert path is not None
    return url if os.path.exists(path) else copy_of(url, kind)


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


@pytest.fixture(scope="session")
def shared_demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of this test process's one demo database, for tests that only read it (see
    :func:`shared_demo_engine`)."""
    return _sqlite_copy(f"sqlite:///{tmp_path_factory.mktemp('shared-demo') / 'credence.db'}", "demo")


@pytest.fixture(scope="session")
def _shared_demo_engine(shared_demo_url: str) -> Iterator[sa.Engine]:
    eng = open_engine(shared_demo_url)
    yield eng
    eng.dispose()


@pytest.fixture
def shared_demo_engine(
    shared_demo_url: str, _shared_demo_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[sa.Engine]:
    """The demo data for a test that only reads it: one SQLite file per test process, named by
    CREDENCE_DATABASE_URL.

    Page tests that never write share it, and with it the pages' cached reads (keyed on URL and
    data version), as the sessions of one server do; building a database and reading it cold
    for each test was most of their time.  A test that writes takes :func:`demo_engine`: one
    that wrote here fails (the data version moved), since later tests would read its rows.
    """
    monkeypatch.setenv("CREDENCE_DATABASE_URL", shared_demo_url)
    before = data_version(_shared_demo_engine)
    yield _shared_demo_engine
    assert data_version(_shared_demo_engine) == before, (
        "a test wrote to the shared demo database, which is for tests that only read: "
        "give it its own (demo_engine)"
    )


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once every test module is imported: keep what the imports made out of the garbage
    collector's scans, and scan everything less often.

    A test process holds Streamlit, pandas, Altair, SQLAlchemy and Hypothesis for its whole
    life: a third of a million objects that every full collection walked again, twelve times
    over a quarter of the tests (2.5 s of 40 s).  Frozen, and with full collections after 100
    younger ones rather than 10, the same tests spent 0.9 s collecting.  Nothing a test
    checks depends on when garbage is collected.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
