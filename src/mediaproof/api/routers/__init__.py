"""One router per domain. Each route has a unique name, the key of its access rule."""

__all__: list[str] = []  # nothing at package level: import its modules
