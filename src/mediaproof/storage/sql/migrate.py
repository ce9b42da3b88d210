"""Schema through Alembic, from the first table on. ``upgrade`` runs at instance open."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine, keys_dir: Path | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    # migrations that seal stored secrets need the instance's keys (storage.secrets)
    cfg.attributes["keys_dir"] = keys_dir
    return cfg


def upgrade(engine: Engine, revision: str = "head", *, keys_dir: Path | None = None) -> None:
    cfg = alembic_config(engine, keys_dir)
    if current_revision(engine) == head_revision(engine):
        return
    command.upgrade(cfg, revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
