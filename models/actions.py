"""Every change a person makes, one function each: used by the pages and the CLI alike.

Each action validates nothing itself (its input is already a validated schema from
:mod:`models.forms`, :mod:`models.schemas` or a parser in :mod:`models.files`), opens its own
transaction, and either writes everything or raises and writes nothing.

``by`` says who acts: an :class:`~models.permissions.Actor` (a signed-in member in team mode,
whose permissions are checked here, before anything is written: a refusal raises
:class:`~models.errors.NotAllowed` saying why), or a plain handle (laptop mode and the CLI,
where nothing is refused).  Its handle is stored as the author of every revision the action
keeps.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import Session

from models.batch import ImportBatch, ImportSummary, Progress
from models.errors import InputError, NotAllowed, Problem
from models.files import demo, fatebook, interchange
from models.format import describe_change, format_percent, format_time
from models.permissions import OWNED, Actor, TeamPolicy, Thing, Verb, require, require_admin, require_import
from models.schemas import (
    EvidenceIn,
    ForecastEdit,
    ForecastIn,
    JoinIn,
    LevelIn,
    PartitionMemberIn,
    QuestionEdit,
    QuestionIn,
    RatioIn,
    ResearcherIn,
    ResolutionIn,
)
from models.store import backup, curation, ratios, reads, records, share_links
from models.store.bulk import apply_batch
from models.store.db import write_session
from models.store.tables import Forecast, Researcher

P = ParamSpec("P")
T = TypeVar("T")

#: Who acts: a signed-in member (team mode), or the handle recorded as the author (laptop mode, CLI).
By = Actor | str


def actor_of(by: By) -> Actor:
    """``by`` as an :class:`Actor`: a plain handle is laptop mode (nothing refused)."""
    return by if isinstance(by, Actor) else Actor.local(by)


def author(by: By) -> str:
    """The handle stored as the author of what ``by`` writes."""
    return actor_of(by).handle


def _owner(session: Any, researcher_id: int) -> tuple[int, str]:
    researcher = session.get(Researcher, researcher_id)
    return researcher_id, researcher.handle if researcher is not None else ""


def _check_owned(session: Any, by: By, verb: Verb, thing: Thing, researcher_id: int) -> None:
    actor = actor_of(by)
    if actor.team:
        owner_id, handle = _owner(session, researcher_id)
        require(actor, verb, thing, owner_id=owner_id, owner_handle=handle)


def _check_owner(session: Any, by: By, verb: Verb, thing: Thing, handle: str) -> None:
    """A new forecast or ratio (an owned ``thing``) belongs to the researcher ``handle``."""
    actor = actor_of(by)
    if actor.team:
        row = records.researcher_by_handle(session, handle)
        assert row.id is not None
        require(actor, verb, thing, owner_id=row.id, owner_handle=handle)


@dataclass(frozen=True)
class Saved:
    """What :func:`save_forecast` stored, and the estimate it follows (None for a first forecast)."""

    forecast_id: int
    researcher: str
    question: str
    capability: str | None
    probability: float
    as_of: datetime
    previous: float | None
    previous_as_of: datetime | None
    reconstructed: bool = False
    #: The condition's question title and outcome, for ``P(question | given = outcome)``.
    given: str | None = None
    given_outcome: str | None = None

    def message(self) -> str:
        """``Saved ada's forecast on "Q" (unconditional): 12% → 7%, −5 points, −0.6 in log-odds …``."""
        given = f"given \u201c{self.given}\u201d = {self.given_outcome}" if self.given else None
        level = ", ".join(x for x in (self.capability, given) if x) or "unconditional"
        kind = "reconstructed forecast" if self.reconstructed else "forecast"
        head = f"Saved {self.researcher}'s {kind} on \u201c{self.question}\u201d ({level})"
        if self.previous is None or self.previous_as_of is None:
            return (
                f"{head}: {format_percent(self.probability)}. "
                f"This is {self.researcher}'s first forecast on this question at this level."
            )
        return (
            f"{head}: {describe_change(self.previous, self.probability)} "
            f"(previous estimate as of {format_time(self.previous_as_of)})."
        )


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def save_forecast(engine: sa.Engine, data: ForecastIn, by: By = "") -> Saved:
    """Store one forecast (:func:`models.store.records.create_forecast`) and find the estimate it follows.

    One transaction: a refused forecast (unknown researcher, question or level; in team mode,
    another researcher's) writes nothing.
    """
    with write_session(engine) as session:
        _check_owner(session, by, Verb.create, Thing.forecast, data.researcher)
        return _create_forecast(session, data, author(by))


