"""The app's OpenAPI document, written deterministically (sorted keys, two-space indent).

``python -m mediaproof.api.openapi > docs/openapi.json`` regenerates the checked-in copy
that tests/api/test_contracts.py compares the app with, so a change to what the API
accepts or answers shows up in review.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from mediaproof.config import Settings


def openapi_document() -> dict[str, Any]:
    """The document of an app on a throw-away instance with the default settings (the
    document does not depend on an instance's data)."""
    from mediaproof.api.app import create_app

    with tempfile.TemporaryDirectory(prefix="mediaproof-openapi-") as home:
        app = create_app(Settings(home=Path(home) / "instance"))
        try:
            return app.openapi()
        finally:
            app.state.ctx.jobs.shutdown()
            app.state.ctx.inst.close()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    sys.stdout.write(render(openapi_document()))


if __name__ == "__main__":
    main()
