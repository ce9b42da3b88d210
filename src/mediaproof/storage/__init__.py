"""Storage: SQL tables and repositories (sql/), content-addressed blobs (blobs.py).

Only services/ imports this package; domain packages never do.
"""
