"""The exchange at scale, over real HTTP: B pulls a collection of N signals from a real
`mediaproof serve` of A (time, the puller's peak RSS, rows/s), then an incremental pull
of 1,000 new ones; the delay from A's second reviewer confirming a case (through A's
API) to B's scheduler having pulled the signal and matching an upload of that media; and
the match latency of one upload against 10k / 100k / 1M received signals, the old scan
of every row beside the index (services/exchange_index.py). Prints JSON.

    PYTHONPATH=src .venv/bin/python bench/bench_exchange_pull.py [--signals 20000]
        [--incremental 1000] [--interval 0.5] [--match-sizes 10000,100000]

A and B each use a SQLite file in their home. A's collection rows are written in bulk
(ExchangeRepository.append_many) by a child process, which then brings A's stored tree
of the log up to them (``tree_build_s``: what A's sync does as it appends), so this
process is the puller only: ``puller_rss_*`` is its RSS (ru_maxrss) before and after the
pulls, ``puller_cpu_s`` its CPU time; ``publisher_*`` are the server's peak RSS (VmHWM)
and CPU time (utime + stime) per stage. ``--pull-only`` leaves out the confirmation
delay and the match latency (a big run). A's own
sync-before-read is throttled to once per 2 s (SYNC_ON_READ_S), which the confirmation
delay includes; the bulk collection is marked synced so A's sync does not reconcile it
away with A's (empty) bank.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import PIL.Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.factories import multipart_fields, notice_form

from _serve import launch_serve
from mediaproof.accounts.models import Role
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.config import Settings
from mediaproof.exchange.incoming import Signal, find, upload_keys
from mediaproof.exchange.models import Category, CollectionSpec, FeedRow, SignalType
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts, exchange, exchange_match, exchange_pull
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository

try:  # absent before the stored tree (the same bench measures the code before it)
    from mediaproof.services import exchange_tree
except ImportError:
    exchange_tree = None  # type: ignore[assignment]

PASSWORD = "a long bench password"
FILL_BATCH = 20_000


def _rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _pdq(rng: random.Random) -> str:
    """A PDQ-like hash with 128 of 256 bits set (what a picture with features gives;
    the quality gate keeps it)."""
    bits = rng.sample(range(256), 128)
    return f"{sum(1 << i for i in bits):064x}"


def _row(name: str, seq: int, value: str) -> FeedRow:
    return FeedRow(
        name, seq, SignalType.PDQ, value, Category.POSITIVE_CLASS, ("bench",), None,
        "Bench County", False, "2026-12-06T00:00:00Z",
    )  # fmt: skip


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def fill(home: Path, name: str, start: int, n: int, seed: int) -> None:
    """Rows ``start+1 .. start+n`` of collection ``name`` in bulk; the collection stays
    marked synced so A's sync-before-read does not withdraw them (they are not in the bank).
    Then A's stored tree catches up (timed: printed as JSON for the parent)."""
    rng = random.Random(seed)
    inst = Instance(Settings(home=home))
    try:
        now = dt.datetime.now(dt.UTC)
        for lo in range(start, start + n, FILL_BATCH):
            hi = min(start + n, lo + FILL_BATCH)
            with inst.db.session() as s:
                repo = ExchangeRepository(s)
                c = repo.collection(name)
                assert c is not None
                c.synced_at = now + dt.timedelta(days=365)
                repo.append_many(c, [_row(name, q, _pdq(rng)) for q in range(lo + 1, hi + 1)], now)
        t = time.perf_counter()
        if exchange_tree is not None:
            exchange_tree.ensure(inst, name, wait_s=None)
        print(json.dumps({"tree_build_s": round(time.perf_counter() - t, 3)}))
    finally:
        inst.close()


def _fill_child(home: Path, name: str, start: int, n: int, seed: int) -> dict[str, float]:
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, __file__, "--fill", str(home), name, str(start), str(n), str(seed)],
        check=True,
        stdout=subprocess.PIPE,
    )
    out: dict[str, float] = json.loads(p.stdout.decode().strip().splitlines()[-1])
    out["fill_s"] = round(time.perf_counter() - t, 3)
    return out


def prepare_a(home: Path) -> dict[str, str]:
    inst = Instance(Settings(home=home))
    try:
        init_keys(inst.keys_dir, "Bench County")
        accounts.create_user(inst, "admin", Role.ADMIN, PASSWORD)
        tokens = {}
        for name in ("rev1", "rev2"):
            accounts.create_user(inst, name, Role.REVIEWER, PASSWORD)
            tokens[name], _ = accounts.issue_token(inst, name, "review", ["cases:review"])
        exchange.init_key(inst)
        exchange.create_collection(inst, CollectionSpec("bench", "Bench County"))
        exchange.create_collection(inst, CollectionSpec("latency", "Bench County"))
        tokens["bench"], _ = exchange.grant(inst, "bench", "county-b")
        tokens["latency"], _ = exchange.grant(inst, "latency", "county-b")
        tokens["vkey"] = exchange.public_key(inst)
        return tokens
    finally:
        inst.close()


