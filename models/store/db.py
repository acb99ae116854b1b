"""Database URL, engines, migrations and sessions.

* The URL comes from :class:`models.settings.Settings` (``CREDENCE_DATABASE_URL``, default
  ``sqlite:///data/credence.db``), read when asked for, never at import time.
* :func:`open_engine` creates the SQLite file if needed, switches it to WAL with a busy
  timeout so several processes can write, and brings the schema up to date with Alembic
  (under a lock, so processes opening a new database at once migrate it only once).
* :func:`write_session` begins SQLite transactions with ``BEGIN IMMEDIATE``: a writer
  waits for the write lock up front instead of failing when it upgrades a read
  transaction that another process has overtaken.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import sqlalchemy as sa

from models.errors import CredenceError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session


class StorageError(CredenceError):
    """The database refused a write (read-only, busy, or a constraint); nothing was written."""


MIGRATIONS = Path(__file__).parent.parent / "migrations"
BUSY_TIMEOUT_S = 60
_WRITE = "credence_write"
#: Execution option: on SQLite, check foreign keys once after the writes, not row by row.
_KEYS_AFTER = "credence_keys_after"
_PG_MIGRATION_LOCK = 0x43524544  # "CRED": the advisory lock id held while migrating


def database_url(override: str | None = None) -> str:
    """``override`` if given, else ``CREDENCE_DATABASE_URL``, else the default SQLite file.

    Read afresh whenever the environment's ``CREDENCE_*`` variables change (pages ask on every
    cached read, and building the settings costs milliseconds each time).
    """
    if override:
        return override
    return _configured_url(
        tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("CREDENCE_")))
    )


@functools.lru_cache(maxsize=4)
def _configured_url(environment: tuple[tuple[str, str], ...]) -> str:
    from models.settings import Settings

    return Settings().database_url


def shrink_log(engine: sa.Engine) -> None:
    """SQLite: copy the write-ahead log into the database and cut it to nothing (after a large
    import, which would leave a log of hundreds of MB behind for good).  Best effort: a reader
    that holds an old snapshot leaves it for a later checkpoint."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except sa.exc.OperationalError:
        pass


def _sqlite_path(url: sa.URL) -> Path | None:
    db = url.database
    if url.get_backend_name() != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _switch_to_wal(cursor: Any) -> None:
    """Put the SQLite file in WAL mode (a no-op when it already is; the mode is stored in the file).

    When several processes open a new file at the same moment, all but one get "database
    is locked" at once: SQLite does not apply the busy timeout to this switch.  The mode
    only has to be set once, by whichever process wins, so the others retry briefly.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


SUPPORTED = ("sqlite", "postgresql")


def _read_only(path: Path | None) -> bool:
    """Whether a SQLite file exists but cannot be written (read-only file, directory or mount)."""
    if path is None or not path.exists():
        return False
    return not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to a SQLite file Credence cannot write.

    ``mode=ro`` reads a WAL database while its ``-shm`` file exists or can be made; on a
    read-only directory without one, only ``immutable=1`` can read it, which is safe there
    because nobody can write the file either.
    """
    target = quote(str(path.resolve()))
    conn = sqlite3.connect(
        f"file:{target}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
    )
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    return sqlite3.connect(f"file:{target}?immutable=1", uri=True, check_same_thread=False)


#: The default database's directory (``data/``), made on first use; any other missing
#: directory is an error, so a mistyped ``--db`` path does not create a new tree.
_DEFAULT_DIRECTORY = Path("data")


