"""Researchers: who forecasts, with their forecast counts; add, rename, delete (with Undo),
restore, and each researcher's earlier versions with who changed them.

A researcher is named by a handle in files and URLs; the display name is for people and can
change.  Deleting hides the researcher and all their forecasts from every view until restored.
In team mode only admins curate researchers here (members see the list), and each researcher
shows the sign-in e-mail bound to it, which an admin can set (to bind an imported researcher to
its owner) or clear.
"""

from __future__ import annotations

import streamlit as st

from models import actions
from models.format import plural
from models.limits import md_plain
from models.permissions import Actor
from models.schemas import NewResearcherIn
from pages import _shared as shared
from pages import _tables as tables

state = st.session_state


def _add() -> None:
    def action() -> str:
        data = NewResearcherIn(
            handle=state.get("new_handle") or "",
            name=state.get("new_name") or "",
            email=state.get("new_email"),
        )
        actions.create_researcher(shared.engine(), data, by=shared.actor())
        state["new_email"] = ""
        state["new_handle"] = ""
        state["new_name"] = ""
        return f"Added {data.handle}."

    shared.submit("add", action)


def _rename(researcher_id: int, handle: str) -> None:
    def action() -> str:
        actions.rename_researcher(
            shared.engine(), researcher_id, state.get("rename_name") or "", by=shared.actor()
        )
        state["researcher_pick"] = researcher_id  # keep it selected under its new label
        return f"Renamed {handle}."

    shared.submit("rename", action)


def _set_email(researcher_id: int, handle: str) -> None:
    def action() -> str:
        email = state.get("rename_email") or None
        actions.set_researcher_email(shared.engine(), researcher_id, email, by=shared.actor())
        state["researcher_pick"] = researcher_id
        return f"{handle} signs in as {email}." if email else f"{handle} has no sign-in e-mail now."

    shared.submit("email", action)


def main() -> None:
    st.title("Researchers")
    people = shared.researchers_with_counts()
    by = shared.actor()
    team = isinstance(by, Actor)
    if people.empty:
        st.info("No researchers yet: add one below, or import a file on the Import / export page.")
    else:
        tables.show(
            people[["handle", "name", *(["email"] if team else []), "forecasts", "created_at"]],
            hide_index=True,
            column_config={
                "name": "display name",
                "email": "sign-in e-mail",
                "created_at": st.column_config.DatetimeColumn("added", format="YYYY-MM-DD"),
            },
        )
    if isinstance(by, Actor) and not by.admin:
        st.caption("Only an admin adds, renames or removes researchers.")
        return

    st.subheader("Add a researcher")
    with st.form("add_researcher", border=True):
        st.text_input(
            "Handle",
            key="new_handle",
            placeholder="teal_heron",
            help="The short name files and links use: lowercase letters, digits, _ and -; "
            "it cannot change later",
        )
        shared.problem("add", "handle")
        st.text_input("Display name", key="new_name", placeholder="Teal Heron")
        shared.problem("add", "name")
        if team:
            st.text_input("Sign-in e-mail", key="new_email", placeholder="teal@lab.example")
            shared.problem("add", "email")
        st.form_submit_button("Add researcher", key="add_researcher", on_click=_add)
    shared.other_problems("add", ("handle", "name", "email"))

    if not people.empty:
        st.subheader("Rename or delete")
        by_id = people.set_index("id")
        labels = {int(i): f"{r.handle} ({r['name']})" if r["name"] else r.handle for i, r in by_id.iterrows()}
        rid = st.selectbox(
            "Researcher",
            list(labels),
            format_func=labels.get,
            index=None,
            key="researcher_pick",
            placeholder="Pick a researcher",
        )
        if rid is not None:
            row = by_id.loc[rid]
            if state.get("_rename_for") != rid or "rename_name" not in state:
                state["rename_name"] = row["name"]
                state["_rename_for"] = rid
                shared.forget_problems("rename")
            st.text_input("Display name", key="rename_name")
            shared.problem("rename", "name")
            st.button("Rename", key="rename", on_click=_rename, args=(rid, row["handle"]))
            shared.other_problems("rename", ("name",))
            if team:
                if state.get("_email_for") != rid:
                    state["rename_email"] = row["email"] or ""
                    state["_email_for"] = rid
                st.text_input(
                    "Sign-in e-mail", key="rename_email", help="Empty: nobody signs in as this researcher"
                )
                shared.problem("email", "email")
                st.button("Save e-mail", key="save_email", on_click=_set_email, args=(rid, row["handle"]))
                shared.other_problems("email", ("email",))
            n = int(row["forecasts"])
            shared.delete_button(
                md_plain(
                    f"Delete {row['handle']}" + (f" (hides their {plural(n, 'forecast')})" if n else "")
                ),
                "researcher",
                rid,
                row["handle"],
                key="delete_researcher",
            )
    shared.undo_notice("researcher")
    live = (
        {int(i): str(h) for i, h in zip(people["id"], people["handle"], strict=True)}
        if not people.empty
        else {}
    )
    shared.version_history(
        "researcher", live, "researcher", key="researcher", hidden=() if team else ("email",)
    )

    shared.deleted_list("researcher", "researchers")


main()
