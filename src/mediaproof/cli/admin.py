"""`mediaproof admin`: accounts, from the machine the instance lives on."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproof.accounts.models import Role
from mediaproof.cli.common import HomeOption, JsonOption, console, instance, print_json
from mediaproof.services.accounts import (
    create_user,
    issue_token,
    list_users,
    reset_password,
    revoke_user_tokens,
)

app = typer.Typer(help="Manage accounts (users and roles).", no_args_is_help=True)


@app.command("create-user")
def create_user_cmd(
    username: Annotated[str, typer.Argument(help="Login name: a-z, 0-9, '.', '_', '-'.")],
    role: Annotated[
        Role,
        typer.Option(
            "--role", help="admin, publisher, reviewer, reporter, peer, toolmaker or platform"
        ),
    ],
    one_time: Annotated[
        bool,
        typer.Option(
            "--one-time-password",
            help="Generate a one-time password (printed once; changed at first login) "
            "instead of prompting for one.",
        ),
    ] = False,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a user. Prompts for the password (twice), unless --one-time-password."""
    password = None
    if not one_time:
        password = typer.prompt(
            "Password (at least 12 characters)", hide_input=True, confirmation_prompt=True
        )
    with instance(home) as inst:
        user, otp = create_user(inst, username, role, password)
    if json_out:
        print_json({"user": user.public_dict(), "one_time_password": otp})
        return
    console.print(f"created [bold]{user.username}[/] ({user.role.value})")
    if otp:
        console.print(f"one-time password: [bold]{otp}[/] (shown once; changed at first login)")


@app.command("create")
def create_admin(
    username: Annotated[str, typer.Argument()] = "admin",
    home: HomeOption = None,
) -> None:
    """Create an administrator, prompting for the password."""
    create_user_cmd(username, Role.ADMIN, False, home, False)


@app.command("create-token")
def create_token_cmd(
    username: Annotated[str, typer.Argument(help="Whose token: it acts as this user.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    scope: Annotated[
        list[str], typer.Option("--scope", help="publish, users:manage or account (repeatable)")
    ],
    expires_in_days: Annotated[int | None, typer.Option("--expires-in-days", min=1)] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Make an API token for a user (printed once; only its hash is stored)."""
    with instance(home) as inst:
        secret, rec = issue_token(inst, username, name, scope, expires_in_days)
    if json_out:
        print_json({"token": secret, "info": rec.public_dict()})
        return
    console.print(f"token [bold]{rec.name}[/] for {username} ({', '.join(scope)}):")
    console.print(secret, soft_wrap=True)


@app.command("revoke-tokens")
def revoke_tokens_cmd(
    username: Annotated[str, typer.Argument(help="Whose tokens to revoke (all of them).")],
    home: HomeOption = None,
) -> None:
    """Revoke every API token of a user (after a leak or a password change)."""
    with instance(home) as inst:
        n = revoke_user_tokens(inst, username)
    console.print(f"revoked {n} token{'' if n == 1 else 's'} of {username}")


@app.command("reset-password")
def reset_password_cmd(
    username: Annotated[str, typer.Argument(help="Whose password to reset.")],
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Give a user a new one-time password (printed once). Their sessions and API tokens
    are revoked: whoever knew the old password may have made tokens with it."""
    with instance(home) as inst:
        otp = reset_password(inst, username)
    if json_out:
        print_json({"user": username, "one_time_password": otp, "tokens_revoked": True})
        return
    console.print(f"one-time password for {username}: [bold]{otp}[/] (shown once)")
    console.print("their sessions and API tokens were revoked")


@app.command("users")
def users_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """List users (no passwords or tokens are ever shown)."""
    with instance(home) as inst:
        users = list_users(inst)
    if json_out:
        print_json([u.public_dict() for u in users])
        return
    for u in users:
        flag = " (must change password)" if u.must_change_password else ""
        console.print(f"{u.id:>4}  {u.username:<24} {u.role.value}{flag}")
