"""Who may do what: the rules of team mode, as plain values and functions (no database).

Credence runs in one of two modes:

* **Laptop mode** (no ``[auth]`` in ``.streamlit/secrets.toml``, and every CLI command): whoever
  is at the keyboard may do anything, as before team mode existed.  The actor still names a
  researcher, so every revision records its author.
* **Team mode** (``[auth]`` configured): the actor is the signed-in member, bound to exactly one
  researcher by their verified e-mail.

The rules in team mode:

==========================  ===================================================================
things                      who may create, edit, delete and undo them
==========================  ===================================================================
forecasts, ratios,          only the researcher they belong to (**owned**); an admin may not
partitions, share links     write another researcher's beliefs either (only revoke a share link)
questions, evidence,        every member (**shared curation**; each edit keeps its revision)
capability levels, links
researchers                 admins only (a member's own researcher is created at first sign-in)
resolutions                 admins only: resolve, re-open, annul
imports                     a member may import only their own forecasts; an admin anything;
                            restoring a backup is for admins only
==========================  ===================================================================

Who may join: an e-mail listed in ``CREDENCE_ALLOWED_EMAILS``, or at a domain listed in
``CREDENCE_ALLOWED_DOMAINS``, or listed in ``CREDENCE_ADMINS`` (admins are members).  Lists are
written comma- or whitespace-separated (or as a JSON list); e-mails compare case-insensitively.
Nothing configured means nobody may join.

A refused action raises :class:`~models.errors.NotAllowed`, whose message says who may do it and
why; the action layer checks before it writes, so a refusal writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from models.errors import NotAllowed


class Thing(StrEnum):
    """What an action changes, by the name a person would use."""

    forecast = "forecast"
    ratio = "likelihood ratio"
    question_partition = "partition"
    share_link = "share link"
    question = "question"
    evidence = "evidence"
    capability_level = "capability level"
    question_link = "question link"
    researcher = "researcher"
    resolution = "resolution"


class Verb(StrEnum):
    create = "create"
    edit = "edit"
    delete = "delete"
    undo = "undo"  # bring back a deleted row


#: A researcher's own beliefs and shares: only they change them.
OWNED = frozenset({Thing.forecast, Thing.ratio, Thing.question_partition, Thing.share_link})
#: Curated together: every member may change them.
SHARED = frozenset({Thing.question, Thing.evidence, Thing.capability_level, Thing.question_link})
#: Admins only.
ADMIN_ONLY = frozenset({Thing.researcher, Thing.resolution})

_PLURAL = {
    Thing.forecast: "forecasts",
    Thing.ratio: "likelihood ratios",
    Thing.question_partition: "partitions",
    Thing.share_link: "share links",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the action layer sees it.

    ``handle`` is the researcher recorded as the author of every revision the action writes
    (``""`` when nobody was named: a CLI run without ``--as`` and without an OS user name).
    ``researcher_id`` is that researcher's id in team mode.  ``team`` is False in laptop mode,
    where nothing is refused.
    """

    handle: str
    researcher_id: int | None = None
    email: str | None = None
    admin: bool = False
    team: bool = False

    @classmethod
    def local(cls, handle: str | None) -> Actor:
        """Laptop mode or the CLI: everything allowed, ``handle`` recorded as the author."""
        return cls(handle=(handle or "").strip())

    @classmethod
    def member(cls, handle: str, researcher_id: int, email: str, *, admin: bool = False) -> Actor:
        """A signed-in member of a team, bound to researcher ``researcher_id``."""
        return cls(handle=handle, researcher_id=researcher_id, email=email, admin=admin, team=True)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""


ALLOWED = Decision(True)


def decide(
    actor: Actor,
    verb: Verb,
    thing: Thing,
    *,
    owner_id: int | None = None,
    owner_handle: str | None = None,
) -> Decision:
    """Whether ``actor`` may ``verb`` a ``thing`` owned by researcher ``owner_id`` (owned things only).

    For owned things ``owner_id`` is the researcher the row belongs to (for ``create``: the one it
    would belong to); ``owner_handle`` only makes the refusal read better.  Laptop mode allows
    everything.  An admin may revoke (delete) anyone's share link, but writes nobody else's beliefs.
    """
    if not actor.team:
        return ALLOWED
    who = actor.handle or actor.email or "you"
    if thing in SHARED:
        return ALLOWED
    if thing in ADMIN_ONLY:
        if actor.admin:
            return ALLOWED
        what = {
            Thing.researcher: "curate researchers (add, rename, remove or bring them back)",
            Thing.resolution: "resolve, re-open or annul a question",
        }[thing]
        return Decision(False, f"Only an admin may {what}; {who} is not an admin.")
    # Owned things.
    if owner_id is not None and owner_id == actor.researcher_id:
        return ALLOWED
    if thing is Thing.share_link and verb is Verb.delete and actor.admin:
        return ALLOWED
    whose = f"{owner_handle}'s" if owner_handle else "another researcher's"
    article = "an" if str(thing)[0] in "aeiou" else "a"
    verb_text = "undo the deletion of" if verb is Verb.undo else str(verb)
    target = f"{article} {thing} for {owner_handle}" if verb is Verb.create and owner_handle else None
    return Decision(
        False,
        f"{who} may not {verb_text} {target or whose + ' ' + str(thing)}: "
        f"each researcher changes only their own {_PLURAL[thing]}.",
    )


