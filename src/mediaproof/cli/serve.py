"""`mediaproof serve`: the HTTP service (API, verify page, publishing) under uvicorn."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from mediaproof.cli.common import HomeOption, fail
from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    home: HomeOption = None,
) -> None:
    """Serve the HTTP API and pages. On an instance without users, creates the user
    'admin' and prints its one-time password once."""
    import uvicorn

    from mediaproof.api import create_app
    from mediaproof.api.logs import configure_logging
    from mediaproof.services.accounts import FIRST_ADMIN, ensure_first_admin

    settings = load_settings(home)
    configure_logging(log_level.upper(), settings.log_format)
    try:
        app = create_app(settings)
        password = ensure_first_admin(app.state.ctx.inst)
    except MediaproofError as e:
        raise fail(e) from e
    if password:
        # stderr, once: it is not stored anywhere in clear and must be changed at first login
        sys.stderr.write(
            "\n  First start: created the administrator account.\n"
            f"    user name: {FIRST_ADMIN}\n"
            f"    one-time password: {password}\n"
            "  Sign in at /login and choose your own password; this one is not shown again.\n\n"
        )
    sys.stderr.write(f"mediaproof: serving http://{host}:{port}/ (Ctrl-C to stop)\n")
    sys.stderr.flush()
    svc = settings.service
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level.lower(),
        access_log=False,  # our own access log has no client addresses
        log_config=None,  # keep the JSON logging set up above
        proxy_headers=svc.behind_proxy,
        forwarded_allow_ips="*" if svc.behind_proxy else None,
        timeout_keep_alive=5,
        server_header=False,
    )
