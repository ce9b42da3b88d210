"""Where the app keeps its rate-limit buckets: in the process on SQLite (the single-box
default), in the database on PostgreSQL, so two API processes draw from one bucket."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mediaproof.api import create_app
from mediaproof.api.ratelimit import RateLimiter
from mediaproof.services.rate_limits import DatabaseRateLimiter
from tests.api.conftest import make_settings

ROUTE = "/services/supportedAlgorithms"  # public, in the "lookup" bucket (cheap)


def _two_apps(tmp_path: Path, db_url: str, **svc: object):  # type: ignore[no-untyped-def]
    # two instances over one database: what two API processes behind a proxy are
    apps = []
    for name in ("a", "b"):
        s = make_settings(tmp_path / name, rate_lookup_burst=3, rate_lookup_per_min=0.01, **svc)
        apps.append(create_app(s.model_copy(update={"database_url": db_url})))
    return apps


def test_auto_store_follows_the_backend(tmp_path: Path, db_url: str) -> None:
    a, b = _two_apps(tmp_path, db_url)
    limiter = a.state.ctx.limiter
    if db_url.startswith("sqlite"):
        assert isinstance(limiter, RateLimiter)  # the single box stays as simple as it was
    else:
        assert isinstance(limiter, DatabaseRateLimiter)
    with TestClient(a) as ca, TestClient(b) as cb:
        codes = [c.get(ROUTE).status_code for c in (ca, cb, ca, cb, ca, cb)]
    if db_url.startswith("sqlite"):
        assert codes == [200] * 6  # each process its own bucket of 3
    else:
        assert codes == [200, 200, 200, 429, 429, 429]  # one bucket of 3, shared


def test_database_store_on_sqlite_is_shared_and_answers_429(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    a, b = _two_apps(tmp_path, url, rate_store="database")
    assert isinstance(a.state.ctx.limiter, DatabaseRateLimiter)
    with TestClient(a) as ca, TestClient(b) as cb:
        assert [ca.get(ROUTE).status_code for _ in range(3)] == [200, 200, 200]
        r = cb.get(ROUTE)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) > 60


def test_memory_store_on_request(tmp_path: Path, db_url: str) -> None:
    a, _ = _two_apps(tmp_path, db_url, rate_store="memory")
    assert isinstance(a.state.ctx.limiter, RateLimiter)
