"""SQL storage: tables, engine/session set-up, migrations, repositories."""