def _photo(path: Path, seed: int) -> Path:
    """A picture unlike any other seed's (sample photos of different seeds can be near
    each other in PDQ, and a near copy joins the decided case instead of opening one)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(12, 16, 3), dtype=np.uint8)
    img = PIL.Image.fromarray(blocks).resize((1024, 768), PIL.Image.Resampling.BICUBIC)
    img.save(path, quality=90)
    return path


def confirm_to_match(
    a_url: str, b: Instance, tokens: dict[str, str], root: Path, interval_s: float, seed: int
) -> dict[str, object]:
    """A's reviewers decide and confirm a case over A's API; B's scheduler pulls every
    ``interval_s``; an upload of that media to B is matched every 50 ms until it opens a
    case. The delay is from the confirmation's answer to that match."""
    photo = _photo(root / f"fake-{seed}.jpg", seed)
    pdq = fingerprint_file(photo).image.pdq.hex  # type: ignore[union-attr]
    svc = CaseService(b.db, sink=InMemoryEventSink())
    with httpx.Client(base_url=a_url, timeout=120) as c:
        r = c.post(
            "/api/v1/notices",
            data=multipart_fields(
                notice_form(
                    explanation="A synthetic photo of the candidate at a rally that never was.",
                    content_url=f"https://social.example/p/{seed}",
                    location="social.example",
                )
            ),
            files={"file": ("fake.jpg", photo.read_bytes(), "image/jpeg")},
        )
        assert r.status_code == 201, r.text
        number = r.json()["case_number"]
        h1 = {"Authorization": f"Bearer {tokens['rev1']}"}
        h2 = {"Authorization": f"Bearer {tokens['rev2']}"}
        d = c.post(
            f"/api/v1/cases/{number}/decisions",
            json={"outcome": "remove", "rule_id": "DM-1", "explanation": "Synthetic."},
            headers=h1,
        )
        assert d.status_code == 201, d.text
        # B's match index is loaded by its first match (a running service's is warm):
        # loaded here, and timed, so the delay below is the pull's, not the load's
        t = time.perf_counter()
        exchange_match.check_upload(b, svc, sha256="f" * 64, fingerprints={"pdq": "5a" * 32})
        index_load_s = time.perf_counter() - t
        cpu0 = time.process_time()
        sched = exchange_pull.PullScheduler(b, interval_s)
        sched.start()
        try:
            time.sleep(interval_s * 1.5)  # the scheduler is in its rhythm
            t0 = time.perf_counter()
            assert c.post(f"/api/v1/cases/{number}/confirm", headers=h2).status_code == 200
            confirmed = time.perf_counter()
            n = 0
            while time.perf_counter() - t0 < 120:
                n += 1
                res = exchange_match.check_upload(
                    b, svc, sha256=f"{n:064x}", fingerprints={"pdq": pdq}
                )
                if res.case_number is not None:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("B never matched the confirmed media")
            done = time.perf_counter()
        finally:
            sched.stop()
    return {
        "pull_interval_s": interval_s,
        "index_load_before_s": round(index_load_s, 3),
        "puller_cpu_s": round(time.process_time() - cpu0, 3),
        "load_avg_1m": os.getloadavg()[0],
        "confirm_request_s": round(confirmed - t0, 3),
        "confirm_to_match_s": round(done - t0, 3),
        "uploads_tried": n,
        "note": (
            "includes up to one pull interval of waiting, A's sync-before-read throttle "
            f"(at most every {exchange.SYNC_ON_READ_S:g} s) and the pull itself"
        ),
    }


def _median_ms(f: object, n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        f()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 3)


