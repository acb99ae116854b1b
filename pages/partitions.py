"""Partitions: sets of questions a researcher declares mutually exclusive and exhaustive.

A binary question B is already the partition {B = yes, B = no}.  Declare a larger one here
(e.g. "scheming arises via neuralese / via chain of thought / not at all"), or import a file
``partition,question[,researcher]`` (``credence import partitions FILE``); then give
conditionals on each member being yes, and the Why it moved page decomposes the question over it.
Declaring a name again with other members keeps the earlier version; a delete can be undone.
"""

from __future__ import annotations

import streamlit as st

from models import actions
from pages import _shared as shared
from pages import _tables as tables
from pages import _team

state = st.session_state


def _declare() -> None:
    def action() -> str:
        name = state.get("partition_name") or ""
        members = list(state.get("partition_members") or [])
        summary = actions.declare_partition(
            shared.engine(), name, state.get("partition_researcher"), members, by=shared.actor()
        )
        state["partition_members"] = []
        return f"Partition \u201c{name.strip()}\u201d: " + "; ".join(summary.lines()) + "."

    shared.submit("partition", action)


def main() -> None:
    st.title("Partitions")
    frames = shared.frames()
    table = frames.partitions
    if table.empty:
        st.info("No partitions declared yet: declare one below, or import a file on the command line.")
    else:
        listed = table.groupby(["partition_id", "partition", "researcher"], as_index=False, sort=False).agg(
            members=("question", " · ".join)
        )
        tables.show(listed[["partition", "researcher", "members"]], hide_index=True, key="partitions_table")

    st.subheader("Declare a partition")
    with st.form("declare_partition", border=True):
        st.text_input("Name", key="partition_name", placeholder="How scheming arises")
        shared.problem("partition", "partition")
        member = _team.require_member()
        if member is not None:  # team mode: a member declares their own partitions
            state["partition_researcher"] = member.handle
            st.text(f"Declared by: {member.handle}")
        else:
            handles = shared.researchers()["handle"].tolist()
            st.selectbox(
                "Declared by",
                handles,
                index=None,
                key="partition_researcher",
                placeholder="Pick a researcher",
            )
        shared.problem("partition", "researcher")
        st.multiselect(
            "Members (mutually exclusive, together certain)",
            frames.questions["question"].tolist(),
            key="partition_members",
            help="In the order they should be listed; at least two.",
        )
        shared.problem("partition", "question")
        st.form_submit_button("Declare partition", key="declare", on_click=_declare)
    shared.other_problems("partition", ("partition", "researcher", "question"))

    if not table.empty:
        st.subheader("Delete")
        ids = dict(zip(listed["partition"], listed["partition_id"], strict=True))
        pick = st.selectbox(
            "Partition", list(ids), index=None, key="partition_pick", placeholder="Pick a partition"
        )
        if pick is not None:
            shared.delete_button(f"Delete {pick}", "partition", int(ids[pick]), pick, key="delete_partition")
    shared.undo_notice("partition")


main()
