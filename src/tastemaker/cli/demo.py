"""`tastemaker demo`: the whole system on the demo world, end to end."""

from __future__ import annotations

import typer
from rich.text import Text

from .. import snapshots
from . import common


def demo_cmd(
    users: int = typer.Option(2_000, help="Listeners in the demo world"),
    artists: int = typer.Option(300, help="Artists"),
    tracks_per_artist: int = typer.Option(10, help="Tracks per artist"),
    weeks: int = typer.Option(8, help="Weeks of listening history"),
    seed: int = typer.Option(0, help="Seed of the world"),
    evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Compare with baselines and evaluate the blend"),
    audio_seconds: float = typer.Option(8.0, help="Length of each track's synthesised clip (0: no audio, "
                                        "no audio model)"),
):
    """Generate the demo world, ingest it, train, write this week's playlists, evaluate."""
    from ..demo.run import run_demo
    from ..evaluate.report import markdown
    from ..queries import user_list

    settings = common.settings()
    console = common.console
    console.rule(Text("tastemaker demo", style="bold"))
    result = run_demo(settings, n_users=users, n_artists=artists, tracks_per_artist=tracks_per_artist,
                      weeks=weeks, seed=seed, evaluate=evaluate, audio_seconds=audio_seconds,
                      log=console.print)
    if snapshots.enabled(settings):
        with common.engine():     # a home that serves gets the demo's week at once
            pass
    with common.engine(read_only=True) as engine:
        user = engine.first_listed_user(result.week, "collaborative")
        sample = user_list(engine, user, result.week).tracks[:10] if user else []
    if sample:
        console.print(common.table(
            f"{result.week} for {user} (first 10 of {settings.weekly.size})",
            ["#", "artist", "title", "reason"],
            [(t.position, t.artist or "", t.title or t.track_id, t.reason) for t in sample]))
    if result.comparison is not None:
        console.rule("Evaluation at K = %d" % settings.weekly.size)
        console.print(markdown(result.comparison), markup=False, highlight=False, soft_wrap=True)
    if result.ablation is not None:
        from ..blend.evaluate import markdown as ablation_table
        console.rule("The blend: each model alone and together (recall of next-week discoveries)")
        console.print(ablation_table(result.ablation), markup=False, highlight=False, soft_wrap=True)
    console.rule("Where everything is")
    console.print(f"home        {settings.home}\n"
                  f"warehouse   {settings.warehouse_path}\n"
                  f"models      {settings.models_dir}\n"
                  f"exports     {', '.join(str(p) for p in result.exports)}\n"
                  f"demo world  {result.world_dir}\n"
                  f"next: tastemaker --home {settings.home} weekly show {user or 'USER'}")
    total = sum(s for _, s, _ in result.steps)
    console.print(f"[bold green]done[/] in {total:.0f} s", markup=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
