"""`mediaproof worker` without a queue, and a bad broker setting: clear errors, no
network call, no password in the message."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from mediaproof.cli.main import app
from mediaproof.config import Settings

runner = CliRunner()


def test_worker_without_a_broker_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDIAPROOF_BROKER_URL", raising=False)
    r = runner.invoke(app, ["worker", "--home", str(tmp_path)])
    assert r.exit_code == 78
    assert "no job queue is configured" in r.output
    assert "MEDIAPROOF_BROKER_URL" in r.output


def test_broker_url_must_be_amqp_and_is_never_echoed(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as e:
        Settings(home=tmp_path, broker_url="redis://user:hunter2@cache:6379/0")  # type: ignore[arg-type]
    assert "amqp://" in str(e.value)
    assert "hunter2" not in str(e.value)
    ok = Settings(home=tmp_path, broker_url="amqps://user:hunter2@mq:5671/prod")  # type: ignore[arg-type]
    assert "hunter2" not in repr(ok) and ok.broker_url is not None


def test_worker_with_an_unknown_plugin_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # checked before anything reaches for the broker (port 9: nothing listens)
    monkeypatch.setenv("MEDIAPROOF_BROKER_URL", "amqp://guest:guest@127.0.0.1:9//")
    r = runner.invoke(app, ["worker", "--home", str(tmp_path), "--plugin", "no.such.module"])
    assert r.exit_code == 78
    assert "cannot import plug-in 'no.such.module'" in r.output


def test_worker_with_the_broker_down_exits_14(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIAPROOF_BROKER_URL", "amqp://guest:secret-pw@127.0.0.1:9//")
    r = runner.invoke(app, ["worker", "--home", str(tmp_path)])
    assert r.exit_code == 14, r.output
    assert "cannot reach the job queue" in r.output
    assert "secret-pw" not in r.output
