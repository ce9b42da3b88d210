"""Copy a one-box instance's database into PostgreSQL (docs/sizing.md, "From one box to
a cluster"):

    python -m mediaproof.services.db_copy --home var \\
        --to postgresql+psycopg://mediaproof@db.internal/mediaproof

The source is the instance's own database (SQLite in ``<home>`` unless
``MEDIAPROOF_DATABASE_URL`` names another); the destination must be empty (a new
database, or one a mediaproof process has only migrated). Both are migrated to this
version's newest schema first. Stop every process writing the instance while it runs.
Prints ``{"tables": N, "rows": N, "per_table": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError
from mediaproof.storage.sql.copy import copy_rows
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade


def copy_database(home: Path | None, to_url: str) -> dict[str, int]:
    settings = load_settings(home)
    src = Database(settings.resolved_database_url)
    dst = Database(to_url)
    try:
        upgrade(src.engine, keys_dir=settings.keys_dir)
        upgrade(dst.engine, keys_dir=settings.keys_dir)
        return copy_rows(src.engine, dst.engine)
    finally:
        src.dispose()
        dst.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m mediaproof.services.db_copy",
        description="Copy an instance's database into an empty one (SQLite -> PostgreSQL).",
    )
    ap.add_argument("--home", type=Path, default=None, help="the instance (default: ./var)")
    ap.add_argument("--to", required=True, help="SQLAlchemy URL of the empty destination")
    args = ap.parse_args(argv)
    try:
        per_table = copy_database(args.home, args.to)
    except MediaproofError as e:
        sys.stderr.write(f"db_copy: {e}\n")
        return e.exit_code
    print(json.dumps({"tables": len(per_table), "rows": sum(per_table.values()),
                      "per_table": per_table}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
