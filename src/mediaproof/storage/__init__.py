"""Storage: SQL tables and repositories (sql/), content-addressed blobs (blobs.py).

Only services/ imports this package; domain packages never do.
"""

__all__: list[str] = []  # nothing at package level: import its modules
