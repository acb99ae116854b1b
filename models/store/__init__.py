"""The data layer: the only package that talks to the database (SQLAlchemy / SQLModel).

``db`` opens engines, sessions and migrations; ``tables`` defines what is stored;
``records`` and ``curation`` write one thing at a time; ``bulk`` writes a parsed file in one
transaction; ``reads`` turns tables into the DataFrames of :mod:`models.frames`;
``frame_cache`` keeps a columnar copy of the scoring read; ``history`` reads earlier
versions and deleted rows; ``backup`` dumps and restores everything.

Pages and commands do not call the writers here directly: they go through
:mod:`models.actions`, which opens one transaction per action.
"""
