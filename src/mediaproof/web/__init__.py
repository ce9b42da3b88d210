"""Pages for people (Jinja2 templates, local static files), on top of the services."""

__all__: list[str] = []  # nothing at package level: import its modules
