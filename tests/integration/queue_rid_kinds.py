"""A job kind for tests/integration/test_request_ids.py, loaded into a real worker with
``--plugin``: ``test.rid`` notes the request id current while it runs, and logs a line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mediaproof.observability.context import current_request_id
from mediaproof.queue.kinds import JobContext, kind

log = logging.getLogger("mediaproof.test_rid")


@kind("test.rid")
def _rid(ctx: JobContext) -> dict[str, Any]:
    rid = current_request_id()
    (Path(ctx.params["dir"]) / f"rid-{ctx.key}").write_text(rid or "")
    log.info("test.rid ran")
    return {"rid": rid}
