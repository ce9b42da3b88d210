"""Use cases that join the domain packages and storage. api/, web/ and cli/ call these."""

__all__: list[str] = []  # nothing at package level: import its modules
