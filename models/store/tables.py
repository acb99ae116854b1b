"""SQLModel tables: what Credence stores.

Rows are built from validated input (``models.schemas``); table models do not validate
on construction.  Conventions:

* Times are stored in UTC and read back timezone-aware (:class:`UTCDateTime`).
* Nothing is destroyed.  Editing a question, forecast, evidence item, capability level,
  researcher or question link first copies its current state into :class:`Revision`;
  deleting sets ``deleted_at`` and can be undone.
* Current state lives in the main tables, so export and scoring never see old revisions.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so the value is stored
    as naive UTC and given back its zone on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Credence stores timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _time(nullable: bool = True, index: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


class Researcher(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(sa_column=sa.Column(sa.String(80), unique=True, nullable=False))
    name: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())
    #: The signed-in e-mail bound to this researcher in team mode (lower-case; None in laptop mode).
    email: str | None = Field(default=None, sa_column=sa.Column(sa.String(320), nullable=True))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    #: When and by whom this version was written (None/"" for a version written before 0012).
    updated_at: datetime | None = Field(default_factory=utcnow, sa_column=_time())
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))

    # A unique index rather than a constraint: SQLite adds it without rebuilding the table.
    __table_args__ = (sa.Index("ix_researcher_email", "email", unique=True),)


class CapabilityLevel(SQLModel, table=True):
    __tablename__ = "capability_level"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), unique=True, nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    position: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    #: When and by whom this version was written (None/"" for a version written before 0009).
    updated_at: datetime | None = Field(default_factory=utcnow, sa_column=_time())
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())


class Question(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(500), unique=True, nullable=False))
    criteria: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    #: Tags joined by ";" in sorted order, e.g. "alignment;scheming".
    tags: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    resolve_by: datetime | None = Field(default=None, sa_column=_time())
    #: Days after which an estimate of this question is due for review; None: the default (90).
    review_every_days: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    outcome: str | None = Field(default=None, sa_column=sa.Column(sa.String(10), nullable=True))
    resolved_at: datetime | None = Field(default=None, sa_column=_time())
    resolution_level_id: int | None = Field(default=None, foreign_key="capability_level.id")
    resolution_note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())


class Forecast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    researcher_id: int = Field(foreign_key="researcher.id")  # ix_forecast_target leads with it
    question_id: int = Field(foreign_key="question.id", index=True)
    level_id: int | None = Field(default=None, foreign_key="capability_level.id")
    probability: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    #: When the belief held.
    as_of: datetime = Field(sa_column=_time(nullable=False))  # ix_forecast_target ends with it
    #: When it was written into Credence (set by the system; kept on import of an export).
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    #: Written down after the fact ("my view as of mid-2024 was ~2%").
    reconstructed: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false())
    )
    rationale: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    #: The condition ``P(question | given = given_outcome)``: another question and "yes"/"no";
    #: both None for a forecast not conditional on another question.
    given_question_id: int | None = Field(default=None, foreign_key="question.id")
    given_outcome: str | None = Field(default=None, sa_column=sa.Column(sa.String(3), nullable=True))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())

    #: Reading a target's history (researcher, question, level in time order) is the common query.
    __table_args__ = (
        sa.Index("ix_forecast_target", "researcher_id", "question_id", "level_id", "as_of"),
        # Only the deleted forecasts: counting a researcher's live forecasts is counting all of
        # them (ix_forecast_target) less these (models.store.reads.researchers_frame).
        sa.Index(
            "ix_forecast_deleted_researcher",
            "researcher_id",
            sqlite_where=sa.text("deleted_at IS NOT NULL"),
            postgresql_where=sa.text("deleted_at IS NOT NULL"),
        ),
    )


class QuestionPartition(SQLModel, table=True):
    """Questions a researcher declares mutually exclusive and exhaustive ("scheming arises via
    neuralese / via chain of thought / not at all"); members in :class:`PartitionMember`.

    Edits keep the earlier version (members included) in :class:`Revision` as ``"partition"``.
    """

    __tablename__ = "question_partition"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), unique=True, nullable=False))
    #: Who declared it.
    researcher_id: int = Field(foreign_key="researcher.id")
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())


class PartitionMember(SQLModel, table=True):
    __tablename__ = "partition_member"

    partition_id: int = Field(foreign_key="question_partition.id", primary_key=True)
    question_id: int = Field(foreign_key="question.id", primary_key=True)
    #: Order of the members as declared (0, 1, ...).
    position: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class Evidence(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(500), unique=True, nullable=False))
    kind: str = Field(
        default="other", sa_column=sa.Column(sa.String(20), nullable=False, server_default="other")
    )
    url: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    published: datetime | None = Field(default=None, sa_column=_time())
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    #: An :class:`~models.vocab.EvidenceStatus`: ``anticipated`` (a possible observation that
    #: ratios can be written down for in advance) or ``observed``.
    status: str = Field(
        default="observed", sa_column=sa.Column(sa.String(20), nullable=False, server_default="observed")
    )
    #: When it was observed (None while anticipated, or when an observed item's date is unknown).
    observed_at: datetime | None = Field(default=None, sa_column=_time())
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    #: When and by whom this version was written (None/"" for a version written before 0009).
    updated_at: datetime | None = Field(default_factory=utcnow, sa_column=_time())
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())


class LikelihoodRatio(SQLModel, table=True):
    """A researcher's expected likelihood ratio P(E | yes) / P(E | no) for an evidence item on a
    target (question, optional capability level).

    One current row per (researcher, question, level, evidence); recording it again keeps the
    earlier version in :class:`Revision` (entity ``likelihood_ratio``).  ``recorded_at`` is when
    this value was written down: a ratio recorded before the evidence's ``observed_at`` is
    pre-registered, one recorded after is post hoc.
    """

    __tablename__ = "likelihood_ratio"

    id: int | None = Field(default=None, primary_key=True)
    researcher_id: int = Field(foreign_key="researcher.id")
    question_id: int = Field(foreign_key="question.id")
    level_id: int | None = Field(default=None, foreign_key="capability_level.id")
    evidence_id: int = Field(foreign_key="evidence.id", index=True)
    ratio: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    as_of: datetime = Field(sa_column=_time(nullable=False))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    rationale: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())

    __table_args__ = (sa.Index("ix_likelihood_ratio_target", "researcher_id", "question_id", "level_id"),)


class ForecastEvidence(SQLModel, table=True):
    __tablename__ = "forecast_evidence"

    forecast_id: int = Field(foreign_key="forecast.id", primary_key=True)
    evidence_id: int = Field(foreign_key="evidence.id", primary_key=True, index=True)
    #: A :class:`Direction` value, or None when the source did not say.
    direction: str | None = Field(default=None, sa_column=sa.Column(sa.String(10), nullable=True))
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))


class QuestionLink(SQLModel, table=True):
    """ "P(source) moved mostly because P(target) moved"."""

    __tablename__ = "question_link"

    id: int | None = Field(default=None, primary_key=True)
    source_question_id: int = Field(foreign_key="question.id", index=True)
    target_question_id: int = Field(foreign_key="question.id", index=True)
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    revision: int = Field(default=1, sa_column=sa.Column(sa.Integer, nullable=False, server_default="1"))
    #: When and by whom this version was written (None/"" for a version written before 0012).
    updated_at: datetime | None = Field(default_factory=utcnow, sa_column=_time())
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    deleted_at: datetime | None = Field(default=None, sa_column=_time())


class Revision(SQLModel, table=True):
    """An earlier version of a question, forecast, evidence item, capability level, likelihood
    ratio, partition, researcher or question link, kept when it was edited, deleted or restored
    (``entity`` says which).

    ``data`` is the row as it was (JSON, times in ISO 8601), ``number`` its revision number;
    ``changed_by``/``changed_at`` say who replaced it and when.
    """

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    entity_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    number: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    data: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    changed_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))

    __table_args__ = (sa.UniqueConstraint("entity", "entity_id", "number"),)


class ShareLink(SQLModel, table=True):
    """A read-only link to one researcher's trajectories for some questions or a tag.

    Only the token's SHA-256 is stored (:mod:`models.sharing`); ``question_ids`` holds the
    chosen questions' ids joined by ``;`` (empty when the link is for ``tag``).  Revoking sets
    ``revoked_at``; nothing is deleted.
    """

    __tablename__ = "share_link"

    id: int | None = Field(default=None, primary_key=True)
    researcher_id: int = Field(foreign_key="researcher.id", index=True)
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    label: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False, server_default=""))
    question_ids: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    tag: str | None = Field(default=None, sa_column=sa.Column(sa.String(200), nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_time(nullable=False))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    expires_at: datetime | None = Field(default=None, sa_column=_time())
    revoked_at: datetime | None = Field(default=None, sa_column=_time())


class DataVersion(SQLModel, table=True):
    """One row counting committed write transactions, so readers can cache until it moves."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))


class FrameCache(SQLModel, table=True):
    """A columnar copy of a query's result, valid while ``data_version`` has not moved.

    Derived data only (see :mod:`models.store.frame_cache`): never backed up, rebuilt on demand.
    ``fingerprint`` names what produced the payload (query text, schema, format), so a
    changed query never reads an old entry.
    """

    __tablename__ = "frame_cache"

    name: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    data_version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    payload: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class ScoreChange(SQLModel, table=True):
    """The data version at which a question's scored forecasts last changed (written by triggers).

    Bookkeeping for :mod:`models.store.scores`; question 0 means "everything changed".
    Not backed up.
    """

    __tablename__ = "score_change"

    question_id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


#: Every table of user data, parents before children (the order backups are written and
#: restored in).  ``data_version`` and ``frame_cache`` are bookkeeping, not backed up.
ALL_TABLES: list[type[SQLModel]] = [
    Researcher,
    CapabilityLevel,
    Question,
    Evidence,
    Forecast,
    ForecastEvidence,
    QuestionLink,
    LikelihoodRatio,
    QuestionPartition,
    PartitionMember,
    Revision,
    ShareLink,
]