def reaffirm(
    engine: sa.Engine, forecast_id: int, note: str = "", by: By = "", now: datetime | None = None
) -> Saved:
    """Record forecast ``forecast_id``'s estimate again as of ``now`` (default: the current time).

    "I still think 7%" on the record: a forecast like any other (same researcher, question,
    level and probability), with rationale ``"Reaffirmed."`` or ``"Reaffirmed: <note>"``.
    """
    with write_session(engine) as session:
        data = records.reaffirmation(session, forecast_id, note, now or datetime.now(UTC))
        _check_owner(session, by, Verb.create, Thing.forecast, data.researcher)
        return _create_forecast(session, data, author(by) or data.researcher)


def _create_forecast(session: Session, data: ForecastIn, by: str) -> Saved:
    forecast = records.create_forecast(session, data, by=by)
    prev = records.previous_forecast(session, forecast)
    assert forecast.id is not None
    return Saved(
        forecast_id=forecast.id,
        researcher=data.researcher,
        question=data.question,
        capability=data.capability,
        probability=forecast.probability,
        as_of=_utc(forecast.as_of),
        previous=prev.probability if prev else None,
        previous_as_of=_utc(prev.as_of) if prev else None,
        reconstructed=data.reconstructed,
        given=data.given,
        given_outcome=data.given_outcome,
    )


def add_question(engine: sa.Engine, data: QuestionIn, by: By = "") -> int:
    """Create a question (:func:`models.store.records.create_question`); returns its id (any member)."""
    with write_session(engine) as session:
        question = records.create_question(session, data, by=author(by))
        assert question.id is not None
        return question.id


def add_evidence(engine: sa.Engine, data: EvidenceIn, by: By = "") -> bool:
    """Create an evidence item with its URL; False when an item of that title already exists."""
    summary = apply_batch(engine, ImportBatch(evidence=[data]), by=author(by))
    return summary.created["evidence items"] > 0


