"""`tastemaker deliver subsonic --url URL --user NAME`: the week as a playlist on a Subsonic server."""

from __future__ import annotations

import os
from typing import List, Optional

import typer

from . import common

deliver_app = typer.Typer(help="Deliver the week into the players listeners use.", no_args_is_help=True)


@deliver_app.command("subsonic")
def subsonic_cmd(
    url: str = typer.Option(..., help="The server, e.g. http://127.0.0.1:4533 (Navidrome)"),
    users: List[str] = typer.Option(..., "--user", help="Server user (repeatable); their list goes to their playlists"),
    listener: Optional[str] = typer.Option(None, help="The tastemaker user whose list to deliver [default: the server user]"),
    week: Optional[str] = typer.Option(None, help="Week, e.g. 2026-W49 [default: the latest]"),
    name: str = typer.Option("Discover Weekly {week}", help="Playlist name; {week} is replaced (without it: one rotating playlist)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Find the songs and say what would change; write nothing."),
):
    """One playlist per user, replacing last week's; songs found by the server's ids or by
    artist and title. The password (TASTEMAKER_SUBSONIC_PASSWORD, or asked) is used once to make
    a token, which is kept instead (HOME/delivery/subsonic.json)."""
    from ..deliver import SubsonicClient, kept_tokens, deliver_week
    from ..errors import ParameterError

    settings = common.settings()
    if listener and len(users) > 1:
        raise ParameterError("--listener names one tastemaker user: give one --user with it")
    rows = []
    for user in users:
        password = os.environ.get("TASTEMAKER_SUBSONIC_PASSWORD")
        if password is None and not kept_tokens(settings).get(url.rstrip("/"), {}).get(user):
            password = typer.prompt(f"password of {user} on {url}", hide_input=True)
        client = SubsonicClient.login(settings, url, user, password=password)
        with common.engine(read_only=True) as engine:
            done = deliver_week(engine, settings, client, listener or user, week=week, name=name, dry_run=dry_run)
        rows.append((user, done.playlist, len(done.songs), len(done.missing), ", ".join(done.replaced) or "-",
                     "dry run" if dry_run else "written"))
    common.console.print(common.table("Delivered to " + url, ["user", "playlist", "songs", "not on the server",
                                                              "replaced", ""], rows))


def register(app: typer.Typer) -> None:
    app.add_typer(deliver_app, name="deliver")
