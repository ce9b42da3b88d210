"""Accounts on both database backends: the 0002_accounts migration and repositories."""

from __future__ import annotations

import pytest

from mediaproof.accounts.models import Permission, Role
from mediaproof.errors import AuthenticationError, ConflictError
from mediaproof.services import accounts
from mediaproof.services.instance import Instance


def test_users_sessions_tokens(any_db_instance: Instance) -> None:
    inst = any_db_instance
    user, otp = accounts.create_user(inst, "Clerk", Role.PUBLISHER, "a long password here")
    assert user.username == "clerk" and otp is None
    with pytest.raises(ConflictError):
        accounts.create_user(inst, "clerk", Role.REVIEWER, "another long password")
    with pytest.raises(AuthenticationError):
        accounts.login(inst, "clerk", "wrong password!!")
    secret, _ = accounts.login(inst, "clerk", "a long password here")
    p = accounts.session_principal(inst, secret)
    assert p is not None and p.can(Permission.PUBLISH) and p.csrf_token
    tok, rec = accounts.create_token(inst, p, "ci", ["publish"], expires_in_days=30)
    tp = accounts.token_principal(inst, tok)
    assert tp is not None and tp.scopes == frozenset({Permission.PUBLISH})
    assert not tp.can(Permission.MANAGE_USERS)
    accounts.revoke_token(inst, p, rec.id)
    assert accounts.token_principal(inst, tok) is None
    accounts.logout(inst, p)
    assert accounts.session_principal(inst, secret) is None
    assert accounts.ensure_first_admin(inst) is None  # users exist: no admin is made
