"""A real server under mixed concurrent use keeps answering (issue 15, finding 12).

Two clients mix image, audio and video verifies with likeness checks of faces and voices
(matrix work in the server, next to ffprobe children started for other uploads) while a
third polls /healthz. Every request must be answered, /healthz throughout, and SIGTERM
must stop the server promptly at the end. The freeze this guards against hung the server
within about ten such requests.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services import likeness as likeness_svc
from mediaproof.services.instance import Instance
from tests.e2e.server import Server
from tests.likeness_support import clip, faces_dir

PASSWORD = "concurrency password 1234"
FIXTURES = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"
ROUNDS = 3
HEALTH_TIMEOUT_S = 5.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[tuple[Server, str]]:
    home = tmp_path_factory.mktemp("e2e-concurrency") / "instance"
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "County Elections Office")
    accounts.create_user(inst, "chief", Role.ADMIN, PASSWORD)
    session, _ = accounts.login(inst, "chief", PASSWORD)
    principal = accounts.session_principal(inst, session)
    assert principal is not None
    token, _ = accounts.create_token(inst, principal, "load", ["likeness:manage"])
    faces = sorted((faces_dir(corpora) / "knn_examples/train/obama").iterdir())[:3]
    voices = [clip(corpora, "1688", n) for n in (0, 1, 2)]
    likeness_svc.enrol(inst, "Barack Obama", faces, voices, consent_note="signed form")
    inst.close()
    many = "1000000"
    srv = Server(
        home,
        {
            "MEDIAPROOF_SERVICE_RATE_VERIFY_PER_MIN": many,
            "MEDIAPROOF_SERVICE_RATE_VERIFY_BURST": many,
            "MEDIAPROOF_SERVICE_RATE_LOOKUP_PER_MIN": many,
            "MEDIAPROOF_SERVICE_RATE_LOOKUP_BURST": many,
        },
    )
    yield srv, token
    if srv.proc.poll() is None:
        srv.close()


def _answer(c: httpx.Client, r: httpx.Response) -> dict[str, object]:
    """The final answer: a 202's job polled to its end."""
    assert r.status_code in (200, 202), r.text
    body: dict[str, object] = r.json()
    if r.status_code == 202:
        url = str(body["status_url"])
        deadline = time.monotonic() + 120
        while body["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, f"job never finished: {body}"
            time.sleep(0.5)
            body = c.get(url).json()
        assert body["status"] == "done", body
    return body


def test_mixed_uploads_and_likeness_checks_keep_the_service_answering(
    served: tuple[Server, str], corpora: Path
) -> None:
    srv, token = served
    auth = {"Authorization": f"Bearer {token}"}
    image = faces_dir(corpora) / "knn_examples/test/obama1.jpg"
    audio = corpora / FIXTURES / "sample1.wav"
    video = corpora / FIXTURES / "video1.mp4"
    voice = clip(corpora, "1688", 5)
    # (route, file, auth): each client runs the mix in a different order
    mix = [
        ("/api/v1/likeness/check", voice, True),
        ("/api/v1/verify", audio, False),
        ("/api/v1/likeness/check", image, True),
        ("/api/v1/verify", image, False),
        ("/api/v1/verify", video, False),
        ("/api/v1/likeness/check", voice, True),
    ]
    answered: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    health: list[float] = []

    def client(order: list[tuple[str, Path, bool]]) -> None:
        try:
            with httpx.Client(base_url=srv.url, timeout=120) as c:
                for _ in range(ROUNDS):
                    for route, path, signed in order:
                        with path.open("rb") as f:
                            r = c.post(
                                route,
                                files={"file": (path.name, f)},
                                headers=auth if signed else {},
                            )
                        body = _answer(c, r)
                        if route.endswith("/check"):  # the enrolled person was compared
                            assert body["enrolled_people"] == 1, body
                            assert body["compared"], body
                        answered.append(f"{route} {path.name}")
        except BaseException as e:
            errors.append(f"{type(e).__name__}: {e}")

    def poll_health() -> None:
        with httpx.Client(base_url=srv.url, timeout=HEALTH_TIMEOUT_S) as c:
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    assert c.get("/healthz").status_code == 200
                    health.append(time.monotonic() - t0)
                except (httpx.HTTPError, AssertionError) as e:
                    errors.append(f"/healthz: {type(e).__name__}: {e}")
                stop.wait(0.25)

    poller = threading.Thread(target=poll_health)
    poller.start()
    clients = [
        threading.Thread(target=client, args=(mix,)),
        threading.Thread(target=client, args=(mix[::-1],)),
    ]
    for t in clients:
        t.start()
    for t in clients:
        t.join(timeout=900)
    hung = any(t.is_alive() for t in clients)
    stop.set()
    poller.join()
    assert not hung, f"a client never got its answer; server log:\n{srv.output()[-3000:]}"
    assert errors == [], errors
    assert len(answered) == 2 * ROUNDS * len(mix)
    assert health and max(health) < HEALTH_TIMEOUT_S
    assert "Traceback" not in srv.output()

    srv.proc.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    srv.proc.wait(timeout=30)
    assert time.monotonic() - t0 < 30
    srv.close()