def match_latency(root: Path, sizes: list[int]) -> list[dict[str, object]]:
    """One upload matched against ``size`` received PDQ signals: the old path (every row
    read and compared) beside the index path (candidates through the index, read fresh),
    each followed by the same find(); an upload near one held signal, so both find it."""
    rng = random.Random(99)
    inst = Instance(Settings(home=root / "m"))
    out: list[dict[str, object]] = []
    try:
        exchange_pull.add_peer(
            inst, "src", url="http://x.example", collection="bench", token="t",
            key=exchange.public_key(inst),
        )  # fmt: skip
        held = 0
        last = ""
        for size in sorted(sizes):
            while held < size:
                k = min(FILL_BATCH, size - held)
                rows = [_row("bench", held + i + 1, _pdq(rng)) for i in range(k)]
                last = rows[-1].value
                with inst.db.session() as s:
                    repo = IncomingRepository(s)
                    p = repo.peer("src")
                    assert p is not None
                    repo.apply_updates(p.id, rows, dt.datetime.now(dt.UTC))
                held += k
            near = f"{int(last, 16) ^ 0b1011:064x}"  # 3 bits from a held signal
            keys = upload_keys({"pdq": near}, None)

            def scan(keys: dict[str, list[str]] = keys) -> int:
                with inst.db.session() as s:
                    repo = IncomingRepository(s)
                    sig = [
                        Signal(r.id, r.signal_type, r.value, r.category == "negative_class")
                        for r in repo.matchable(("pdq", "video_md5"))
                    ]
                    sig += [Signal(-n.id, n.signal_type, n.value, True) for n in repo.negatives()]
                    return len(find(keys, sig))

            def indexed(keys: dict[str, list[str]] = keys) -> int:
                with inst.db.session() as s:
                    repo = IncomingRepository(s)
                    c = inst.exchange_index.candidates(repo, keys)
                    sig = [
                        Signal(r.id, r.signal_type, r.value, r.category == "negative_class")
                        for r in c.received
                    ]
                    sig += [Signal(-n.id, n.signal_type, n.value, True) for n in c.negatives]
                    return len(find(keys, sig))

            t = time.perf_counter()
            assert indexed() == 1  # the first call tops the index up from new rows
            top_up = time.perf_counter() - t
            assert scan() == 1
            out.append(
                {
                    "received": size,
                    "index_top_up_s": round(top_up, 3),
                    "scan_ms_median": _median_ms(scan, 3 if size >= 500_000 else 5),
                    "index_ms_median": _median_ms(indexed, 50),
                    "index_mib": round(inst.exchange_index.nbytes / 2**20, 1),
                }
            )
    finally:
        inst.close()
    return out