def _write(
    engine: sa.Engine, write: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``write(session, *args, **kwargs)`` in its own transaction: all of it is committed, or none."""
    with write_session(engine) as session:
        return write(session, *args, **kwargs)


# --- forecasts and questions ------------------------------------------------------------------


def edit_forecast(engine: sa.Engine, forecast_id: int, edit: ForecastEdit, by: By = "") -> None:
    """Correct a forecast; its earlier version stays in the history as a revision."""
    with write_session(engine) as session:
        forecast = records.get(session, Forecast, forecast_id)
        _check_owned(session, by, Verb.edit, Thing.forecast, forecast.researcher_id)
        records.edit_forecast(session, forecast_id, edit, by=author(by))


def edit_question(engine: sa.Engine, question_id: int, edit: QuestionEdit, by: By = "") -> None:
    """Change a question's title, criteria, tags or resolve-by date, keeping a revision (any member)."""
    _write(engine, records.edit_question, question_id, edit, by=author(by))


def resolve_question(engine: sa.Engine, data: ResolutionIn, by: By = "") -> bool:
    """Resolve (or re-resolve) a question; a changed resolution keeps the old one as a revision.

    Returns False when the question was already resolved with exactly these values (nothing
    is written then), True otherwise.  Team mode: admins only.
    """
    require(actor_of(by), Verb.create, Thing.resolution)
    with write_session(engine) as session:
        before = records.question_by_title(session, data.question).revision
        return records.resolve_question(session, data, by=author(by)).revision != before


def reopen_question(engine: sa.Engine, question_id: int, by: By = "", note: str = "") -> None:
    """Take back a resolution, keeping it in the question's history (team mode: admins only)."""
    require(actor_of(by), Verb.delete, Thing.resolution)
    _write(engine, records.reopen_question, question_id, by=author(by), note=note)


def link_questions(
    engine: sa.Engine, question_id: int, target: int | None, note: str = "", by: By = ""
) -> None:
    """Record "P(this) moved mostly because P(target) moved" between two questions."""
    _write(engine, curation.add_question_link, question_id, target, note, by=author(by))


#: What each deletable kind is, for the permission rules.
KIND_THINGS = {
    "forecast": Thing.forecast,
    "question": Thing.question,
    "researcher": Thing.researcher,
    "evidence": Thing.evidence,
    "capability_level": Thing.capability_level,
    "question_link": Thing.question_link,
    "likelihood_ratio": Thing.ratio,
    "partition": Thing.question_partition,
}


def _check_kind(session: Any, by: By, verb: Verb, kind: str, row_id: int) -> None:
    actor = actor_of(by)
    if not actor.team:
        return
    thing = KIND_THINGS.get(kind)
    if thing is None:  # a kind without a rule yet: admins only, to be safe
        require_admin(actor, f"delete or restore a {kind.replace('_', ' ')}")
    elif thing in OWNED:
        row = records.get(session, records.DELETABLE[kind], row_id)
        _check_owned(session, actor, verb, thing, row.researcher_id)
    else:
        require(actor, verb, thing)


def delete(engine: sa.Engine, kind: str, row_id: int, by: By = "") -> None:
    """Soft-delete a row of ``kind`` (see :data:`models.store.records.DELETABLE`); :func:`undo_delete` restores it."""
    with write_session(engine) as session:
        _check_kind(session, by, Verb.delete, kind, row_id)
        records.soft_delete(session, kind, row_id, by=author(by))


def undo_delete(engine: sa.Engine, kind: str, row_id: int, by: By = "") -> None:
    """Restore a soft-deleted row."""
    with write_session(engine) as session:
        _check_kind(session, by, Verb.undo, kind, row_id)
        records.restore(session, kind, row_id, by=author(by))


# --- curation ---------------------------------------------------------------------------------


def create_researcher(engine: sa.Engine, data: ResearcherIn, by: By = "") -> None:
    """Add a researcher (team mode: admins only; a newcomer joins with :func:`join_team`)."""
    require(actor_of(by), Verb.create, Thing.researcher)
    _write(engine, curation.create_researcher, data, by=author(by))


def rename_researcher(engine: sa.Engine, researcher_id: int, name: str, by: By = "") -> None:
    """Change a researcher's display name (team mode: admins only); the earlier name is kept as a revision."""
    require(actor_of(by), Verb.edit, Thing.researcher)
    _write(engine, curation.rename_researcher, researcher_id, name, by=author(by))


def create_level(engine: sa.Engine, data: LevelIn, by: By = "") -> None:
    """Add a capability level (any member); ``by`` is recorded as the author of its first version."""
    _write(engine, curation.create_level, data, by=author(by))


def move_level(engine: sa.Engine, level_id: int, offset: int, by: By = "") -> None:
    """Move a capability level ``offset`` steps up (+) or down (−) the scale; every level that
    changes place keeps its earlier version as a revision by ``by``."""
    _write(engine, curation.move_level, level_id, offset, by=author(by))


def set_level_positions(engine: sa.Engine, positions: Mapping[int, float], by: By = "") -> None:
    _write(engine, curation.set_level_positions, positions, by=author(by))


def create_evidence(engine: sa.Engine, data: EvidenceIn, by: By = "") -> int:
    """Add an evidence item to the library; returns its id."""
    with write_session(engine) as session:
        item = curation.create_evidence(session, data, by=author(by))
        assert item.id is not None
        return item.id


def edit_evidence(engine: sa.Engine, evidence_id: int, data: EvidenceIn, by: By = "") -> None:
    """Change an evidence item (any member), keeping its earlier version as a revision by ``by``."""
    _write(engine, curation.edit_evidence, evidence_id, data, by=author(by))


# --- files ------------------------------------------------------------------------------------


def _import(
    engine: sa.Engine, batch: ImportBatch, by: By, progress: Progress | None, dry_run: bool
) -> ImportSummary:
    """Write a parsed file; team mode: a member imports only their own forecasts (no other
    researchers, no resolutions)."""
    actor = actor_of(by)
    if actor.team and not actor.admin:
        require_import(
            actor,
            [f.researcher for f in batch.forecasts]
            + [r.handle for r in batch.researchers]
            + [m.researcher for m in batch.partitions if m.researcher],
        )
        if batch.resolutions:
            require(actor, Verb.create, Thing.resolution)
        if batch.partitions:
            with Session(engine) as session:
                _check_partitions(session, actor, [m.partition for m in batch.partitions])
    summary = apply_batch(engine, batch, by=actor.handle, progress=progress, dry_run=dry_run)
    summary.notes.extend(batch.notes)
    return summary


def _check_size(data: bytes, max_bytes: int | None, kind: str) -> None:
    if max_bytes is not None and len(data) > max_bytes:
        raise InputError(
            [
                f"the file is {len(data) / 2**20:,.1f} MB, larger than the {max_bytes / 2**20:,.0f} MB "
                f"an upload may be; import it on the command line: credence import {kind} FILE"
            ]
        )


def import_batch(
    engine: sa.Engine,
    batch: ImportBatch,
    by: By = "",
    progress: Progress | None = None,
    dry_run: bool = False,
) -> ImportSummary:
    """Write a parsed batch in one transaction (or raise and write nothing); checked as :func:`import_file`."""
    return _import(engine, batch, by, progress, dry_run)


def import_file(
    engine: sa.Engine,
    data: bytes,
    kind: str,
    by: By = "",
    progress: Progress | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
) -> ImportSummary:
    """Validate a whole interchange ``kind`` file (:data:`models.files.interchange.SPECS`), then write it.

    ``max_bytes``: a larger file is refused unread (the Import page passes its upload limit).
    """
    _check_size(data, max_bytes, kind)
    batch = interchange.parse(data, kind, progress)
    del data  # the file's bytes are not needed any more: a large file's memory goes to the writing
    return _import(engine, batch, by, progress, dry_run)


def import_fatebook(
    engine: sa.Engine,
    data: bytes,
    researcher: str | None = None,
    by: By = "",
    progress: Progress | None = None,
    dry_run: bool = False,
    max_bytes: int | None = None,
) -> ImportSummary:
    """Validate a whole Fatebook file, then write it; importing the same file again adds nothing."""
    _check_size(data, max_bytes, "fatebook")
    batch = fatebook.parse_fatebook(data, researcher, progress)
    return _import(engine, batch, by, progress, dry_run)


def load_demo(engine: sa.Engine, progress: Progress | None = None) -> ImportSummary:
    """Load the demo data (loading it twice adds nothing)."""
    return apply_batch(engine, demo.demo_batch(), by="demo", progress=progress)


def restore(engine: sa.Engine, text: str, replace: bool = False, by: By = "") -> dict[str, int]:
    """Load a backup into an empty database (or replace everything); see :mod:`models.store.backup`.

    Team mode: admins only.
    """
    require_admin(actor_of(by), "restore a backup")
    return backup.restore(engine, text, replace=replace)


def export_forecasts(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """Every current forecast as interchange CSV (plus ``id`` and ``recorded_at``); returns the row count."""
    df, refs = reads.current_forecasts(engine)
    return interchange.write_forecasts(df, refs, out)


def forecasts_csv(engine: sa.Engine) -> str:
    """:func:`export_forecasts` as a string (for a download button)."""
    buf = io.StringIO()
    export_forecasts(engine, buf)
    return buf.getvalue()


# --- likelihood ratios and evidence status ------------------------------------------------------


def record_ratio(engine: sa.Engine, data: RatioIn, by: By = "") -> int:
    """Record (or revise, keeping a revision) a researcher's expected likelihood ratio; returns its id.

    Team mode: only the researcher's own.
    """
    with write_session(engine) as session:
        _check_owner(session, by, Verb.create, Thing.ratio, data.researcher)
        row = ratios.record_ratio(session, data, by=author(by))
        assert row.id is not None
        return row.id


def export_ratios(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """Every current likelihood ratio as a ratios CSV file; returns the row count."""
    return interchange.write_ratios(reads.ratios_frame(engine), out)


def export_questions(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """Write every current question as a questions file (readable by ``import questions``)."""
    return interchange.write_questions(reads.questions_frame(engine), out)


def export_evidence(engine: sa.Engine, out: io.TextIOBase | Any) -> int:
    """The evidence library, with status and observed date, as an evidence CSV file; returns the row count."""
    return interchange.write_evidence(reads.evidence_frame(engine), out)


# --- team mode: members, share links -----------------------------------------------------------


def team_member(engine: sa.Engine, email: str, policy: TeamPolicy) -> Actor | None:
    """The signed-in member bound to ``email`` as an :class:`Actor`, or None when no researcher is
    bound to it yet (they choose a handle: :func:`join_team`).  A deleted researcher's e-mail is
    refused (:class:`NotAllowed`).  Whether the e-mail may sign in at all is the caller's
    :func:`models.permissions.sign_in_refusal`."""
    with Session(engine) as session:
        row = curation.researcher_by_email(session, email)
        if row is None:
            return None
        if row.deleted_at is not None:
            raise NotAllowed(f"The researcher {row.handle} bound to {email} was removed; ask an admin.")
        assert row.id is not None
        return Actor.member(row.handle, row.id, row.email or email, admin=policy.is_admin(email))


def join_team(engine: sa.Engine, email: str, handle: str, name: str, policy: TeamPolicy) -> Actor:
    """First sign-in of an allowed e-mail: create its researcher with the handle they chose.

    The handle is validated (:class:`~models.schemas.JoinIn`; a taken handle is refused, even an
    unbound one: binding an existing researcher is an admin's :func:`set_researcher_email`).
    """
    from models.permissions import sign_in_refusal

    refusal = sign_in_refusal(policy, email, True)
    if refusal is not None:
        raise NotAllowed(refusal)
    try:
        data = JoinIn(handle=handle, name=name, email=email)
    except ValidationError as err:
        raise InputError.from_validation_error(err) from None
    with write_session(engine) as session:
        if curation.researcher_by_email(session, data.email) is not None:
            raise InputError([Problem(f"{data.email} already has a researcher", "email")])
        row = curation.create_researcher(
            session,
            ResearcherIn(handle=data.handle, name=data.name or data.handle, email=data.email),
            by=data.handle,  # the newcomer wrote their own first version
        )
        assert row.id is not None
        return Actor.member(row.handle, row.id, data.email, admin=policy.is_admin(data.email))


def set_researcher_email(engine: sa.Engine, researcher_id: int, email: str | None, by: By = "") -> None:
    """Bind a researcher to a member's sign-in e-mail (or unbind it with None); team mode: admins only."""
    require(actor_of(by), Verb.edit, Thing.researcher)
    try:
        checked = ResearcherIn(handle="x", email=email).email
    except ValidationError as err:
        raise InputError.from_validation_error(err) from None
    with write_session(engine) as session:
        curation.set_researcher_email(session, researcher_id, checked, by=author(by))


@dataclass(frozen=True)
class NewShareLink:
    link_id: int
    token: str


def create_share_link(
    engine: sa.Engine,
    researcher: str,
    *,
    question_ids: list[int] | None = None,
    tag: str | None = None,
    label: str = "",
    expires: date | datetime | None = None,
    by: By = "",
) -> NewShareLink:
    """A read-only link to ``researcher``'s trajectories on some questions or a tag.

    Returns the token, which is shown once (only its hash is stored).  ``expires`` is a date
    (the link opens until the end of that day, UTC) or a time (exclusive); None: never.
    Team mode: a member shares only their own forecasts.
    """
    until: datetime | None = None
    if isinstance(expires, datetime):
        until = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    elif isinstance(expires, date):
        until = datetime.combine(expires, time.max, tzinfo=UTC)
    with write_session(engine) as session:
        owner = records.researcher_by_handle(session, researcher)
        assert owner.id is not None
        _check_owned(session, by, Verb.create, Thing.share_link, owner.id)
        row, token = share_links.create(
            session,
            owner.id,
            question_ids=question_ids,
            tag=tag,
            label=label,
            expires_at=until,
            by=author(by),
        )
        assert row.id is not None
        return NewShareLink(row.id, token)


def revoke_share_link(engine: sa.Engine, link_id: int, by: By = "") -> None:
    """Stop a share link from opening (team mode: its owner, or an admin)."""
    with write_session(engine) as session:
        _check_owned(session, by, Verb.delete, Thing.share_link, share_links.owner_of(session, link_id))
        share_links.revoke(session, link_id)


def share_link_list(engine: sa.Engine, researcher: str | None) -> Any:
    """``researcher``'s share links (everyone's for None) as a frame; see :func:`models.store.share_links.listing`."""
    with Session(engine) as session:
        rid = records.researcher_by_handle(session, researcher).id if researcher else None
        return share_links.listing(session, rid)


def open_share_link(engine: sa.Engine, token: str) -> share_links.OpenLink | None:
    """What a share token opens now, or None for an unknown, revoked or expired one (alike)."""
    from models.errors import NotFound
    from models.sharing import looks_like_token

    if not looks_like_token(token):
        return None
    with Session(engine) as session:
        try:
            return share_links.open_token(session, token)
        except NotFound:
            return None


def _check_partitions(session: Any, by: By, names: list[str], owner: str | None = None) -> None:
    """Redeclaring a stored partition edits it (team mode: only its owner); ``owner`` is who a
    partition of ``names`` would belong to afterwards (None: as stored, or the actor)."""
    stored = records.partition_owners(session, names)
    for name in dict.fromkeys(names):
        if name in stored:
            owner_id, handle = stored[name]
            _check_owned(session, by, Verb.edit, Thing.question_partition, owner_id)
            if owner is not None and owner != handle:
                _check_owner(session, by, Verb.edit, Thing.question_partition, owner)
        elif owner is not None:
            _check_owner(session, by, Verb.create, Thing.question_partition, owner)


def declare_partition(
    engine: sa.Engine, name: str, researcher: str | None, questions: Sequence[str], by: By = ""
) -> ImportSummary:
    """Declare (or declare again) the partition ``name`` with these member questions, in order,
    owned by ``researcher``: the same validation and writing as ``credence import partitions``.

    Team mode: a member declares, changes and brings back only their own partitions (``researcher``
    None: the signed-in member's, for a new partition).
    """
    actor = actor_of(by)
    if actor.team and researcher is None:
        researcher = actor.handle
    if len([q for q in questions if q]) < 2:
        raise InputError([Problem("must name at least two questions", "members")])
    try:
        rows = [
            PartitionMemberIn.model_validate({"partition": name, "question": q, "researcher": researcher})
            for q in questions
        ]
    except ValidationError as err:
        raise InputError.from_validation_error(err) from None
    if actor.team:
        with Session(engine) as session:
            _check_partitions(session, actor, [rows[0].partition], rows[0].researcher)
    return _import(engine, ImportBatch(partitions=rows), by or (researcher or ""), None, False)