def require(
    actor: Actor,
    verb: Verb,
    thing: Thing,
    *,
    owner_id: int | None = None,
    owner_handle: str | None = None,
) -> None:
    """:func:`decide`, raising :class:`NotAllowed` with the reason when refused."""
    decision = decide(actor, verb, thing, owner_id=owner_id, owner_handle=owner_handle)
    if not decision.allowed:
        raise NotAllowed(decision.reason)


def require_import(actor: Actor, handles: Iterable[str], *, creates_researchers: bool = False) -> None:
    """A member imports only their own forecasts (rows naming only their handle); admins anything.

    ``creates_researchers``: the file would create researchers that do not exist yet, which only
    an admin may do.
    """
    if not actor.team or actor.admin:
        return
    others = sorted({h for h in handles if h != actor.handle})
    if others:
        named = ", ".join(others[:5]) + (" …" if len(others) > 5 else "")
        raise NotAllowed(
            f"{actor.handle} may import only their own forecasts; this file also has rows for {named}."
        )
    if creates_researchers:
        raise NotAllowed("Only an admin may import researchers.")


def require_admin(actor: Actor, what: str) -> None:
    """Refuse unless laptop mode or an admin; ``what`` completes "Only an admin may …"."""
    if actor.team and not actor.admin:
        raise NotAllowed(f"Only an admin may {what}; {actor.handle or actor.email} is not an admin.")


# --- who may join --------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased: ``" Ana@Lab.Example "`` → ``"ana@lab.example"``."""
    return email.strip().lower()


def parse_list(value: str | Iterable[str] | None) -> frozenset[str]:
    """A configured list: a JSON list, or items separated by commas or whitespace; lower-cased."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            items = [str(item) for item in json.loads(text)]
        else:
            items = text.replace(",", " ").split()
    else:
        items = [str(item) for item in value]
    return frozenset(normalize_email(item) for item in items if item.strip())


@dataclass(frozen=True)
class TeamPolicy:
    """Who may join and who is an admin (``CREDENCE_ALLOWED_EMAILS``, ``_DOMAINS``, ``_ADMINS``)."""

    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    admins: frozenset[str] = frozenset()

    @classmethod
    def from_values(
        cls,
        allowed_emails: str | Iterable[str] | None = None,
        allowed_domains: str | Iterable[str] | None = None,
        admins: str | Iterable[str] | None = None,
    ) -> TeamPolicy:
        domains = frozenset(d.lstrip("@") for d in parse_list(allowed_domains))
        return cls(parse_list(allowed_emails), domains, parse_list(admins))

    def is_admin(self, email: str) -> bool:
        return normalize_email(email) in self.admins

    def may_join(self, email: str) -> bool:
        """Listed, at a listed domain (exactly: ``lab.example`` does not admit ``x.lab.example``), or an admin."""
        address = normalize_email(email)
        local, at, domain = address.rpartition("@")
        if not at or not local or not domain:
            return False
        return address in self.allowed_emails or domain in self.allowed_domains or address in self.admins


def sign_in_refusal(policy: TeamPolicy, email: str | None, email_verified: bool | None) -> str | None:
    """Why this signed-in identity may not use Credence, or None when it may.

    The provider must give an e-mail, and must not say it is unverified (``email_verified`` False;
    a provider that sends no such claim is trusted, as Streamlit's ``st.user`` then has none).
    """
    if not email or "@" not in email:
        return "Your sign-in did not give Credence an e-mail address, so it cannot tell who you are."
    if email_verified is False:
        return f"{email} is not verified by your sign-in provider; verify it there, then sign in again."
    if not policy.may_join(email):
        return f"{email} is not allowed to use this Credence. Ask its administrator to add you."
    return None
