"""`mediaproof upload check` on a real instance: a file, then its hashes alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from mediaproof.cases.models import Outcome
from mediaproof.cli.main import app
from mediaproof.config import Settings
from mediaproof.media.sniff import MediaKind
from mediaproof.services.cases.intake_form import media_prints
from mediaproof.services.cases.runtime import case_service, close_case_service
from mediaproof.services.instance import Instance
from tests.factories import decided_case, notice_input

FAKE = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
UNRELATED = "pdq-threatexchange/images/misc-images/c.png"
T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
runner = CliRunner()


def _run(home: Path, *args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["upload", "check", *args, "--home", str(home)])
    return r.exit_code, r.output


def test_check_a_file_and_hashes_from_the_command_line(tmp_path: Path, corpora: Path) -> None:
    home = tmp_path / "i"
    fake = corpora / FAKE
    sha = hashlib.sha256(fake.read_bytes()).hexdigest()
    inst = Instance(Settings(home=home))
    try:
        pdq = media_prints(inst, fake, MediaKind.IMAGE)["pdq"]
        svc = case_service(inst)
        number = decided_case(
            svc,
            notice_input(media_sha256=sha, fingerprints={"pdq": pdq}, mime="image/jpeg"),
            filed_at=T0,
            outcome=Outcome.LABEL,
            explanation="Reviewed: the picture was altered.",
        ).case_number
        close_case_service(svc)
    finally:
        inst.close()
    code, out = _run(home, str(fake), "--content-url", "https://social.example/1", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert (d["action"], d["case_number"]) == ("label", number)
    code, out = _run(home, "--sha256", sha, "--content-url", "https://social.example/1")
    assert code == 0 and "LABEL" in out and number in out and "label:" in out, out
    code, out = _run(home, str(corpora / UNRELATED))
    assert code == 0 and "NONE" in out, out
    code, out = _run(home, "--sha256", "ab" * 31)
    assert code != 0 and "sha256 must be 64" in out, out
    code, out = _run(home, str(fake), "--pdq", pdq)
    assert code != 0 and "not with a file" in out, out
    code, out = _run(home)
    assert code != 0 and "give a FILE or --sha256" in out, out


def test_a_video_vpdq_from_a_file_meets_a_received_signal(tmp_path: Path, corpora: Path) -> None:
    from mediaproof.exchange.models import SignalType
    from tests.integration.test_exchange_match import row, source

    home = tmp_path / "i"
    video = corpora / "vpdq-tmk-threatexchange/videos/chair-20-sd-bar.mp4"
    inst = Instance(Settings(home=home))
    try:
        vpdq = media_prints(inst, video, MediaKind.VIDEO)["vpdq"]
        source(inst, [row(1, vpdq, st=SignalType.VPDQ)])
    finally:
        inst.close()
    frames = tmp_path / "frames.txt"
    frames.write_text(vpdq)
    code, out = _run(home, "--sha256", "ab" * 32, "--vpdq", f"@{frames}", "--json")
    assert code == 0, out
    d = json.loads(out)
    assert d["action"] == "review" and d["received"][0]["signal_type"] == "vpdq"
    assert d["checked"] == ["sha256", "vpdq"]
    code, out = _run(home, "--sha256", "ab" * 32, "--vpdq", f"@{tmp_path / 'none.txt'}")
    assert code != 0 and "not a file of at most 4 MiB" in " ".join(out.split()), out
