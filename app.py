"""Credence in the browser: page configuration and navigation, nothing else.

Run with ``make run`` (or ``streamlit run app.py``); each page lives in ``pages/``.
"""

from pathlib import Path

import streamlit as st

PAGES = Path(__file__).parent / "pages"

st.set_page_config(page_title="Credence", page_icon=":material/timeline:", layout="wide")

#: (file, title, icon), in the order the sidebar shows them.
NAVIGATION = [
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
    st.Page(PAGES / name, title=title, icon=icon, default=name == "log_forecast.py")
    for name, title, icon in NAVIGATION
]
st.navigation(pages).run()
