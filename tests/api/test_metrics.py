"""GET /metrics: off by default, behind its own bearer token, and the figures move."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from tests.api.conftest import PASSWORD, ROLES, make_settings

TOKEN = "metrics-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def metrics_app(home: Path) -> FastAPI:
    settings = make_settings(home).model_copy(update={"metrics_token": SecretStr(TOKEN)})
    app = create_app(settings)
    init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
    for role in ROLES:
        accounts.create_user(app.state.ctx.inst, role, Role(role), PASSWORD)
    return app


@pytest.fixture
def mclient(tmp_path: Path) -> Any:
    with TestClient(metrics_app(tmp_path / "instance")) as c:
        yield c


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    out = {}
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(m: dict[Any, float], name: str, **labels: str) -> float:
    return m.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_unless_a_token_is_set(client: TestClient) -> None:
    r = client.get("/metrics")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "metrics are not enabled on this instance"
    assert client.get("/metrics", headers=AUTH).status_code == 404


def test_metrics_need_the_token(mclient: TestClient) -> None:
    assert mclient.get("/metrics").status_code == 401
    assert mclient.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert mclient.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
    # an account's own API token is not the metrics token
    from tests.api.conftest import bearer

    admin = bearer(mclient.app.state.ctx.inst, "admin", ["exchange:manage"])  # type: ignore[attr-defined]
    assert mclient.get("/metrics", headers=admin).status_code == 401
    assert mclient.get("/metrics", headers=AUTH).status_code == 200


def test_a_short_token_is_refused_by_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from mediaproof.config import Settings

    monkeypatch.setenv("MEDIAPROOF_METRICS_TOKEN", "short")
    with pytest.raises(ValidationError, match="MEDIAPROOF_METRICS_TOKEN"):
        Settings()
    monkeypatch.setenv("MEDIAPROOF_METRICS_TOKEN", "")
    assert Settings().metrics_token is None


def test_request_and_lookup_latency_move(mclient: TestClient, photo: Path) -> None:
    before = scrape(mclient)
    for _ in range(3):
        assert mclient.get("/healthz").status_code == 200
    assert mclient.get("/api/v1/assets/999999").status_code == 404
    r = mclient.post("/api/v1/verify", files={"file": ("upload", photo.read_bytes())})
    assert r.status_code == 200, r.text
    after = scrape(mclient)

    count = "mediaproof_http_request_duration_seconds_count"
    healthz = {"route": "/healthz", "method": "GET", "status": "200"}
    assert value(after, count, **healthz) - value(before, count, **healthz) == 3
    # by route template, never by the concrete path
    missing = {"route": "/api/v1/assets/{asset_id}", "method": "GET", "status": "404"}
    assert value(after, count, **missing) == value(before, count, **missing) + 1
    assert not [k for k in after if "999999" in str(k)]
    verify = {"route": "/api/v1/verify", "method": "POST", "status": "200"}
    assert value(after, count, **verify) == value(before, count, **verify) + 1
    assert value(after, "mediaproof_http_request_duration_seconds_sum", **verify) > 0
    # the verify looked the photo's PDQ hashes up in the fingerprint index
    lookups = "mediaproof_lookup_duration_seconds_count"
    assert value(after, lookups, signal="pdq") > value(before, lookups, signal="pdq")
    assert value(after, "process_resident_memory_bytes") > 0


def test_instance_gauges_move(mclient: TestClient) -> None:
    from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
    from mediaproof.storage.sql.tables_jobs import JobRow
    from tests.factories import asset_row

    inst = mclient.app.state.ctx.inst  # type: ignore[attr-defined]
    m = scrape(mclient)
    assert value(m, "mediaproof_jobs", status="queued") == 0
    assert value(m, "mediaproof_jobs_oldest_queued_age_seconds") == 0
    assert value(m, "mediaproof_index_rows_behind") == 0
    assert value(m, "mediaproof_log_outbox_backlog") == 0
    assert ("mediaproof_index_hashes", ()) in m

    now = dt.datetime.now(dt.UTC)
    with inst.db.session() as s:
        queued = now - dt.timedelta(seconds=40)
        s.add(
            JobRow(id="k" * 64, kind="verify", runner="queue", status="queued", created_at=queued)
        )
        for i, took in enumerate((2.0, 4.0, 30.0)):
            start = now - dt.timedelta(seconds=100)
            end = start + dt.timedelta(seconds=took)
            s.add(
                JobRow(
                    id=f"{i}" * 64,
                    kind="verify",
                    runner="queue",
                    status="done",
                    created_at=start,
                    finished_at=end,
                )
            )
        # another process registered something this process's index has not read yet
        a = asset_row(s, sha256="b" * 64)
        s.add(
            FingerprintRow(
                asset_id=a.id, signal="pdq", value=b"\x01" * 32, quality=100, variant="original"
            )
        )
        s.commit()
    m = scrape(mclient)
    assert value(m, "mediaproof_jobs", status="queued") == 1
    assert value(m, "mediaproof_jobs", status="done") == 3
    assert value(m, "mediaproof_jobs_oldest_queued_age_seconds") >= 40
    assert value(m, "mediaproof_job_duration_seconds", kind="verify", quantile="0.5") == 4.0
    assert value(m, "mediaproof_job_duration_seconds", kind="verify", quantile="0.99") == 30.0
    assert value(m, "mediaproof_jobs_finished_kept", kind="verify") == 3
    assert value(m, "mediaproof_index_rows_behind") == 1
    inst.fingerprint_lookup.refresh(force=True)
    assert value(scrape(mclient), "mediaproof_index_rows_behind") == 0


def test_log_outbox_backlog_counts_staged_leaves(mclient: TestClient) -> None:
    from mediaproof.storage.sql.repos_log_outbox import LogOutboxRepository

    inst = mclient.app.state.ctx.inst  # type: ignore[attr-defined]
    assert value(scrape(mclient), "mediaproof_log_outbox_backlog") == 0
    with inst.db.session() as s:
        LogOutboxRepository(s).stage(asset_id=None, entry_type="alibi", body=b"{}")
        s.commit()
    assert value(scrape(mclient), "mediaproof_log_outbox_backlog") == 1
