"""SQL storage: tables, engine/session set-up, migrations, repositories."""

__all__: list[str] = []  # nothing at package level: import its modules
