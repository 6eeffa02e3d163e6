"""``parkbot admin add|remove|list``: named accounts for the admin page (password hashes in Redis)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .store.accounts import AccountError, Accounts
from .store.connection import get_keys, get_redis

admin_cli = AppGroup("admin", help="Named accounts for the admin page.")


def _accounts() -> Accounts:
    return Accounts(get_redis(current_app), get_keys(current_app), current_app.config.get("ADMIN_USER_HASHES"))


@admin_cli.command("add")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Asked for when not given (it never appears in the shell history then).")
def add_command(name: str, password: str) -> None:
    """Create account NAME, or set its password; notes and status changes will carry NAME."""
    try:
        new = _accounts().add(name, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'added' if new else 'password changed for'} {name.strip()}")


@admin_cli.command("remove")
@click.argument("name")
def remove_command(name: str) -> None:
    """Delete account NAME; its sessions end with its next request."""
    if not _accounts().remove(name):
        raise click.ClickException(f"no account {name!r} (accounts from ADMIN_USERS are removed there)")
    click.echo(f"removed {name}")


@admin_cli.command("list")
def list_command() -> None:
    """Every account name."""
    names = _accounts().names()
    click.echo("\n".join(names) if names else "no accounts")