def _time_pull_lock(holds: list[float]) -> None:
    """Time each hold of the ``exchange-pull`` lock where the pull modules take it (the
    whole round before chunked pulls: exchange_pull; a chunk's store: exchange_rounds),
    so ``--via-pull`` can report the longest time it was held in one go."""
    import contextlib
    import importlib

    from mediaproof.storage.sql import locks

    real = locks.hold

    @contextlib.contextmanager
    def timed(db: object, name: str, *a: object, **kw: object) -> Iterator[object]:
        with real(db, name, *a, **kw) as lease:  # type: ignore[arg-type]
            t = time.perf_counter()
            try:
                yield lease
            finally:
                if name == exchange_pull.PULL_LOCK:
                    holds.append(time.perf_counter() - t)

    for mod in ("mediaproof.services.exchange_pull", "mediaproof.services.exchange_rounds"):
        m = importlib.import_module(mod)
        if hasattr(m, "hold"):
            setattr(m, "hold", timed)  # noqa: B010


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--fill":
        home, name, start, n, seed = sys.argv[2:7]
        fill(Path(home), name, int(start), int(n), int(seed))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--signals", type=int, default=20_000)
    ap.add_argument("--incremental", type=int, default=1_000)
    ap.add_argument("--interval", type=float, default=0.5, help="B's pull interval (s)")
    ap.add_argument("--match-sizes", default="10000,100000")
    ap.add_argument("--repeat", type=int, default=3, help="confirmations with/without big")
    ap.add_argument("--pull-only", action="store_true", help="no confirmation or match stages")
    ap.add_argument("--empty-repeats", type=int, default=5)
    ap.add_argument(
        "--via-pull",
        action="store_true",
        help="the full pull as a round does it (exchange_pull.pull, which takes the "
        "exchange-pull lock), with the longest time the lock was held in one go",
    )
    ap.add_argument(
        "--chunk-rows", type=int, default=0, help="a pull's chunk (exchange_rounds.CHUNK_ROWS)"
    )
    args = ap.parse_args()
    if args.chunk_rows:
        import importlib

        rounds = importlib.import_module("mediaproof.services.exchange_rounds")
        if hasattr(rounds, "CHUNK_ROWS"):  # code before chunked pulls has none
            setattr(rounds, "CHUNK_ROWS", args.chunk_rows)  # noqa: B010
    holds: list[float] = []
    if args.via_pull:
        _time_pull_lock(holds)
    out: dict[str, object] = {
        "signals": args.signals,
        "stored_tree": exchange_tree is not None,
        "load_avg_1m_start": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a_home, b_home = root / "a", root / "b"
        tokens = prepare_a(a_home)
        out["fill"] = _fill_child(a_home, "bench", 0, args.signals, 1)
        env = {
            "MEDIAPROOF_SERVICE_RATE_EXCHANGE_BURST": "1000000",
            "MEDIAPROOF_SERVICE_RATE_EXCHANGE_PER_MIN": "1000000",
            "MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES": "0",
            "MEDIAPROOF_SERVICE_EXCHANGE_PULL_INTERVAL_S": "0",
        }
        proc, url = launch_serve(a_home, env, settle_s=0.5)
        try:
            b = Instance(Settings(home=b_home))
            for peer, coll in (("county-a", "bench"), ("county-a-latency", "latency")):
                exchange_pull.add_peer(
                    b, peer, url=url, collection=coll, token=tokens[coll], key=tokens["vkey"]
                )
            out["puller_rss_before_mib"] = _rss_mib()
            with httpx.Client(timeout=600.0) as http:
                cpu_a, cpu_b = _proc_cpu_s(proc.pid), time.process_time()
                t = time.perf_counter()
                if args.via_pull:
                    [r] = exchange_pull.pull(b, "county-a", client=http)
                else:
                    r = exchange_pull.pull_one(b, "county-a", client=http)
                full = time.perf_counter() - t
                if args.via_pull:
                    out["full_pull_lock_held_max_s"] = round(max(holds, default=0.0), 3)
                    out["full_pull_lock_holds"] = len(holds)
                assert r.status == "ok" and r.added == args.signals, r
                out["full_pull_s"] = round(full, 3)
                out["full_pull_rows_per_s"] = round(args.signals / full)
                out["full_pull_publisher_cpu_s"] = round(_proc_cpu_s(proc.pid) - cpu_a, 2)
                out["full_pull_puller_cpu_s"] = round(time.process_time() - cpu_b, 2)
                out["puller_rss_after_full_mib"] = _rss_mib()
                out["publisher_rss_after_full_mib"] = _proc_hwm_mib(proc.pid)
                out["incremental_fill"] = _fill_child(
                    a_home, "bench", args.signals, args.incremental, 2
                )
                cpu_a, cpu_b = _proc_cpu_s(proc.pid), time.process_time()
                t = time.perf_counter()
                r = exchange_pull.pull_one(b, "county-a", client=http)
                out["incremental"] = args.incremental
                out["incremental_pull_s"] = round(time.perf_counter() - t, 3)
                out["incremental_publisher_cpu_s"] = round(_proc_cpu_s(proc.pid) - cpu_a, 3)
                out["incremental_puller_cpu_s"] = round(time.process_time() - cpu_b, 3)
                assert r.status == "ok" and r.added == args.incremental, r
                empty, empty_cpu = [], []
                for _ in range(args.empty_repeats):
                    cpu_a = _proc_cpu_s(proc.pid)
                    t = time.perf_counter()
                    r = exchange_pull.pull_one(b, "county-a", client=http, force=True)
                    empty.append(time.perf_counter() - t)
                    empty_cpu.append(_proc_cpu_s(proc.pid) - cpu_a)
                    assert r.status == "ok" and r.added == 0, r
                out["empty_pull_s_median"] = round(statistics.median(empty), 4)
                out["empty_pull_publisher_cpu_s_median"] = round(statistics.median(empty_cpu), 3)
                out["publisher_rss_peak_mib"] = _proc_hwm_mib(proc.pid)
                if not args.pull_only:
                    exchange_pull.pull_one(b, "county-a-latency", client=http)
            out["puller_rss_peak_mib"] = _rss_mib()
            if args.pull_only:
                b.close()
                return _finish(out)
            # B's scheduler pulls the big collection beside the small one: its (empty)
            # pull each round must not hold up the small one's. Beside it, a B that
            # pulls only the collection the confirmation lands in; alternated
            b2 = Instance(Settings(home=root / "b2"))
            exchange_pull.add_peer(
                b2, "county-a-latency", url=url, collection="latency",
                token=tokens["latency"], key=tokens["vkey"],
            )  # fmt: skip
            exchange_pull.pull_one(b2, "county-a-latency")
            big, small = [], []
            for i in range(args.repeat):
                big.append(confirm_to_match(url, b, tokens, root, args.interval, 100 + 2 * i))
                small.append(confirm_to_match(url, b2, tokens, root, args.interval, 101 + 2 * i))
            for key, runs in (("with_big_source", big), ("small_source_only", small)):
                out[f"confirmation_{key}"] = runs
                out[f"confirm_to_match_median_s_{key}"] = statistics.median(
                    r["confirm_to_match_s"]
                    for r in runs  # type: ignore[misc]
                )
            b.close()
            b2.close()
        finally:
            proc.terminate()
            proc.wait(30)
        sizes = [int(x) for x in args.match_sizes.split(",") if x]
        out["match_latency"] = match_latency(root, sizes)
    _finish(out)


def _finish(out: dict[str, object]) -> None:
    out["load_avg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
