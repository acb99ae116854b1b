"""The domain: pure functions over plain values and DataFrames (no database, no UI).

Trajectories, updates, scoring, calibration, the evidence library's impact tables, and the
lists and choices pages show.  Every public function states its formula and conventions in
its docstring.  Nothing here imports :mod:`models.store`, SQLAlchemy or Streamlit (checked
by import-linter in ``make lint``).
"""
