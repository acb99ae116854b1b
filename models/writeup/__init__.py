"""Write-ups: the Markdown report for posts and papers, its filters and its tables.

Pure: it formats what :mod:`models.analysis` computed; the caller reads the database.
"""
