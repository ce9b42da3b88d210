"""Operations' view of a running instance: Prometheus metrics, request ids and the log
format (docs/deploy.md, "Metrics and logs").

A leaf: it imports no other mediaproof package, so any layer may record a metric or read
the current request id without breaking the layering rule.
"""

__all__: list[str] = []
