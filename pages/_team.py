"""Team mode in the browser: the sign-in gate, who is signed in, a newcomer's first sign-in.

Team mode is on when the secrets hold an ``[auth]`` section (Streamlit's ``st.login``
settings); otherwise Credence runs in laptop mode exactly as before: no sign-in, a researcher
picker.  In team mode ``app.py`` shows :func:`blocking_page` instead of the app to anyone who is
not a signed-in, allowed member, and :func:`require_member` runs again wherever a page touches
the database (``pages._shared.engine``), so no page shows data to such a visitor, even one that
reached a page by its address.

Who may join comes from ``CREDENCE_ALLOWED_EMAILS``, ``CREDENCE_ALLOWED_DOMAINS`` and
``CREDENCE_ADMINS`` (see :mod:`models.permissions`); the rules themselves live in ``models/``.
Not a page itself (the leading underscore keeps it out of navigation and page tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from models import actions
from models.errors import NotAllowed
from models.limits import md_plain
from models.permissions import Actor, TeamPolicy, sign_in_refusal
from models.settings import team_policy
from pages._shared import per_version, raw_engine

#: Keys of a provider's own settings inside ``[auth]`` (a table inside it names a provider).
_PROVIDER_KEYS = {"client_id", "client_secret", "server_metadata_url"}


def _auth() -> Mapping[str, Any] | None:
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file at all: laptop mode (Streamlit raises its own not-found error)
        return None
    return auth if isinstance(auth, Mapping) else None


def team_mode() -> bool:
    """Whether ``[auth]`` is configured: then every page needs a signed-in member."""
    return _auth() is not None


def providers() -> list[str | None]:
    """The providers to offer: None for ``[auth]``'s own settings, then each named ``[auth.NAME]``."""
    auth = _auth() or {}
    # A provider's table holds its client_id; other tables (client_kwargs) are settings.
    named = [key for key, value in auth.items() if isinstance(value, Mapping) and "client_id" in value]
    return ([None] if _PROVIDER_KEYS & set(auth) else []) + sorted(named)


def _user() -> dict[str, Any]:
    return dict(st.user) if st.user.get("is_logged_in") else {}


@per_version(max_entries=256, public=True)
def _member(email: str, rules: TeamPolicy) -> Actor | str | None:
    """The member bound to ``email``; None when nobody is yet; the refusal's text when refused."""
    try:
        return actions.team_member(raw_engine(), email, rules)
    except NotAllowed as err:
        return str(err)


def _state() -> Actor | Callable[[], None]:
    """The signed-in member, or the page to show instead (sign in, not allowed, choose a handle)."""

    user = _user()
    if not user:
        return _sign_in_page
    rules = team_policy()
    email = str(user.get("email") or "")
    refusal = sign_in_refusal(rules, email, user.get("email_verified"))
    if refusal is None:
        found = _member(email.lower(), rules)
        if isinstance(found, Actor):
            return found
        if found is None:
            name = str(user.get("name") or "")
            return lambda: _join_page(email, name, rules)
        refusal = found
    reason = refusal
    return lambda: _not_allowed_page(reason)


def blocking_page() -> Callable[[], None] | None:
    """For ``app.py``: None when the visitor may use the app (laptop mode, or a member), else the
    page to show instead of every other page."""
    if not team_mode():
        return None
    found = _state()
    return None if isinstance(found, Actor) else found


def require_member() -> Actor | None:
    """None in laptop mode; the signed-in member in team mode; anyone else is shown what they may
    see instead (and nothing else), and the script stops."""
    if not team_mode():
        return None
    found = _state()
    if isinstance(found, Actor):
        return found
    found()
    st.stop()
    raise AssertionError("st.stop() returned")


# --- what a visitor who is not a member sees ---------------------------------------------------


def _sign_in_page() -> None:
    st.title("Credence")
    st.write("Sign in to see and record forecasts.")
    for name in providers():
        if name is None:
            st.button("Sign in", key="sign_in", type="primary", on_click=st.login)
        else:
            st.button(f"Sign in with {name}", key=f"sign_in:{name}", on_click=st.login, args=(name,))


def sign_out_button(key: str = "sign_out") -> None:
    st.button("Sign out", key=key, on_click=st.logout)


def _not_allowed_page(reason: str) -> None:
    st.title("Not allowed")
    st.error(md_plain(reason))
    sign_out_button("sign_out_refused")


def _join_page(email: str, name: str, rules: TeamPolicy) -> None:
    from pages import _shared as shared

    def join() -> str | None:
        actions.join_team(
            shared.raw_engine(),
            email=email,
            handle=st.session_state.get("join_handle") or "",
            name=st.session_state.get("join_name") or "",
            policy=rules,
        )
        return None

    st.title("Welcome to Credence")
    st.text(f"You are signed in as {email}. Choose the handle your forecasts will carry.")
    st.caption("2 to 40 letters, digits, _, - or ., e.g. teal_heron. Others see it next to your forecasts.")
    st.text_input("Handle", key="join_handle")
    shared.problem("join", "handle")
    if "join_name" not in st.session_state:
        st.session_state["join_name"] = name
    st.text_input("Name", key="join_name")
    shared.problem("join", "name")
    st.button("Join", key="join", type="primary", on_click=shared.submit, args=("join", join))
    shared.other_problems("join", ("handle", "name"))
    sign_out_button("sign_out_join")


def who_is_signed_in(member: Actor) -> None:
    """The sidebar's "Signed in as …" with the sign-out button."""
    with st.sidebar:
        role = ", admin" if member.admin else ""
        st.caption(md_plain(f"Signed in as {member.email} ({member.handle}{role})"))
        sign_out_button()
