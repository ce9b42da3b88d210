"""Analyze: what a verify run found about a file.

``evidence`` (Evidence, the Analyzer contract), ``pipeline`` (runs the analyzers of a
file's kind), ``report`` (the verify report), ``compute`` (heavy steps in worker
processes); the built-in analyzers are in ``analyzers/``.
"""

__all__: list[str] = []  # nothing at package level: import its modules
