"""Altair chart builders (``style``, ``trajectory``, ``calibration``) and offline image export.

Builders take frames from :mod:`models.analysis` and return chart objects; tests read them
through ``chart.to_dict()``.  No database, no Streamlit.
"""
