"""Errors of the exchange, with stable codes for peers."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class ExchangeError(MediaproofError, code="exchange", exit_code=12, http_status=400): ...


class BehindHorizonError(ExchangeError, code="reload_snapshot", http_status=410):
    """The client's position is older than the tombstones kept: it may have missed a
    removal, so paging on would leave a withdrawn signal in its store."""


class PullRefusedError(ExchangeError, code="pull_refused", exit_code=13):
    """What a publisher served does not check out: bad signature, a rewritten or forked
    history, a row that is not in the signed tree. Nothing from the pull is stored."""


class PeerUnreachableError(ExchangeError, code="peer_unreachable", exit_code=14): ...
