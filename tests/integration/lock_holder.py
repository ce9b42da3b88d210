"""A second process for the singleton tests (test_process_locks.py), run as
``python -m tests.integration.lock_holder MODE HOME DB_URL [N] [SEED]``.

- ``hold``: take the lock ``test-holder`` and say ``held`` on stdout, then sleep (the test
  kills it with SIGKILL).
- ``count``: N times, under the lock ``test-counter``, read the number in ``HOME/count``,
  wait a little and write it plus one: without the lock, racing processes lose updates.
- ``register``: register N new images (seeds from SEED on) in the instance at HOME: each
  registration stages its log leaf and lands it, as a request of an API process does.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    mode, home, url = argv[0], Path(argv[1]), argv[2]
    n = int(argv[3]) if len(argv) > 3 else 0
    if mode == "register":
        from mediaproof.config import Settings
        from mediaproof.media.samples import sample_photo
        from mediaproof.services.instance import Instance
        from mediaproof.services.publishing import register_existing

        seed = int(argv[4])
        inst = Instance(Settings(home=home, database_url=url))
        work = home / f"work-{seed}"
        work.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            photo = sample_photo(work / f"{i}.jpg", 64, 48, seed=seed + i)
            register_existing(inst, photo)
        inst.close()
        return

    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.locks import hold

    db = Database(url)
    if mode == "hold":
        with hold(db, "test-holder", timeout_s=30):
            print("held", flush=True)
            time.sleep(120)
    elif mode == "count":
        box = home / "count"
        for _ in range(n):
            with hold(db, "test-counter", timeout_s=60):
                value = int(box.read_text())
                time.sleep(0.002)
                box.write_text(str(value + 1))
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
