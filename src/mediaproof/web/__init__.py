"""Pages for people (Jinja2 templates, local static files), on top of the services."""
