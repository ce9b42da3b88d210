"""Command line: one module per command group; main.py assembles them."""

__all__: list[str] = []  # nothing at package level: import its modules
