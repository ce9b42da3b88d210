"""Migration 0033 (``case_notices.analysis_state``, ``analysis_error``) goes down and up
again on both databases, and a failure recorded on a notice survives neither (down
drops the columns; up adds them empty: such a notice reads "pending" again, as before)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select

from mediaproof.services import notice_media
from mediaproof.services.cases import CaseService
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import alembic_config, upgrade
from mediaproof.storage.sql.repos_case_media import NoticeMediaRepository
from mediaproof.storage.sql.tables_cases import NoticeRow
from tests.integration.test_cases_flow import SHA, T0, sink, svc, voter_notice  # noqa: F401

assert SHA  # a digest the flow's notices carry


def _columns(db: Database) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("case_notices")}


def test_migration_0033_goes_down_and_up(svc: CaseService, db: Database) -> None:  # noqa: F811
    rec = svc.file_notice(voter_notice(), T0)
    assert notice_media.analysis_failed(
        db, rec.notice_id, {"code": "analysis_timeout", "message": "ignored"}
    )
    with db.session() as s:
        row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == rec.notice_id)).one()
        assert row.analysis_state == "failed"
        assert "time limit" in (row.analysis_error or "")
        assert NoticeMediaRepository(s).retry_analysis(rec.notice_id)
        assert not NoticeMediaRepository(s).retry_analysis(rec.notice_id)  # not failed now
    assert {"analysis_state", "analysis_error"} <= _columns(db)
    command.downgrade(alembic_config(db.engine), "0032_job_parts")
    assert not {"analysis_state", "analysis_error"} & _columns(db)
    upgrade(db.engine)
    assert {"analysis_state", "analysis_error"} <= _columns(db)
    assert notice_media.analysis_failed(db, rec.notice_id, {"code": "job_lost"})