def _make_directory(path: Path) -> None:
    if path.parent.is_dir():
        return
    if path.parent.exists():
        raise StorageError(f"{path.parent} is not a directory")
    if path.parent != _DEFAULT_DIRECTORY:
        raise StorageError(f"the directory {path.parent} does not exist; create it first or check the URL")
    path.parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url`` without touching the schema (see :func:`open_engine`).

    Only SQLite and PostgreSQL URLs are accepted; a SQLite file that exists but cannot be
    written is opened read-only, so everything that reads still works (writes say why not).
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() not in SUPPORTED:
        raise sa.exc.ArgumentError(
            f"unsupported database URL scheme {parsed.drivername!r}: "
            "use sqlite:///FILE or postgresql+psycopg://user@host/dbname"
        )
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)

    path = _sqlite_path(parsed)
    read_only = _read_only(path)
    if read_only:
        assert path is not None
        engine = sa.create_engine(parsed, creator=lambda: _open_read_only(path))
    else:
        if path is not None:
            _make_directory(path)
        engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        if not read_only:
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        options = conn.get_execution_options()
        # Set before every transaction (SQLite ignores it inside one), so a connection
        # never carries one transaction's choice into the next.
        conn.exec_driver_sql(f"PRAGMA foreign_keys={'OFF' if options.get(_KEYS_AFTER) else 'ON'}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(_WRITE, False) else "BEGIN")

    return engine


def alembic_config(url: str) -> Config:
    # Alembic is imported only when a migration runs: it is slow to import, and most
    # commands open a database that is already up to date.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration's id.

    Revision ids are zero-padded sequence numbers that prefix their file names
    (``0001_initial_schema.py``), so the newest is the largest; ``tests/test_migrations.py``
    checks that this agrees with Alembic's own revision graph.
    """
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at, or None for a database without Credence's tables."""
    with engine.connect() as conn:
        return _revision_of(conn)


def _revision_of(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    path = _sqlite_path(engine.url)
    if path is not None:
        with open(path.with_name(path.name + ".migrate-lock"), "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                conn.commit()
    else:
        yield


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest), keeping every row."""
    from alembic import command

    with _migration_lock(engine):
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            before = _revision_of(conn)
            target = head_revision() if revision == "head" else revision
            if before not in (None, target) and sa.inspect(conn).has_table("data_version"):
                # A migration may rewrite rows.  Like any write it moves the version first, so
                # what its triggers record is later than every copy read before it
                # (models.store.changes).
                conn.execute(sa.text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)


def open_engine(url: str | None = None) -> sa.Engine:
    """An engine for ``url`` (or the configured URL) whose schema is up to date."""
    engine = create_engine(database_url(url))
    if current_revision(engine) != head_revision():
        migrate(engine)
    return engine


@contextmanager
def write_session(engine: sa.Engine, keys_checked_after: bool = False) -> Iterator[Session]:
    """A session whose work commits as one transaction, or not at all if anything raises.

    Each commit bumps the ``data_version`` counter, which readers use to invalidate caches.

    ``keys_checked_after``: a bulk writer's choice on SQLite, where checking each inserted row's
    foreign keys costs a fifth of writing a million rows.  The rows are inserted unchecked
    and the writer calls :func:`check_foreign_keys` before the transaction ends, which
    refuses the whole transaction if any row points at nothing.  (PostgreSQL always checks.)
    """
    from sqlmodel import Session

    global _writes_here
    options = {_WRITE: True, _KEYS_AFTER: keys_checked_after and engine.dialect.name == "sqlite"}
    try:
        _writes_here += 1  # before and after: a reader never trusts a version read during a write
        with Session(engine.execution_options(**options), expire_on_commit=False) as session:
            with session.begin():
                # First, not last: on PostgreSQL its row lock makes writers take turns, so the version
                # a transaction records (the score_change triggers) is its place in commit order.
                session.execute(sa.text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
                yield session
    except sa.exc.DBAPIError as err:
        raise StorageError(refusal(err)) from err
    except engine.dialect.loaded_dbapi.Error as err:  # raised through a bulk writer's raw cursor
        raise StorageError(refusal(err)) from err
    finally:
        _writes_here += 1


#: How many write transactions this process has begun or ended (see :func:`writes_here`).
_writes_here = 0


def writes_here() -> int:
    """A number that changes whenever this process begins or ends a :func:`write_session`:
    a :func:`data_version` read earlier is still current if this has not changed and no other
    process wrote since (which only reading the version again can tell)."""
    return _writes_here


def keys_checked_after(session: Session) -> bool:
    """Whether this transaction's foreign keys are left to :func:`check_foreign_keys` (see :func:`write_session`)."""
    return bool(session.connection().get_execution_options().get(_KEYS_AFTER))


def check_foreign_keys(session: Session, skip: Iterable[str] = ()) -> None:
    """Refuse the transaction if a row of any table but ``skip`` points at nothing.

    For a transaction whose keys are checked at the end (:func:`write_session`); nothing to
    do where they are checked row by row.  Tables in ``skip`` are the bulk writer's, which
    checks the rows it wrote itself (:func:`check_references`): a pass over a million
    forecasts' four keys would take a second.
    """
    if not keys_checked_after(session):
        return
    tables = session.execute(
        sa.text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ).scalars()
    for table in sorted(set(tables) - set(skip)):
        broken = session.execute(sa.text(f'PRAGMA foreign_key_check("{table}")')).first()
        if broken is not None:
            raise StorageError(
                f"the database refused the change, so nothing was written: a {table} row points at a "
                f"missing {broken[2]} (row {broken[1]})"
            )


def check_references(session: Session, table: str, parent: str, ids: Iterable[Any]) -> None:
    """Refuse the transaction unless every one of ``ids`` (NaN/None: no reference) is a row of
    ``parent``: what the foreign keys of the ``table`` rows just written would have checked."""
    wanted = sorted({int(i) for i in ids if i is not None and i == i})  # (NaN != NaN)
    for start in range(0, len(wanted), 900):
        part = wanted[start : start + 900]
        found = session.execute(
            sa.text(f"SELECT COUNT(*) FROM {parent} WHERE id IN ({', '.join(str(i) for i in part)})")
        ).scalar()
        if found != len(part):
            raise StorageError(
                f"the database refused the change, so nothing was written: a {table} row points at a "
                f"missing {parent}"
            )


def refusal(err: Exception) -> str:
    """A database error (SQLAlchemy's or the driver's own) as one sentence a person can act on
    (nothing was written)."""
    orig = getattr(err, "orig", None)
    text = str(orig if orig is not None else err).strip()
    first = text.splitlines()[0] if text else type(err).__name__
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "the database is read-only: it can be read, but nothing can be written"
    if "locked" in text:
        return "the database is busy (another process holds its write lock); try again"
    return f"the database refused the change, so nothing was written: {first}"


#: The advisory lock id imports and restores hold on PostgreSQL ("CRIM").
_PG_IMPORT_LOCK = 0x4352494D


def import_lock(session: Session) -> None:
    """Serialise imports and restores with each other, for the rest of this transaction.

    SQLite already lets one writer at a time in (``BEGIN IMMEDIATE``).  PostgreSQL lets
    writers overlap, so two imports of one file would both find its rows missing and both
    insert them, and two imports creating one researcher would collide on its handle.  A
    transaction-scoped advisory lock (``pg_advisory_xact_lock``, released at commit or
    rollback, also when the process dies) makes the second wait; each statement after it
    sees what the first committed, so the result is that of running them one after the other.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_IMPORT_LOCK})


@contextmanager
def derived_write(engine: sa.Engine, lock_wait_ms: int = 200) -> Iterator[sa.Connection]:
    """A write transaction for derived data (caches) that does not move ``data_version``.

    On SQLite it waits at most ``lock_wait_ms`` for the write lock, not the usual minute,
    then raises :class:`sqlalchemy.exc.OperationalError`: a cache is not worth waiting
    for an import to finish.
    """
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute(f"PRAGMA busy_timeout={lock_wait_ms}")
        try:
            with conn.execution_options(**{_WRITE: True}).begin():
                yield conn
        finally:
            if raw is not None:
                raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")


def data_version(engine: sa.Engine) -> int:
    """A number that changes whenever a write transaction commits (in any process)."""
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT version FROM data_version WHERE id = 1")).scalar() or 0)
