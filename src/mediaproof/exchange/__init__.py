"""The hash exchange, pure parts: collections, feed rows, log entries, snapshots, the
checks a pulling peer runs. No storage, services or interfaces here (see
services/exchange.py and services/exchange_pull.py); docs/exchange.md describes it."""

__all__: list[str] = []  # nothing at package level: import its modules
