"""Share links in the database: create, list, revoke, and open one by its token.

The token itself is never stored, only its hash (:mod:`models.sharing`).  A link belongs to
one researcher and names either some questions (``question_ids``) or a tag; what it opens is
that researcher's forecasts on those questions, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlmodel import Session, select

from models.errors import InputError, NotFound, Problem
from models.sharing import LinkState, new_token, opens, status, token_hash
from models.store.records import get
from models.store.tables import Question, Researcher, ShareLink

#: Longest label a link can have (the column's width).
LABEL_MAX = 200


@dataclass(frozen=True)
class OpenLink:
    """What a valid token opens: the owner and the questions, as they are now."""

    link_id: int
    researcher_id: int
    handle: str
    label: str
    question_ids: list[int]
    tag: str | None


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(";") if part]


def create(
    session: Session,
    researcher_id: int,
    *,
    question_ids: list[int] | None = None,
    tag: str | None = None,
    label: str = "",
    expires_at: datetime | None = None,
    by: str = "",
    now: datetime | None = None,
) -> tuple[ShareLink, str]:
    """A new link for ``question_ids`` or ``tag`` (exactly one); returns the row and the token,
    which is shown once and never stored."""
    when = now or datetime.now(UTC)
    ids = sorted(set(question_ids or []))
    tag = (tag or "").strip() or None
    problems = []
    if bool(ids) == bool(tag):
        problems.append(Problem("choose some questions or one tag (not both)", "questions"))
    if len(label.strip()) > LABEL_MAX:
        problems.append(Problem(f"is too long (at most {LABEL_MAX} characters)", "label"))
    if expires_at is not None and expires_at <= when:
        problems.append(Problem("must be in the future", "expires"))
    for qid in ids:
        question = session.get(Question, qid)
        if question is None or question.deleted_at is not None:
            problems.append(Problem(f"question {qid} does not exist", "questions"))
    if problems:
        raise InputError(problems)
    get(session, Researcher, researcher_id)
    token = new_token()
    row = ShareLink(
        researcher_id=researcher_id,
        token_hash=token_hash(token),
        label=label.strip(),
        question_ids=";".join(str(i) for i in ids),
        tag=tag,
        created_at=when,
        created_by=by,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, token


def revoke(session: Session, link_id: int, now: datetime | None = None) -> ShareLink:
    """Stop a link from opening (it stays listed as revoked)."""
    row = get(session, ShareLink, link_id)
    if row.revoked_at is None:
        row.revoked_at = now or datetime.now(UTC)
        session.add(row)
    return row


def owner_of(session: Session, link_id: int) -> int:
    return get(session, ShareLink, link_id).researcher_id


def open_token(session: Session, token: str, now: datetime | None = None) -> OpenLink:
    """What ``token`` opens; :class:`NotFound` for an unknown, revoked or expired token (all alike)."""
    when = now or datetime.now(UTC)
    row = session.exec(select(ShareLink).where(ShareLink.token_hash == token_hash(token))).first()
    owner = session.get(Researcher, row.researcher_id) if row is not None else None
    if row is None or owner is None:
        raise NotFound("no such link")
    state = LinkState(row.revoked_at, row.expires_at, owner_deleted=owner.deleted_at is not None)
    if not opens(state, when):
        raise NotFound("no such link")
    assert row.id is not None and owner.id is not None
    return OpenLink(row.id, owner.id, owner.handle, row.label, _ids(row.question_ids), row.tag)


def listing(session: Session, researcher_id: int | None, now: datetime | None = None) -> pd.DataFrame:
    """A researcher's links (everyone's for None), newest first: ``id, researcher, label, shares,
    created_at, expires_at, status`` (``active``, ``expired`` or ``revoked``)."""
    when = now or datetime.now(UTC)
    stmt = select(ShareLink, Researcher.handle).join(Researcher, Researcher.id == ShareLink.researcher_id)  # type: ignore[arg-type]
    if researcher_id is not None:
        stmt = stmt.where(ShareLink.researcher_id == researcher_id)
    rows = session.exec(stmt.order_by(ShareLink.id.desc())).all()  # type: ignore[union-attr]
    titles = dict(session.exec(select(Question.id, Question.title)).all())
    out = [
        {
            "id": link.id,
            "researcher": handle,
            "label": link.label,
            "shares": f"tag {link.tag}"
            if link.tag
            else "; ".join(titles.get(i, f"#{i}") for i in _ids(link.question_ids)),
            "created_at": link.created_at,
            "expires_at": link.expires_at,
            "status": status(LinkState(link.revoked_at, link.expires_at), when),
        }
        for link, handle in rows
    ]
    columns = ["id", "researcher", "label", "shares", "created_at", "expires_at", "status"]
    return pd.DataFrame(out, columns=columns)
