"""Accounts: roles, permissions and the records the rest of the product sees (``models``)."""

__all__: list[str] = []  # nothing at package level: import mediaproof.accounts.models
