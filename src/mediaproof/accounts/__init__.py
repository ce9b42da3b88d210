"""Accounts: roles, permissions and the records the rest of the product sees."""
