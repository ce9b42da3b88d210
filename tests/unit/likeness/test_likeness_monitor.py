"""The monitor: files dropped in a folder raise alerts in-app, by e-mail (local SMTP
server) and by signed webhook (local HTTP server); duplicates are suppressed; deleting
the enrolment stops alerts and removes its data."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediaproof.config import Settings
from mediaproof.errors import NotFoundError
from mediaproof.likeness.alerts import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EmailChannel,
    WebhookChannel,
    verify_signature,
)
from mediaproof.likeness.errors import AlertDeliveryError
from mediaproof.likeness.monitor import Monitor
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import Alert, SqliteLikenessStore
from tests.likeness_support import engines, faces_dir, http_server, smtp_server

SECRET = "s3cret-for-tests"


@pytest.fixture
def svc(tmp_path: Path, corpora: Path) -> LikenessService:
    face, voice = engines()
    s = LikenessService(SqliteLikenessStore.open(tmp_path / "home"), faces=face, voices=voice)
    train = faces_dir(corpora) / "knn_examples/train/obama"
    s.enrol("Barack Obama", sorted(train.iterdir()), consent_note="signed form 2026-01-05")
    return s


def test_drop_folder_alerts_by_email_and_webhook_once_per_media(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    faces = faces_dir(corpora)
    sleeps: list[float] = []
    with smtp_server() as (smtp_port, inbox), http_server() as (url, hook):
        hook.statuses = [503]  # the first delivery fails; the retry must get through
        channels = [
            EmailChannel("127.0.0.1", smtp_port, "monitor@example.org", ["team@example.org"]),
            WebhookChannel(url, SECRET, retries=2, backoff_s=0.5, sleep=sleeps.append),
        ]
        mon = Monitor(
            svc,
            Settings(home=tmp_path / "home"),
            drop,
            channels,
            settle_s=0,
            report_base_url="https://mp.example.org/reports",
        )
        shutil.copy(faces / "two_people.jpg", drop / "a.jpg")
        shutil.copy(faces / "knn_examples/test/alex_lacamoire1.jpg", drop / "b.jpg")
        (drop / "c.jpg.part").write_bytes(b"still copying")

        r = mon.run_once()

        assert sorted(Path(p).name for p in r.analysed) == ["a.jpg", "b.jpg"]
        assert r.errors == {}
        (alert,) = r.alerts
        assert alert.name == "Barack Obama" and alert.media_path.endswith("a.jpg")
        assert alert.deliveries == {"email": "sent", "webhook": "sent"}
        assert alert.report_url == f"https://mp.example.org/reports/{alert.report_id}"
        # in-app
        assert [a.id for a in svc.store.list_alerts()] == [alert.id]
        report = svc.store.get_report(alert.report_id)
        assert report["evidence"][0]["analyzer"] == "likeness"
        assert report["media"]["sha256"] == alert.media_sha256
        # e-mail
        (msg,) = inbox.messages
        assert inbox.envelopes[0][1] == ["<team@example.org>"]
        assert "looks like Barack Obama" in msg["Subject"]
        body = msg.get_payload(decode=True).decode()
        assert alert.report_url in body and "not a verdict" in body
        assert "fake" not in body.lower()
        # webhook: retried after a 503 with backoff, signed, fresh timestamp
        assert len(hook.requests) == 2 and sleeps == [0.5]
        headers, raw = hook.requests[-1]
        assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER])
        assert not verify_signature(
            "wrong", headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER]
        )
        assert not verify_signature(
            SECRET, headers[TIMESTAMP_HEADER], raw + b" ", headers[SIGNATURE_HEADER]
        )
        payload = json.loads(raw)
        assert payload["alert"]["report_id"] == alert.report_id

        # the same media again, under another name: no second alert
        shutil.copy(faces / "two_people.jpg", drop / "copy-of-a.jpg")
        r2 = mon.run_once()
        assert r2.analysed == [] and [Path(p).name for p in r2.duplicates] == ["copy-of-a.jpg"]
        assert r2.alerts == [] and len(inbox.messages) == 1 and len(hook.requests) == 2

        # deleting the enrolment stops alerts and removes its alerts and reports
        svc.delete(alert.enrolment_id)
        assert svc.store.list_alerts() == []
        with pytest.raises(NotFoundError):
            svc.store.get_report(alert.report_id)
        shutil.copy(faces / "knn_examples/test/obama1.jpg", drop / "d.jpg")
        r3 = mon.run_once()
        assert [Path(p).name for p in r3.analysed] == ["d.jpg"]
        assert r3.alerts == [] and len(inbox.messages) == 1 and len(hook.requests) == 2


def test_files_still_being_written_wait_for_the_next_scan(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(faces_dir(corpora) / "obama.jpg", drop / "x.jpg")
    mon = Monitor(svc, Settings(home=tmp_path / "home"), drop, [], settle_s=3600)
    assert mon.run_once().analysed == []


def test_monitor_loop_stops_when_asked(svc: LikenessService, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    mon = Monitor(svc, Settings(home=tmp_path / "home"), drop, [], settle_s=0)
    t = threading.Thread(target=mon.run, kwargs={"poll_s": 0.05})
    t.start()
    time.sleep(0.2)
    mon.stop()
    t.join(timeout=5)
    assert not t.is_alive()


def test_webhook_gives_up_with_a_reason(tmp_path: Path) -> None:
    alert = Alert("a", "t", "e", "N", "00" * 32, "/x", "r", ["x"])
    with http_server() as (url, hook):
        hook.statuses = [500, 500, 500]
        sleeps: list[float] = []
        ch = WebhookChannel(url, SECRET, retries=2, backoff_s=1.0, sleep=sleeps.append)
        with pytest.raises(AlertDeliveryError, match="HTTP 500"):
            ch.deliver(alert)
        assert sleeps == [1.0, 2.0] and len(hook.requests) == 3
        hook.statuses = [403]  # refused: no point retrying
        with pytest.raises(AlertDeliveryError, match="HTTP 403"):
            WebhookChannel(url, SECRET, retries=3, sleep=sleeps.append).deliver(alert)
        assert len(hook.requests) == 4


def test_cli_enrol_list_check_delete_and_monitor_once(
    corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaproof.cli.likeness import app
    from mediaproof.cli.monitor import app as monitor_app

    runner = CliRunner()
    home = str(tmp_path / "home")
    f = faces_dir(corpora)
    r = runner.invoke(
        app,
        [
            "enrol",
            "Joe Biden",
            "--face",
            str(f / "knn_examples/train/biden/biden.jpg"),
            "--face",
            str(f / "two_people.jpg"),
            "--home",
            home,
        ],
    )
    assert r.exit_code == 8, r.output
    assert "2 faces found" in r.output and "nothing was stored" in r.output
    r = runner.invoke(
        app,
        [
            "enrol",
            "Joe Biden",
            "--face",
            str(f / "knn_examples/train/biden/biden.jpg"),
            "--face",
            str(f / "knn_examples/train/biden/biden2.jpg"),
            "--consent-note",
            "campaign form",
            "--home",
            home,
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    eid = json.loads(r.output)["id"]
    r = runner.invoke(app, ["list", "--home", home, "--json"])
    (person,) = json.loads(r.output)
    assert person["name"] == "Joe Biden" and person["faces"] == 2 and "vector" not in r.output
    r = runner.invoke(app, ["check", str(f / "two_people.jpg"), "--home", home, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["summary"].startswith("Shows someone who looks like Joe Biden")

    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(f / "biden.jpg", drop / "new.jpg")
    r = runner.invoke(
        monitor_app,
        ["--drop-dir", str(drop), "--once", "--settle-s", "0", "--home", home, "--json"],
    )
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.output)["alerts"]) == 1
    r = runner.invoke(app, ["alerts", "--home", home, "--json"])
    assert len(json.loads(r.output)) == 1

    r = runner.invoke(app, ["delete", eid, "--home", home, "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["deleted"] == eid
    r = runner.invoke(app, ["alerts", "--home", home, "--json"])
    assert json.loads(r.output) == []
    r = runner.invoke(app, ["delete", eid, "--home", home])
    assert r.exit_code == 6 and "no enrolment" in r.output


def test_channels_come_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproof.errors import MediaproofError
    from mediaproof.likeness.monitor import channels_from_settings

    assert channels_from_settings(Settings()) == []  # nothing is sent unless configured
    monkeypatch.setenv("MEDIAPROOF_MONITOR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MEDIAPROOF_MONITOR_SMTP_PORT", "2525")
    monkeypatch.setenv("MEDIAPROOF_MONITOR_SMTP_FROM", "mp@example.org")
    monkeypatch.setenv("MEDIAPROOF_MONITOR_SMTP_TO", '["a@example.org", "b@example.org"]')
    monkeypatch.setenv("MEDIAPROOF_MONITOR_WEBHOOK_URL", "https://hooks.example.org/x")
    monkeypatch.setenv("MEDIAPROOF_MONITOR_WEBHOOK_SECRET", SECRET)
    email, hook = channels_from_settings(Settings())
    assert isinstance(email, EmailChannel) and email.port == 2525
    assert email.recipients == ["a@example.org", "b@example.org"]
    assert isinstance(hook, WebhookChannel) and hook.retries == 3
    monkeypatch.delenv("MEDIAPROOF_MONITOR_WEBHOOK_SECRET")
    with pytest.raises(MediaproofError, match="shared secret"):
        channels_from_settings(Settings())


def test_media_that_fails_analysis_is_reported_and_not_marked_seen(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    broken = (faces_dir(corpora) / "obama.jpg").read_bytes()[:3000]
    (drop / "broken.jpg").write_bytes(broken)
    (drop / "notes.txt").write_text("not media")
    mon = Monitor(svc, Settings(home=tmp_path / "home"), drop, [], settle_s=0)
    r = mon.run_once()
    assert "cannot decode broken.jpg" in r.errors[str(drop / "broken.jpg")]
    assert r.skipped == [str(drop / "notes.txt")] and r.alerts == []
    import hashlib

    assert not svc.store.seen(hashlib.sha256(broken).hexdigest())
    assert mon.run_once().errors == {}  # unchanged files are not retried every scan


def test_alerts_link_to_the_service_report_page_when_its_address_is_known(
    svc: LikenessService, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    plain = Monitor(svc, Settings(home=home), None, [], settle_s=0)
    assert plain.report_base_url is None  # no address known: alerts carry the report id only
    served = Settings.model_validate(
        {"home": home, "service": {"public_url": "https://office.example/mp/"}}
    )
    mon = Monitor(svc, served, None, [], settle_s=0)
    assert mon.report_base_url == "https://office.example/mp/likeness/reports"
    own = Monitor(svc, served, None, [], settle_s=0, report_base_url="https://x.example/r")
    assert own.report_base_url == "https://x.example/r"  # the operator's setting wins


def test_failed_alert_deliveries_are_retried_with_back_off_and_after_a_restart(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    """The webhook receiver is down for a while: the alert stays in-app with the failure,
    is re-sent on later cycles once its back-off passed (not before), also by a monitor
    started afterwards, and never to a deleted person."""
    drop = tmp_path / "drop"
    drop.mkdir()
    faces = faces_dir(corpora)
    clock = [time.time() + 60]  # the settle check compares it with file times
    settings = Settings(home=tmp_path / "home")
    with http_server() as (url, hook):
        hook.statuses = [503, 503, 503]
        ch = WebhookChannel(url, SECRET, retries=0)

        def monitor() -> Monitor:
            return Monitor(svc, settings, drop, [ch], settle_s=0, clock=lambda: clock[0])

        mon = monitor()
        shutil.copy(faces / "knn_examples/test/obama1.jpg", drop / "a.jpg")
        (alert,) = mon.run_once().alerts
        assert alert.deliveries["webhook"].startswith("failed after 1 tries: ")
        assert mon.run_once().redelivered == []  # not before its back-off (30 s)
        clock[0] += 31
        assert mon.run_once().redelivered == [alert.id]  # second 503
        (stored,) = svc.store.list_alerts()
        assert (
            stored.attempts == {"webhook": 2}
            and "failed after 2 tries" in (stored.deliveries["webhook"])
        )

        # a new process picks the failure up from the store and tries at once
        clock[0] += 1
        again = monitor()
        assert again.run_once().redelivered == [alert.id]  # third 503
        clock[0] += 121
        assert again.run_once().redelivered == [alert.id]  # the receiver is back
        (stored,) = svc.store.list_alerts()
        assert stored.deliveries == {"webhook": "sent"} and stored.attempts == {"webhook": 4}
        assert len(hook.requests) == 4
        assert json.loads(hook.requests[-1][1])["alert"]["id"] == alert.id
        clock[0] += 10_000
        assert again.run_once().redelivered == []  # sent once: never again

        # another failing alert, then the person is deleted: no more tries
        hook.statuses = [503]
        shutil.copy(faces / "obama.jpg", drop / "b.jpg")
        (second,) = again.run_once().alerts
        assert second.deliveries["webhook"].startswith("failed")
        svc.delete(second.enrolment_id)
        clock[0] += 10_000
        assert again.run_once().redelivered == []
        assert len(hook.requests) == 5


def test_a_channel_configured_later_gets_no_old_alerts(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    shutil.copy(faces_dir(corpora) / "obama.jpg", drop / "a.jpg")
    settings = Settings(home=tmp_path / "home")
    assert len(Monitor(svc, settings, drop, [], settle_s=0).run_once().alerts) == 1
    with http_server() as (url, hook):
        mon = Monitor(svc, settings, drop, [WebhookChannel(url, SECRET)], settle_s=0)
        assert mon.run_once().redelivered == [] and hook.requests == []
