"""Bulk formats other tools already read.

- ``local_file``: python-threatexchange's LocalFileSignalExchangeAPI reads one
  ``<signal_type> <signal>`` per line (``exchanges/impl/file_api.py``).
- ``dataset --csv``: the columns ``threatexchange dataset -P --csv`` prints
  (``cli/dataset_cmd.py``): signal_type, signal_str, collab, category (the opinion
  category's enum name), tags (space-separated).

Only types whose value python-threatexchange spells as we do go into these
(:data:`~mediaproof.exchange.models.PYTX_SIGNAL_TYPES`); the JSON feed carries all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from mediaproof.exchange.models import PYTX_SIGNAL_TYPES, FeedRow

CSV_COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags")


def _pytx(rows: Iterable[FeedRow]) -> list[FeedRow]:
    return sorted(
        (
            r
            for r in rows
            if not r.deleted and r.opinion is None and r.signal_type in PYTX_SIGNAL_TYPES
        ),
        key=lambda r: r.seq,
    )


def local_file(rows: Iterable[FeedRow]) -> str:
    return "".join(f"{r.signal_type.value} {r.value}\n" for r in _pytx(rows))


def dataset_csv(rows: Iterable[FeedRow], collab: str) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in _pytx(rows):
        w.writerow(
            {
                "signal_type": r.signal_type.value,
                "signal_str": r.value,
                "collab": collab,
                "category": r.category.pytx_name,
                "tags": " ".join(r.tags),
            }
        )
    return out.getvalue()
