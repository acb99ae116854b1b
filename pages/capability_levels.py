"""Capability levels: the ordered scale conditional forecasts refer to ("3x AI R&D labor", …).

Levels are ordered by their position number, lowest first.  Reorder with the arrows or by
typing positions and saving them; add a level (at the top unless a position is given);
delete one (with Undo) or restore it.  Forecasts keep pointing at a deleted level.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models import actions
from models.limits import md_plain
from models.schemas import LevelIn
from models.store import reads as queries
from pages import _shared as shared

state = st.session_state


@shared.per_version(max_entries=4)
def _levels() -> pd.DataFrame:
    return queries.levels_frame(shared.engine())


def _forget_positions() -> None:
    """Let the position inputs show the stored positions again on the next run."""
    for key in [k for k in state if isinstance(k, str) and k.startswith("position_")]:
        del state[key]


def _move(level_id: int, offset: int) -> None:
    def action() -> None:
        actions.move_level(shared.engine(), level_id, offset, by=shared.actor())
        _forget_positions()

    shared.submit("order", action)


def _save_positions(level_ids: list[int]) -> None:
    def action() -> str:
        positions = {i: state[f"position_{i}"] for i in level_ids if f"position_{i}" in state}
        actions.set_level_positions(shared.engine(), positions, by=shared.actor())
        _forget_positions()
        return "Saved the order."

    shared.submit("order", action)


def _add() -> None:
    def action() -> str:
        data = LevelIn(
            name=state.get("new_level_name") or "",
            position=state.get("new_level_position"),
            description=state.get("new_level_description") or "",
        )
        actions.create_level(shared.engine(), data, by=shared.actor())
        state["new_level_name"] = ""
        state["new_level_description"] = ""
        state["new_level_position"] = None
        _forget_positions()
        return f"Added “{data.name}”."

    shared.submit("add", action)


def main() -> None:
    st.title("Capability levels")
    st.caption("The ordered scale that conditional forecasts refer to, lowest level first.")
    levels = _levels()
    if levels.empty:
        st.info("No capability levels yet: add the first one below.")
    ids = [int(i) for i in levels["level_id"]]
    for n, level in enumerate(levels.itertuples()):
        lid = int(level.level_id)
        pos, name, up, down, delete = st.columns([1.2, 6, 0.6, 0.6, 1.2], vertical_alignment="center")
        pos.number_input(
            "Position",
            value=float(level.position),
            key=f"position_{lid}",
            step=1.0,
            format="%g",
            label_visibility="collapsed",
        )
        name.markdown(
            f"**{md_plain(level.level)}**"
            + (f"  \n{md_plain(level.description)}" if level.description else "")
        )
        up.button(
            "↑",
            key=f"level_up_{lid}",
            on_click=_move,
            args=(lid, -1),
            disabled=n == 0,
            help="Move one place lower on the scale",
        )
        down.button(
            "↓",
            key=f"level_down_{lid}",
            on_click=_move,
            args=(lid, 1),
            disabled=n == len(ids) - 1,
            help="Move one place higher on the scale",
        )
        with delete:
            shared.delete_button(
                "Delete", "capability_level", lid, f"“{level.level}”", key=f"delete_level_{lid}"
            )
    if ids:
        st.button(
            "Save positions",
            key="save_positions",
            on_click=_save_positions,
            args=(ids,),
            help="Reorder by the numbers typed above; lower numbers come first",
        )
    shared.problem("order", "position")
    shared.other_problems("order", ("position",))
    shared.undo_notice("capability_level")

    st.subheader("Add a level")
    with st.form("add_level", border=True):
        st.text_input("Name", key="new_level_name", placeholder="10x AI R&D labor")
        shared.problem("add", "name")
        st.text_area("Description", key="new_level_description", height=68)
        st.number_input(
            "Position",
            value=None,
            key="new_level_position",
            format="%g",
            placeholder="empty: top of the scale",
        )
        shared.problem("add", "position")
        st.form_submit_button("Add level", key="add_level", on_click=_add)
    shared.other_problems("add", ("name", "position"))

    live = dict(zip(levels["level_id"].astype(int), levels["level"], strict=True))
    shared.version_history("capability_level", live, "level", key="level")
    shared.deleted_list("capability_level", "levels", after_restore=_forget_positions)


main()
