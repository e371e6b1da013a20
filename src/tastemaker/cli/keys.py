"""`tastemaker keys create|list|revoke`: the service's API keys."""

from __future__ import annotations

import typer

from . import common

keys_app = typer.Typer(help="API keys of `tastemaker serve` (stored hashed).", no_args_is_help=True)


@keys_app.command("create")
def create_cmd(
    scope: str = typer.Option("read", help="read, write (posting events; includes read) or admin"),
    name: str = typer.Option("", help="Whose key it is, for the list"),
):
    """Make a key; its token is printed now and never again."""
    from ..service import keys

    key, token = keys.create(common.settings(), scope, name)
    common.console.print(f"key {key.key_id} ({key.scope}{', ' + key.name if key.name else ''}): {token}\n"
                         f"send it as 'Authorization: Token {token}'; it is not shown again")


@keys_app.command("list")
def list_cmd():
    """The keys: id, name, scope, when made and revoked (never the tokens)."""
    from ..service import keys

    found = keys.load(common.settings())
    common.console.print(common.table("API keys", ["id", "name", "scope", "created", "revoked"],
                                      [(k.key_id, k.name, k.scope, k.created_at, k.revoked_at or "")
                                       for k in found]))


@keys_app.command("revoke")
def revoke_cmd(key_id: str = typer.Argument(..., help="The key's id (from keys list)")):
    """Revoke a key; the service refuses it from its next request."""
    from ..service import keys

    key = keys.revoke(common.settings(), key_id)
    common.console.print(f"key {key.key_id} revoked at {key.revoked_at}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
