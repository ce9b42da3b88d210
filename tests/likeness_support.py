"""Shared pieces for the likeness tests: corpus paths, engines loaded once, and small
local servers (SMTP, HTTP) on 127.0.0.1 that record what they receive."""

from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import numpy as np

from mediaproof.likeness.faces import FaceEngine
from mediaproof.likeness.service import shared_engines
from mediaproof.likeness.voices import VoiceEngine


def engines() -> tuple[FaceEngine, VoiceEngine]:
    """The process-wide engine pair: loading dlib and Resemblyzer takes seconds."""
    return shared_engines()


def faces_dir(corpora: Path) -> Path:
    return corpora / "likeness" / "faces"


def voices_dir(corpora: Path) -> Path:
    return corpora / "likeness" / "voices" / "librispeech_test-other"


def clip(corpora: Path, speaker: str, n: int) -> Path:
    d = voices_dir(corpora) / speaker
    return next(d.glob(f"{speaker}-*-{n:04d}.flac"))


def link_identities(root: Path, sources: dict[str, list[Path]]) -> Path:
    """A reference folder <identity>/<files> made of symlinks into the corpus."""
    for ident, files in sources.items():
        (root / ident).mkdir(parents=True)
        for f in files:
            (root / ident / f.name).symlink_to(f)
    return root


def write_wav(path: Path, wav: np.ndarray, sr: int = 16_000) -> Path:
    import wave

    pcm = (np.clip(wav, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())
    return path


# --- SMTP --------------------------------------------------------------------------


@dataclass
class Inbox:
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    inbox: Inbox

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 test ESMTP")
        sender, rcpts = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode().strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 test")
            elif verb == "MAIL":
                sender, rcpts = cmd.split(":", 1)[1].strip(), []
                self._say("250 OK")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip())
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 go ahead")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                body = data[: -len(b".\r\n")].replace(b"\r\n..", b"\r\n.")
                self.inbox.messages.append(message_from_bytes(body))
                self.inbox.envelopes.append((sender, rcpts))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")


@contextmanager
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    handler = type("Handler", (_SmtpHandler,), {"inbox": inbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield server.server_address[1], inbox
    finally:
        server.shutdown()
        server.server_close()


# --- HTTP ------------------------------------------------------------------------


@dataclass
class Hook:
    statuses: list[int] = field(default_factory=list)  # answers to give, then 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def http_server() -> Iterator[tuple[str, Hook]]:
    hook = Hook()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.requests.append((dict(self.headers.items()), body))
            status = hook.statuses.pop(0) if hook.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", hook
    finally:
        server.shutdown()
        server.server_close()


def make_video(path: Path, frames: list[np.ndarray], fps: int, audio: np.ndarray | None) -> Path:
    """An MP4 (MPEG-4 video, AAC audio at 16 kHz mono) from RGB frames and a waveform."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
        a_s = None
        if audio is not None:
            a_s = out.add_stream("aac", rate=16_000)
            a_s.layout = "mono"
        for rgb in frames:
            frame = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(rgb[: vs.height, : vs.width]), format="rgb24"
            )
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if a_s is not None and audio is not None:
            pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
            step = 1024
            for i in range(0, len(pcm), step):
                af = av.AudioFrame.from_ndarray(
                    pcm[None, i : i + step], format="s16", layout="mono"
                )
                af.sample_rate = 16_000
                af.pts = i
                for pkt in a_s.encode(af):
                    out.mux(pkt)
            for pkt in a_s.encode():
                out.mux(pkt)
    return path
