"""File formats: the CSV interchange format, Fatebook's exports, the demo data, synthetic data.

Parsers only: they turn bytes into validated :class:`models.batch.ImportBatch` values and
forecasts into CSV text.  Writing a batch to the database is :mod:`models.actions`' job
(through :mod:`models.store.bulk`); nothing here imports the store.
"""
