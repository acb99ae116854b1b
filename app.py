"""Credence in the browser: page configuration and navigation, nothing else.

In team mode (``[auth]`` in the secrets) only signed-in members reach the pages; a share link
(``?share=TOKEN``) opens its read-only view alone, without sign-in.

Run with ``make run`` (or ``streamlit run app.py``); each page lives in ``pages/``.
"""

from pathlib import Path

import streamlit as st

from pages import _shared as shared
from pages import _team as team

PAGES = Path(__file__).parent / "pages"

#: The browser tab's icon: an emoji is drawn by the browser itself (a Material icon would be
#: fetched from fonts.gstatic.com, and Credence makes no request to another host).
ICON = "\N{CHART WITH UPWARDS TREND}"

st.set_page_config(page_title="Credence", page_icon=ICON, layout="wide")

#: (file, title, icon), in the order the sidebar shows them.
NAVIGATION = [
    ("home.py", "Home", ":material/home:"),
    ("log_forecast.py", "Log forecast", ":material/edit_note:"),
    ("questions.py", "Questions", ":material/help:"),
    ("trajectories.py", "Trajectories", ":material/timeline:"),
    ("why_it_moved.py", "Why it moved", ":material/account_tree:"),
    ("compare.py", "Compare researchers", ":material/compare_arrows:"),
    ("update_quality.py", "Update quality", ":material/balance:"),
    ("calibration.py", "Calibration", ":material/target:"),
    ("researchers.py", "Researchers", ":material/group:"),
    ("capability_levels.py", "Capability levels", ":material/stairs:"),
    ("evidence.py", "Evidence", ":material/article:"),
    ("partitions.py", "Partitions", ":material/call_split:"),
    ("import_export.py", "Import / export", ":material/swap_vert:"),
    ("writeup.py", "Write-up export", ":material/description:"),
]

#: Pages with their own researcher picker; every other page shows "Writing as" in the sidebar
#: (laptop mode), the researcher recorded as the author of what is changed there.
PICKS_RESEARCHER = {"Home", "Log forecast", "Why it moved"}

if "share" in st.query_params:
    # A share link: its read-only view and nothing else, with no sign-in (pages/shared_view.py).
    st.navigation([st.Page(PAGES / "shared_view.py", title="Shared forecasts")], position="hidden").run()
elif (blocked := team.blocking_page()) is not None:
    # Team mode, not a member (yet): sign in, "not allowed", or choose a handle; no other page.
    st.navigation([st.Page(blocked, title="Sign in", url_path="sign-in")], position="hidden").run()
else:
    member = team.require_member()
    pages = [
        st.Page(PAGES / name, title=title, icon=icon, default=name == "home.py")
        for name, title, icon in NAVIGATION
    ]
    page = st.navigation(pages)
    # The tab says which page and which app: "Questions · Credence".
    st.set_page_config(page_title=f"{page.title} · Credence", page_icon=ICON)
    if member is not None:
        team.who_is_signed_in(member)
    elif page.title not in PICKS_RESEARCHER:
        shared.author_picker()
    page.run()
