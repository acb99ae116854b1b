"""Share links: tokens, their hashes and whether a link still opens (pure; storage is elsewhere).

A share link opens a read-only view of one researcher's trajectories for a chosen set of
questions, or for every question carrying a tag, without signing in.  Conventions:

* The token is 32 random bytes from :mod:`secrets` (256 bits), URL-safe base64: 43 characters.
  It is shown once, when the link is made; only its SHA-256 (hex) is stored, so a copy of the
  database or a backup does not open any link.  (A fast hash is enough: the token is random,
  not a password a person chose.)
* A link opens while it is neither revoked nor expired: ``expires_at`` is exclusive (at that
  instant the link no longer opens); None means it never expires.
* A revoked, expired or unknown token all read the same to the visitor: :data:`INVALID`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

#: What a visitor sees for any token that does not open a view, and nothing else.
INVALID = "This link is no longer valid."

#: Random bytes in a token.
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh unguessable token: 256 random bits, URL-safe base64 without padding (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """SHA-256 of the token's UTF-8 bytes, as 64 hex digits: what the database stores."""
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison of two stored hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def looks_like_token(text: str | None) -> bool:
    """Whether ``text`` could be a token at all (cheap check before touching the database)."""
    if not text:
        return False
    t = text.strip()
    return 20 <= len(t) <= 100 and all(c.isalnum() or c in "-_" for c in t)


@dataclass(frozen=True)
class LinkState:
    """What is stored about a link that decides whether it opens."""

    revoked_at: datetime | None
    expires_at: datetime | None
    owner_deleted: bool = False


def opens(link: LinkState, now: datetime) -> bool:
    """A link opens while not revoked, its owner not deleted, and ``now < expires_at`` (if set)."""
    if link.revoked_at is not None or link.owner_deleted:
        return False
    return link.expires_at is None or now < link.expires_at


def status(link: LinkState, now: datetime) -> str:
    """``"active"``, ``"revoked"`` or ``"expired"``, as the owner's list of links shows it."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and now >= link.expires_at:
        return "expired"
    return "active"


def share_url(base_url: str, token: str) -> str:
    """The address to send: the app's public address with ``?share=TOKEN`` (any path is dropped)."""
    return f"{base_url.rstrip('/')}/?share={token}"
