"""The HTTP service: JSON API, public pages, standard interfaces. Calls services only."""

from mediaproof.api.app import create_app

__all__ = ["create_app"]
