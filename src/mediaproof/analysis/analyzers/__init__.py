"""The built-in analyzers, one module each."""

__all__: list[str] = []  # nothing at package level: import its modules
