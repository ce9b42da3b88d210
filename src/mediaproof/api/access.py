"""Who may call what: one declarative table, keyed by route name, denying by default.

Every route in the app must have an entry here; a route without one is refused at run
time and fails tests/api/test_authz_matrix.py. Anonymous callers of rate-limited routes
draw from a per-address token bucket; HTML forms carry a CSRF token even when anonymous,
and every unsafe request made with a session cookie needs one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediaproof.accounts.models import Permission


@dataclass(frozen=True)
class Rule:
    who: str  # "public" | "user" (any logged-in user) | "permission"
    permission: Permission | None = None
    rate: str | None = None  # bucket for anonymous callers: verify | lookup | login
    rate_everyone: bool = False  # signed-in callers draw from the bucket too
    form: bool = False  # an HTML form: CSRF token required for anonymous callers too
    pending_password_ok: bool = False  # reachable before a one-time password is changed


def public(rate: str | None = None, form: bool = False, rate_everyone: bool = False) -> Rule:
    return Rule(
        "public", rate=rate, form=form, rate_everyone=rate_everyone, pending_password_ok=True
    )


def user(form: bool = False, pending_password_ok: bool = False) -> Rule:
    return Rule("user", form=form, pending_password_ok=pending_password_ok)


def needs(permission: Permission, form: bool = False) -> Rule:
    return Rule("permission", permission, form=form)


ACCESS: dict[str, Rule] = {
    # operations
    "health.healthz": public(),
    "health.readyz": public(),
    "openapi": public(),
    "static": public(),
    # verify for everyone
    "verify.api": public(rate="verify"),
    "jobs.get": public(),  # the unguessable job id is the capability
    "verify.image": public(rate="lookup"),  # so is the result image's token
    # the registry, read by anyone
    "assets.get": public(rate="lookup"),
    "assets.preview": public(rate="lookup"),  # downscaled, active public images only
    "assets.file": needs(Permission.PUBLISH),
    "assets.publish": needs(Permission.PUBLISH),
    # C2PA Soft Binding Resolution API (public, like the registry it reads)
    "softbinding.by_binding_get": public(rate="lookup"),
    "softbinding.by_binding_post": public(rate="lookup"),
    "softbinding.by_content": public(rate="verify"),
    "softbinding.manifest": public(rate="lookup"),
    "softbinding.algorithms": public(rate="lookup"),
    "log.file": public(rate="lookup"),
    # accounts
    "account.me": user(pending_password_ok=True),
    "tokens.list": user(),
    "tokens.create": needs(Permission.OWN_TOKENS),
    "tokens.revoke": needs(Permission.OWN_TOKENS),
    "users.list": needs(Permission.MANAGE_USERS),
    "users.create": needs(Permission.MANAGE_USERS),
    # pages
    "web.index": public(),
    "web.verify": public(rate="verify", form=True),
    "web.job": public(),
    "web.login_form": public(),
    # signed-in users too: a session must not be a way around password guessing limits
    "web.login": public(rate="login", form=True, rate_everyone=True),
    "web.logout": user(form=True, pending_password_ok=True),
    "web.password_form": user(pending_password_ok=True),
    "web.password": user(form=True, pending_password_ok=True),
    "web.tokens": needs(Permission.OWN_TOKENS),
    "web.token_create": needs(Permission.OWN_TOKENS, form=True),
    "web.token_revoke": needs(Permission.OWN_TOKENS, form=True),
    "web.publish_form": needs(Permission.PUBLISH),
    "web.publish": needs(Permission.PUBLISH, form=True),
    "web.asset": public(rate="lookup"),
}
