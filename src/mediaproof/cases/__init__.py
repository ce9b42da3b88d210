"""cases: notice -> case -> review -> decision -> action -> appeal, as pure domain code.

Nothing here touches storage, services, the API or the CLI: functions take records and
return records or raise. ``services/cases.py`` joins this package with the database.
"""

__all__: list[str] = []  # nothing at package level: import its modules
