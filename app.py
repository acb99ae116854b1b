"""Credence in the browser: page configuration and navigation, nothing else.

Run with ``make run`` (or ``streamlit run app.py``); each page lives in ``pages/``.
"""

from pathlib import Path

import streamlit as st

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
    ("compare.py", "Compare researchers", ":material/compare_arrows:"),
    ("update_quality.py", "Update quality", ":material/balance:"),
    ("calibration.py", "Calibration", ":material/target:"),
    ("researchers.py", "Researchers", ":material/group:"),
    ("capability_levels.py", "Capability levels", ":material/stairs:"),
    ("evidence.py", "Evidence", ":material/article:"),
    ("import_export.py", "Import / export", ":material/swap_vert:"),
    ("writeup.py", "Write-up export", ":material/description:"),
]

pages = [
    st.Page(PAGES / name, title=title, icon=icon, default=name == "home.py")
    for name, title, icon in NAVIGATION
]
page = st.navigation(pages)
# The tab says which page and which app: "Questions · Credence".
st.set_page_config(page_title=f"{page.title} · Credence", page_icon=ICON)
page.run()
