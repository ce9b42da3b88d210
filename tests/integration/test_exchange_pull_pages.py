"""A pull (a chunk of one: test_exchange_pull_chunks.py) is checked a page at a time and
stored in one transaction, on SQLite and PostgreSQL: every page lands when all check
out, and a later page that fails its check keeps the pages before it out too (nothing of
the pull is kept, the source is marked refused and its trusted size stays where it
was)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from mediaproof.api import create_app
from mediaproof.services import exchange_pull
from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow, ExchangeUpdateRow
from tests.api.conftest import make_settings
from tests.integration.test_exchange_db import (
    PDQ_A,
    PDQ_C,
    VPDQ_A,
    inst_of,
    setup_pull,
    values,
)


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    """A, the publisher (as in test_exchange_db.py)."""
    settings = make_settings(tmp_path / "a", rate_exchange_burst=1000)
    a = create_app(settings.model_copy(update={"database_url": db_url}))
    with TestClient(a):
        yield a


class _Tampering(TestClient):
    """A client that changes A's stored row ``seq`` just before asking for the page
    after ``after``: the page is read afresh and no longer matches the tree the first
    page was proved against."""

    def __init__(self, a: FastAPI, after: int, seq: int) -> None:
        super().__init__(a)
        self.when, self.seq, self.pages = after, seq, 0

    def get(self, url: Any, **kw: Any) -> Any:  # type: ignore[override]
        params = kw.get("params") or {}
        if str(url).endswith("/updates"):
            self.pages += 1
            if params.get("after") == self.when:
                inst = inst_of(self.app)  # type: ignore[arg-type]
                with inst.db.session() as s:
                    cid = s.scalar(select(ExchangeCollectionRow.id))
                    s.execute(
                        update(ExchangeUpdateRow)
                        .where(
                            (ExchangeUpdateRow.collection_id == cid)
                            & (ExchangeUpdateRow.seq == self.seq)
                        )
                        .values(category="negative_class")
                    )
        return super().get(url, **kw)


def test_every_page_is_stored(
    app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_pull, "MAX_PAGE", 1)
    b, _, _ = setup_pull(app, tmp_path)
    client = _Tampering(app, after=-1, seq=0)  # never tampers: counts pages
    try:
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.added, r.size) == ("ok", 3, 3)
        assert client.pages == 3
        assert values(b) == {("pdq", PDQ_A), ("vpdq", VPDQ_A), ("pdq", PDQ_C)}
    finally:
        b.close()


def test_a_later_page_that_fails_rolls_back_the_pages_before_it(
    app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_pull, "MAX_PAGE", 1)
    b, _, _ = setup_pull(app, tmp_path)
    client = _Tampering(app, after=2, seq=3)  # the third page's row changes
    try:
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert r.status == "refused" and r.added == 0
        assert r.message is not None and "update 3 is not in the signed log" in r.message
        assert values(b) == set()  # pages 1 and 2 checked out, and are not kept
        status = exchange_pull.peers(b)[0]
        assert (status["status"], status["size"], status["signals"]) == ("refused", 0, 0)
    finally:
        b.close()
